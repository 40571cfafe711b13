"""Resident identity numbers (GB 11643-1999): the MOD 11-2 check character against an independent implementation,
every refusal code with its exact Chinese message, the 15→18 upgrade, normalisation of what staff type, leap days,
the cross-check of declared birth date and sex, and make_id_number round trips (hypothesis)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.retirees.idnumber import IdNumber, InvalidIdNumber, check_character, make_id_number
from domain.retirees.idnumber import area_codes as known_area_codes

TODAY = date(2026, 1, 1)


def independent_check(first17: str) -> str:
    """GB 11643 MOD 11-2 written from the standard's formula, not from the module's tables: weights 2^(18-i) mod 11,
    check value (12 - S mod 11) mod 11, 10 written as X."""
    total = sum(int(digit) * pow(2, 17 - index, 11) for index, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def with_check(first17: str) -> str:
    return first17 + independent_check(first17)


def refusal(raw: str) -> InvalidIdNumber:
    with pytest.raises(InvalidIdNumber) as caught:
        IdNumber.parse(raw, today=TODAY)
    return caught.value


digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
area_codes = st.sampled_from(sorted(known_area_codes()))  # GB/T 2260, abolished divisions included
births = st.dates(date(1900, 1, 1), TODAY)
order_codes = st.integers(0, 999).map(lambda n: f"{n:03d}")


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    birth = draw(births)
    return with_check(f"{draw(area_codes)}{birth:%Y%m%d}{draw(order_codes)}")


# --- the check character ------------------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the example printed in GB 11643-1999
        "130102195808121236",
        "130104195808121036",
        "130123197501019983",
        "130107193001010001",
    ],
)
def test_gb11643_mod11_2_known_valid_numbers_parse_unchanged(number: str) -> None:
    """GB 11643 MOD 11-2: known valid numbers parse to themselves and agree with the independent implementation."""
    assert independent_check(number[:17]) == number[17]
    assert check_character(number[:17]) == number[17]
    assert IdNumber.parse(number, today=TODAY).value == number


@pytest.mark.unit
@given(first17=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_gb11643_mod11_2_check_character_matches_the_standard_formula(first17: str) -> None:
    """GB 11643 MOD 11-2: the table-driven check character equals (12 - Σ 2^(18-i)·a_i mod 11) mod 11 for any digits."""
    assert check_character(first17) == independent_check(first17)


@pytest.mark.unit
@pytest.mark.parametrize("bad", ["", "1234567890123456", "123456789012345678", "1301021958081212３"])
def test_check_character_refuses_anything_but_17_ascii_digits(bad: str) -> None:
    """check_character is a programming interface: wrong input is a ValueError, not a staff message."""
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_character(bad)


# --- refusals, one per code, with the exact message ---------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("raw", "length"), [("13010419580812123", 17), ("1301041958081212345", 19), ("1301045808121", 13), ("", 0)]
)
def test_id_length_refuses_numbers_neither_18_nor_15_long(raw: str, length: int) -> None:
    """ID_LENGTH: only 18 characters, or 15 for a legacy number, are accepted; the message gives the length found."""
    error = refusal(raw)
    assert error.code == "ID_LENGTH"
    assert error.message == f"身份证号码长度应为18位（或15位旧号码），实为{length}位"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("13010219580812123A", "身份证号码第18位应为数字或X，实为“A”"),
        ("1301O2195808121234", "身份证号码第5位应为数字，实为“O”"),
        ("13010219580812X234", "身份证号码第15位应为数字，实为“X”"),
        ("13010458081210X", "身份证号码第15位应为数字，实为“X”"),  # a legacy number has no check character
        ("1301-4580812103", "身份证号码第5位应为数字，实为“-”"),
    ],
)
def test_id_characters_names_the_position_and_the_character(raw: str, message: str) -> None:
    """ID_CHARACTERS: digits only, X only as the 18th (check) character; the message says where and what."""
    error = refusal(raw)
    assert (error.code, error.message) == ("ID_CHARACTERS", message)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("first17", "message"),
    [
        ("13010219580231123", "身份证号码中的出生日期 19580231 不是有效日期"),
        ("13010219581301123", "身份证号码中的出生日期 19581301 不是有效日期"),
        ("13010219580800123", "身份证号码中的出生日期 19580800 不是有效日期"),
        ("13010218991231123", "身份证号码中的出生日期 18991231 早于1900年"),
        ("44052418800101001", "身份证号码中的出生日期 18800101 早于1900年"),
        ("13010220260102123", "身份证号码中的出生日期 20260102 晚于今天"),
    ],
)
def test_id_birth_date_refuses_impossible_early_and_future_dates(first17: str, message: str) -> None:
    """ID_BIRTH_DATE: the 8 birth digits must be a real date, not before 1900 and not after today (the check character
    is right, so the date is what gets reported)."""
    error = refusal(with_check(first17))
    assert (error.code, error.message) == ("ID_BIRTH_DATE", message)


@pytest.mark.unit
def test_id_birth_date_today_is_accepted() -> None:
    """ID_BIRTH_DATE: a baby registered today is not in the future."""
    assert IdNumber.parse(with_check("13010220260101123"), today=TODAY).birth_date == TODAY


@pytest.mark.unit
def test_id_birth_date_of_legacy_number_is_checked_after_the_upgrade() -> None:
    """ID_BIRTH_DATE: a legacy number's 2-digit year is read as 19xx and the date checked like any other."""
    error = refusal("130104580231103")
    assert (error.code, error.message) == ("ID_BIRTH_DATE", "身份证号码中的出生日期 19580231 不是有效日期")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("110105194912310025", "身份证号码校验位错误：应为 X，实为 5"),
        ("130104195808121030", "身份证号码校验位错误：应为 6，实为 0"),
        ("13010419580812103X", "身份证号码校验位错误：应为 6，实为 X"),
    ],
)
def test_id_check_character_gives_expected_and_actual(raw: str, message: str) -> None:
    """ID_CHECK_CHARACTER (GB 11643 MOD 11-2): a typo is caught and the message gives what the check should be."""
    error = refusal(raw)
    assert (error.code, error.message) == ("ID_CHECK_CHARACTER", message)


@pytest.mark.unit
def test_invalid_id_number_is_a_value_error_with_code_and_message() -> None:
    """InvalidIdNumber is a ValueError; its text carries the code for logs, ``message`` is what staff read."""
    error = refusal("110105194912310025")
    assert isinstance(error, ValueError)
    assert str(error) == "ID_CHECK_CHARACTER: 身份证号码校验位错误：应为 X，实为 5"


@pytest.mark.unit
def test_direct_construction_is_validated_too() -> None:
    """IdNumber(value) cannot hold a malformed number: the same checks run as in parse."""
    with pytest.raises(InvalidIdNumber) as caught:
        IdNumber("110105194912310025")
    assert caught.value.code == "ID_CHECK_CHARACTER"
    with pytest.raises(InvalidIdNumber) as caught:
        IdNumber("11010519491231002x")
    assert caught.value.code == "ID_CHARACTERS"


# --- the 15 → 18 upgrade and normalisation ------------------------------------------------------------------------


@pytest.mark.unit
def test_legacy_15_digit_number_is_upgraded_with_19_and_a_check_character() -> None:
    """GB 11643 upgrade: 130104580812103 → 130104 + 19 + 580812103 + check, the check computed independently."""
    number = IdNumber.parse("130104580812103", today=TODAY)
    assert number.value == "13010419580812103" + independent_check("13010419580812103")
    assert number.value == "130104195808121036"
    assert (number.area_code, number.birth_date, number.sex) == ("130104", date(1958, 8, 12), "1")


@pytest.mark.unit
@given(area=area_codes, birth=st.dates(date(1900, 1, 1), date(1999, 12, 31)), order=order_codes)
def test_legacy_upgrade_keeps_area_birth_and_order(area: str, birth: date, order: str) -> None:
    """GB 11643 upgrade: a legacy number keeps its area, birth date and order code; only 19 and the check are added."""
    upgraded = IdNumber.parse(f"{area}{birth:%y%m%d}{order}", today=TODAY)
    assert upgraded.value == with_check(f"{area}{birth:%Y%m%d}{order}")
    assert upgraded.sex == ("1" if int(order[-1]) % 2 else "2")


@pytest.mark.unit
@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",  # lower-case x
        "  11010519491231002X\n",  # surrounding whitespace
        "110105 19491231 002X",  # grouped with spaces
        "１１０１０５１９４９１２３１００２ｘ",  # full-width, typed with a Chinese IME
        "110105\u300019491231002X",  # ideographic space
    ],
)
def test_parse_normalises_lowercase_x_whitespace_and_full_width(raw: str) -> None:
    """Normalisation: lower-case x, spaces and full-width characters are what staff type; the value is canonical."""
    assert IdNumber.parse(raw, today=TODAY).value == "11010519491231002X"


@pytest.mark.unit
def test_non_ascii_digits_are_refused() -> None:
    """ID_CHARACTERS: characters Python calls digits (str.isdigit) but GB 11643 does not are refused, not crashed on."""
    error = refusal("11010519491231002\u0664")  # ARABIC-INDIC DIGIT FOUR
    assert (error.code, error.message) == ("ID_CHARACTERS", "身份证号码第18位应为数字或X，实为“\u0664”")


# --- leap days ----------------------------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("year", [1904, 1960, 1972, 2000])
def test_feb_29_is_valid_in_leap_years(year: int) -> None:
    """Leap years (including 2000, divisible by 400) have a 29 February."""
    number = IdNumber.parse(with_check(f"130102{year}0229123"), today=TODAY)
    assert number.birth_date == date(year, 2, 29)


@pytest.mark.unit
@pytest.mark.parametrize("year", [1900, 1958, 1999, 2023])
def test_feb_29_is_refused_in_common_years(year: int) -> None:
    """ID_BIRTH_DATE: no 29 February in common years — 1900 is one (divisible by 100, not by 400)."""
    error = refusal(with_check(f"130102{year}0229123"))
    assert (error.code, error.message) == ("ID_BIRTH_DATE", f"身份证号码中的出生日期 {year}0229 不是有效日期")


# --- properties of a parsed number --------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(("order", "sex"), [("001", "1"), ("123", "1"), ("999", "1"), ("000", "2"), ("998", "2")])
def test_sex_is_the_parity_of_the_17th_digit(order: str, sex: str) -> None:
    """GB/T 2261.1 sex from GB 11643: odd order code = male "1", even = female "2"."""
    assert IdNumber.parse(with_check(f"13010219580812{order}"), today=TODAY).sex == sex


@pytest.mark.unit
def test_area_code_and_birth_date_come_from_the_number() -> None:
    """GB 11643 layout: 6-digit area (GB/T 2260), 8-digit birth date, 3-digit order, check character."""
    number = IdNumber.parse("11010519491231002X", today=TODAY)
    assert (number.area_code, number.birth_date, number.sex, str(number)) == (
        "110105",
        date(1949, 12, 31),
        "2",
        "11010519491231002X",
    )


# --- cross-check --------------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_cross_check_birth_mismatch_names_both_dates() -> None:
    """ID_BIRTH_MISMATCH: a declared birth date that differs from the number's is refused with both dates."""
    with pytest.raises(InvalidIdNumber) as caught:
        IdNumber.parse("11010519491231002X", today=TODAY).cross_check(date(1949, 12, 30), "2")
    assert caught.value.code == "ID_BIRTH_MISMATCH"
    assert caught.value.message == "出生日期 1949-12-30 与身份证号码中的出生日期 1949-12-31 不一致"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("number", "declared", "message"),
    [
        ("11010519491231002X", "1", "性别“男”与身份证号码中的性别“女”不一致"),
        ("130104195808121036", "2", "性别“女”与身份证号码中的性别“男”不一致"),
    ],
)
def test_cross_check_sex_mismatch_names_both_sexes(number: str, declared: str, message: str) -> None:
    """ID_SEX_MISMATCH: a declared GB/T 2261.1 sex contradicting the 17th digit is refused with both sexes."""
    with pytest.raises(InvalidIdNumber) as caught:
        IdNumber.parse(number, today=TODAY).cross_check(None, declared)
    assert (caught.value.code, caught.value.message) == ("ID_SEX_MISMATCH", message)


@pytest.mark.unit
@pytest.mark.parametrize("sex", [None, "0", "9", "2"])
def test_cross_check_passes_matching_missing_and_unknown_values(sex: str | None) -> None:
    """Cross-check: GB/T 2261.1 "0" (unknown) and "9" (unspecified) and missing values are not contradictions."""
    number = IdNumber.parse("11010519491231002X", today=TODAY)
    number.cross_check(date(1949, 12, 31), sex)
    number.cross_check(None, sex)


@pytest.mark.unit
def test_cross_check_reports_the_birth_date_before_the_sex() -> None:
    """Cross-check order: when both contradict the number, the birth date is reported (it is the rarer typo)."""
    with pytest.raises(InvalidIdNumber) as caught:
        IdNumber.parse("11010519491231002X", today=TODAY).cross_check(date(1950, 1, 1), "1")
    assert caught.value.code == "ID_BIRTH_MISMATCH"


# --- make_id_number and properties over all numbers ---------------------------------------------------------------


@pytest.mark.unit
@given(area=area_codes, birth=births, sequence=st.integers(0, 499), sex=st.sampled_from(["1", "2"]))
def test_make_then_parse_round_trips(area: str, birth: date, sequence: int, sex: str) -> None:
    """make_id_number → IdNumber.parse: valid (MOD 11-2), and area, birth date and sex (order-code parity) survive."""
    raw = make_id_number(area, birth, sequence, sex)
    number = IdNumber.parse(raw, today=TODAY)
    assert number.value == raw == with_check(raw[:17])
    assert (number.area_code, number.birth_date, number.sex) == (area, birth, sex)
    assert int(raw[14:17]) == sequence * 2 + (1 if sex == "1" else 0)
    number.cross_check(birth, sex)


@pytest.mark.unit
def test_make_id_number_is_injective_in_sequence_and_sex() -> None:
    """make_id_number: the 500 sequences × 2 sexes fill the 1,000 order codes of one area and day exactly once."""
    numbers = {make_id_number("130102", date(1958, 8, 12), s, x) for s in range(500) for x in "12"}
    assert len(numbers) == 1000
    assert {n[14:17] for n in numbers} == {f"{order:03d}" for order in range(1000)}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("area", "birth", "sequence", "sex", "problem"),
    [
        ("13010", date(1958, 8, 12), 1, "1", "area_code"),
        ("13O102", date(1958, 8, 12), 1, "1", "area_code"),
        ("130102", date(1958, 8, 12), 500, "1", "sequence"),
        ("130102", date(1958, 8, 12), -1, "1", "sequence"),
        ("130102", date(1958, 8, 12), 1, "0", "sex"),
        ("130102", date(1899, 12, 31), 1, "1", "birth"),
    ],
)
def test_make_id_number_refuses_what_cannot_be_encoded(
    area: str, birth: date, sequence: int, sex: str, problem: str
) -> None:
    """make_id_number is for generators: arguments outside the GB 11643 layout are programming errors."""
    with pytest.raises(ValueError, match=problem):
        make_id_number(area, birth, sequence, sex)


@pytest.mark.unit
@given(number=valid_numbers())
def test_any_17_digits_with_a_valid_date_and_their_check_parse(number: str) -> None:
    """GB 11643 MOD 11-2: any known area, valid date and order code with the right check character is accepted as is."""
    assert IdNumber.parse(number, today=TODAY).value == number


@pytest.mark.unit
@given(number=valid_numbers(), wrong=st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(number: str, wrong: str) -> None:
    """ID_CHECK_CHARACTER: every check character but the right one is refused, naming the right one."""
    if wrong == number[17]:
        return
    error = refusal(number[:17] + wrong)
    assert (error.code, error.message) == (
        "ID_CHECK_CHARACTER",
        f"身份证号码校验位错误：应为 {number[17]}，实为 {wrong}",
    )


@pytest.mark.unit
@given(number=valid_numbers(), position=st.integers(0, 16), digit=digits)
def test_every_single_digit_substitution_is_detected(number: str, position: int, digit: str) -> None:
    """GB 11643 MOD 11-2 detects every single substitution: the typo is refused (by the check, or the area
    code or the date first)."""
    if digit == number[position]:
        return
    typo = number[:position] + digit + number[position + 1 :]
    assert refusal(typo).code in {"ID_AREA_CODE", "ID_CHECK_CHARACTER", "ID_BIRTH_DATE"}


@pytest.mark.unit
@given(number=valid_numbers(), position=st.integers(0, 15))
def test_every_adjacent_transposition_is_detected(number: str, position: int) -> None:
    """GB 11643 MOD 11-2 detects every swap of two different adjacent digits (adjacent weights differ mod 11)."""
    if number[position] == number[position + 1]:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    assert refusal(swapped).code in {"ID_AREA_CODE", "ID_CHECK_CHARACTER", "ID_BIRTH_DATE"}


# --- the area code (GB/T 2260, abolished divisions included) --------------------------------------------------------

CITY_DISTRICTS = ("130102", "130104", "130105", "130107", "130108", "130109", "130110", "130111", "130181", "130183")


@pytest.mark.unit
@pytest.mark.parametrize("area", ["000000", "999999", "130199", "139800", "010000"])
def test_id_area_code_unknown_division_is_refused_naming_the_code(area: str) -> None:
    """ID_AREA_CODE: a number whose first six digits are no division, even with the right check character, is refused
    with the code named."""
    error = refusal(with_check(f"{area}19580812123"))
    assert (error.code, error.message) == ("ID_AREA_CODE", f"身份证号码前六位 {area} 不是有效的行政区划代码")


@pytest.mark.unit
@pytest.mark.parametrize(
    "area",
    [
        "110103",  # 北京市崇文区, merged into 东城区 in 2010
        "110104",  # 北京市宣武区, merged into 西城区 in 2010
        "130106",  # 石家庄市郊区, abolished in 2001
        "130182",  # 藁城市, a district (130109) since 2014
        "130185",  # 鹿泉市, a district (130110) since 2014
    ],
)
def test_id_area_code_of_an_abolished_division_is_accepted(area: str) -> None:
    """A number keeps the code of the division that issued it: abolished divisions stay valid."""
    number = with_check(f"{area}19580812123")
    assert IdNumber.parse(number, today=TODAY).area_code == area


@pytest.mark.unit
@pytest.mark.parametrize("area", ["110103", "130106"])
def test_legacy_15_digit_number_of_an_abolished_division_is_upgraded(area: str) -> None:
    """15→18: a legacy number from a division abolished since keeps its code and gains 19 and its check character."""
    upgraded = IdNumber.parse(f"{area}580812123", today=TODAY)
    assert upgraded.value == with_check(f"{area}19580812123")


@pytest.mark.unit
def test_legacy_15_digit_number_with_an_unknown_area_is_refused() -> None:
    error = refusal("999999580812123")
    assert (error.code, error.message) == ("ID_AREA_CODE", "身份证号码前六位 999999 不是有效的行政区划代码")


@pytest.mark.unit
def test_direct_construction_checks_the_area_code_too() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        IdNumber(with_check("00000019580812123"))
    assert caught.value.code == "ID_AREA_CODE"


@pytest.mark.unit
def test_area_codes_cover_the_city_and_no_placeholder() -> None:
    """The table holds the city's districts and counties (石家庄 1301xx) and about 6,900 codes, none of them 000000."""
    codes = known_area_codes()
    assert set(CITY_DISTRICTS) <= codes
    assert 6000 < len(codes) < 8000
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert "000000" not in codes and "999999" not in codes
    assert known_area_codes() is codes  # built once


@pytest.mark.unit
@given(
    area=area_codes,
    birth=st.dates(date(1900, 1, 1), TODAY),
    sequence=st.integers(0, 499),
    sex=st.sampled_from("12"),
)
def test_every_number_make_id_number_builds_from_a_real_code_parses(
    area: str, birth: date, sequence: int, sex: str
) -> None:
    """make_id_number with any GB/T 2260 code (past or present) builds a number that parses to itself."""
    number = make_id_number(area, birth, sequence, sex)
    parsed = IdNumber.parse(number, today=TODAY)
    assert (parsed.value, parsed.area_code, parsed.birth_date, parsed.sex) == (number, area, birth, sex)


unknown_areas = st.text(alphabet="0123456789", min_size=6, max_size=6).filter(
    lambda code: code not in known_area_codes()
)


@pytest.mark.unit
@given(area=unknown_areas, birth=births, order=order_codes)
def test_any_number_with_an_unknown_area_code_is_refused_with_the_code_named(
    area: str, birth: date, order: str
) -> None:
    """ID_AREA_CODE: whatever the rest, a right check character does not save an unknown area code (18 or 15 long)."""
    for raw in (with_check(f"{area}{birth:%Y%m%d}{order}"), f"{area}{birth:%y%m%d}{order}"):
        error = refusal(raw)
        assert (error.code, error.message) == ("ID_AREA_CODE", f"身份证号码前六位 {area} 不是有效的行政区划代码")


@pytest.mark.unit
@given(area=unknown_areas)
def test_make_id_number_refuses_an_unknown_area_code(area: str) -> None:
    with pytest.raises(ValueError, match=area):
        make_id_number(area, date(1958, 8, 12), 1, "1")


@pytest.mark.unit
def test_the_console_province_list_is_the_server_table_s() -> None:
    """The console checks only the first two digits (no 6,900-code table shipped): its list is the table's provinces."""
    rules = (Path(__file__).parents[2] / "console" / "src" / "lib" / "rules.ts").read_text(encoding="utf-8")
    listed = re.search(r"const ID_PROVINCES = new Set\(\[(.*?)\]\)", rules, re.DOTALL)
    assert listed is not None
    assert set(re.findall(r"'(\d{2})'", listed.group(1))) == {code[:2] for code in known_area_codes()}
