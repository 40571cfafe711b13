"""2.8 suspicious-list matching: name normalisation (traditional/simplified, full-width, spaces, middle dots), the
pinyin key with surnames read as surnames, the identity-number keys (15 → 18, invalid numbers explained), every
match kind with its Chinese explanation, the precedence of best_match, and hypothesis properties of the keys."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.retirees.idnumber import make_id_number
from domain.shared.errors import ErrorCode
from domain.suspicious.idnumbers import candidate_keys
from domain.suspicious.matching import (
    PLAIN_KINDS,
    PRECEDENCE,
    ListEntry,
    Match,
    MatchKind,
    RegistryPerson,
    best_match,
    explain,
    list_keys,
    plain_template,
    registry_keys,
)
from domain.suspicious.names import name_pinyin_key, normalise_name

TODAY = date(2026, 1, 1)
BORN = date(1950, 3, 1)
ID18 = make_id_number("130102", BORN, 5, "1")  # 130102195003010117
ID15 = ID18[:6] + ID18[8:17]  # the legacy form of the same number
OTHER_ID = make_id_number("130102", BORN, 6, "1")
ZHANG_WEI = RegistryPerson("P0001", "张伟", ID18, BORN)


def match(name: str, id_number: str, person: RegistryPerson = ZHANG_WEI, birth: date | None = None) -> Match | None:
    return explain(ListEntry(name, id_number, birth), person, today=TODAY)


# --- names -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["張偉", "张 伟", "张伟", " 张　伟 ", "張\u200b偉"])
def test_2_8_traditional_spaced_and_simplified_names_normalise_equal(written: str) -> None:
    assert normalise_name(written) == "张伟"


def test_2_8_traditional_full_names_become_simplified() -> None:
    assert normalise_name("劉德華") == normalise_name("刘德华") == "刘德华"
    assert normalise_name("歐陽鋒") == "欧阳锋"


def test_2_8_full_width_letters_digits_and_spaces_fold_to_half_width() -> None:
    assert normalise_name("ＺＨＡＮＧ　ｗｅｉ") == "ZHANGWEI"
    assert normalise_name("王１号") == "王1号"


@pytest.mark.parametrize(
    "written",
    ["买买提·艾力", "买买提・艾力", "买买提•艾力", "买买提‧艾力", "买买提 · 艾力", "买买提.艾力", "买买提··艾力"],
)
def test_2_8_minority_names_keep_one_canonical_middle_dot(written: str) -> None:
    assert normalise_name(written) == "买买提·艾力"
    assert name_pinyin_key(written) == "mai mai ti · ai li"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("单田芳", "shan tian fang"),
        ("曾国藩", "zeng guo fan"),
        ("解缙", "xie jin"),
        ("仇英", "qiu ying"),
        ("查良镛", "zha liang yong"),
        ("区志强", "ou zhi qiang"),
        ("朴正浩", "piao zheng hao"),
        ("欧阳锋", "ou yang feng"),
        ("尉迟恭", "yu chi gong"),
        ("长孙无忌", "zhang sun wu ji"),
        ("令狐冲", "ling hu chong"),
        ("单于丹", "chan yu dan"),
        ("诸葛亮", "zhu ge liang"),
        ("單田芳", "shan tian fang"),
    ],
)
def test_2_8_surnames_are_read_as_surnames(name: str, key: str) -> None:
    assert name_pinyin_key(name) == key


def test_2_8_homophones_share_a_key_different_people_do_not() -> None:
    assert name_pinyin_key("张伟") == name_pinyin_key("章伟") == name_pinyin_key("張偉") == "zhang wei"
    assert name_pinyin_key("张伟") != name_pinyin_key("李伟")
    assert name_pinyin_key("曾") == "ceng"  # one character: no surname reading without a given name


def test_2_8_latin_names_are_not_split_into_a_surname() -> None:
    assert name_pinyin_key("ｊｏｈｎ　ｓｍｉｔｈ") == "JOHNSMITH"


names = st.text(
    alphabet=st.sampled_from("张張章伟偉玮刘劉德华華单曾解仇查区朴欧歐阳陽买提艾力·・•‧. 　ＡａBｂ１2\u200b")
    | st.characters(),
    max_size=8,
)


@given(names)
def test_2_8_normalise_name_is_idempotent(text: str) -> None:
    assert normalise_name(normalise_name(text)) == normalise_name(text)


@given(names)
def test_2_8_pinyin_key_of_a_name_equals_that_of_its_normalised_form(text: str) -> None:
    assert name_pinyin_key(text) == name_pinyin_key(normalise_name(text))


# --- identity numbers ------------------------------------------------------------------------------------------------


def test_2_8_an_18_character_number_is_its_own_key() -> None:
    keys = candidate_keys(f" {ID18[:6]} {ID18[6:]} ", today=TODAY)
    assert (keys.id18, keys.upgraded, keys.problem, keys.birth_date) == (ID18, False, None, BORN)


def test_2_8_a_15_character_number_is_upgraded_to_18() -> None:
    keys = candidate_keys(ID15, today=TODAY)
    assert (keys.id18, keys.upgraded) == (ID18, True)


def test_2_8_an_invalid_number_gives_the_reason_not_an_exception() -> None:
    keys = candidate_keys(ID18[:17] + "0", today=TODAY)
    assert keys.id18 is None
    assert keys.problem_code == ErrorCode.ID_CHECK_CHARACTER
    assert keys.problem == "身份证号码校验位错误：应为 7，实为 0"
    assert keys.birth_date is None


# --- match kinds and explanations ------------------------------------------------------------------------------------


def test_2_8_exact_id() -> None:
    found = match("张伟", ID18)
    assert found is not None
    assert found.kind is MatchKind.EXACT_ID
    assert found.explanation == "身份证号一致；姓名一致（“张伟”）"
    assert found.candidate == ZHANG_WEI
    assert not found.kind.flagged


def test_2_8_upgraded_id() -> None:
    found = match("张伟", ID15)
    assert found is not None
    assert found.kind is MatchKind.UPGRADED_ID
    assert found.explanation == f"15位身份证号“{ID15}”升级为18位“{ID18}”后与登记一致；姓名一致（“张伟”）"


def test_2_8_upgraded_id_with_a_name_variant_says_both() -> None:
    found = match("張偉", ID15)
    assert found is not None
    assert found.kind is MatchKind.UPGRADED_ID
    assert found.explanation.endswith("姓名规范化后一致：名单为“張偉”，登记为“张伟”（繁体字差异）")


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("張偉", "繁体字"),
        ("张 伟", "空格"),
        ("張　偉", "空格、繁体字"),
        ("ＺＨＡＮＧ　ｗｅｉ", "空格、全角字符、大小写"),
    ],
)
def test_2_8_name_variant(written: str, why: str) -> None:
    person = RegistryPerson("P0002", "ZHANGWEI" if written.startswith("Ｚ") else "张伟", ID18, BORN)
    found = match(written, ID18, person)
    assert found is not None
    assert found.kind is MatchKind.NAME_VARIANT
    assert found.explanation == f"身份证号一致；姓名规范化后一致：名单为“{written}”，登记为“{person.name}”（{why}差异）"


def test_2_8_name_variant_of_a_minority_name() -> None:
    person = RegistryPerson("P0003", "买买提·艾力", ID18, BORN)
    found = match("买买提・艾力", ID18, person)
    assert found is not None
    assert found.kind is MatchKind.NAME_VARIANT
    assert found.explanation.endswith("（间隔号写法差异）")


def test_2_8_homophone() -> None:
    found = match("章伟", ID18)
    assert found is not None
    assert found.kind is MatchKind.HOMOPHONE
    assert found.explanation == (
        "身份证号一致；姓名同音不同字：名单为“章伟”，登记为“张伟”（读音均为 zhang wei），疑似录入错误"
    )
    assert found.kind.flagged


def test_2_8_id_name_differs() -> None:
    found = match("李强", ID18)
    assert found is not None
    assert found.kind is MatchKind.ID_NAME_DIFFERS
    assert found.explanation == "身份证号一致；姓名不同：名单为“李强”，登记为“张伟”"
    assert found.kind.flagged


def test_2_8_same_name_and_birth_date() -> None:
    found = match("张伟", OTHER_ID)
    assert found is not None
    assert found.kind is MatchKind.SAME_NAME_AND_BIRTH_DATE
    assert found.explanation == (
        f"姓名一致（“张伟”）；出生日期一致（1950-03-01）；身份证号不同：名单为“{OTHER_ID}”，登记为“{ID18}”，疑似重复人员"
    )
    assert found.kind.flagged


def test_2_8_an_invalid_list_number_is_explained_with_a_birth_date_column() -> None:
    found = match("張偉", "1301021950030100", birth=BORN)
    assert found is not None
    assert found.kind is MatchKind.SAME_NAME_AND_BIRTH_DATE
    assert found.explanation == (
        "姓名规范化后一致：名单为“張偉”，登记为“张伟”（繁体字差异）；出生日期一致（1950-03-01）；"
        "名单身份证号“1301021950030100”无效（身份证号码长度应为18位（或15位旧号码），实为16位），疑似重复人员"
    )


def test_2_8_no_match_is_none_for_a_pair_and_explained_for_a_row() -> None:
    assert match("张伟", OTHER_ID, birth=date(1951, 1, 1)) is None
    assert match("李强", OTHER_ID) is None
    row = best_match(ListEntry("李强", OTHER_ID), [ZHANG_WEI], today=TODAY)
    assert (row.kind, row.candidate) == (MatchKind.NO_MATCH, None)
    assert (
        row.explanation == f"未匹配：登记中无身份证号为“{OTHER_ID}”的人员；也无姓名为“李强”且出生日期为1950-03-01的人员"
    )


def test_2_8_an_invalid_number_without_a_birth_date_is_explained_not_a_crash() -> None:
    row = best_match(ListEntry("张伟", "abc"), [ZHANG_WEI], today=TODAY)
    assert row.kind is MatchKind.NO_MATCH
    assert row.explanation == (
        "未匹配：名单身份证号“abc”无效（身份证号码长度应为18位（或15位旧号码），实为3位）；"
        "名单无有效出生日期，无法按姓名、出生日期比对"
    )


def test_2_8_every_kind_has_a_chinese_label_and_a_place_in_the_precedence() -> None:
    assert PRECEDENCE[0] is MatchKind.EXACT_ID and PRECEDENCE[-1] is MatchKind.NO_MATCH
    assert set(PRECEDENCE) == set(MatchKind)
    assert MatchKind.ID_NAME_DIFFERS.label == "身份证号一致但姓名不同"
    assert all(kind.label for kind in MatchKind)


# --- best_match ------------------------------------------------------------------------------------------------------


def test_2_8_best_match_prefers_the_identity_number_over_name_and_birth_date() -> None:
    namesake = RegistryPerson("P0009", "张伟", OTHER_ID, BORN)
    renamed = RegistryPerson("P0010", "李强", ID18, BORN)
    found = best_match(ListEntry("张伟", ID18), [namesake, renamed], today=TODAY)
    assert (found.kind, found.candidate) == (MatchKind.ID_NAME_DIFFERS, renamed)


def test_2_8_best_match_keeps_the_first_of_equally_strong_candidates() -> None:
    first = RegistryPerson("P0011", "张伟", OTHER_ID, BORN)
    second = RegistryPerson("P0012", "張偉", make_id_number("130102", BORN, 7, "1"), BORN)
    found = best_match(ListEntry("张伟", ID18), [first, second], today=TODAY)
    assert (found.kind, found.candidate) == (MatchKind.SAME_NAME_AND_BIRTH_DATE, first)


def test_2_8_keys_for_the_set_based_join() -> None:
    row = list_keys(ListEntry("張 偉", ID15), today=TODAY)
    person = registry_keys(ZHANG_WEI)
    assert (row.id.id18, row.name, row.pinyin, row.birth_date) == (ID18, "张伟", "zhang wei", BORN)
    assert (person.id18, person.name, person.pinyin, person.birth_date) == (ID18, "张伟", "zhang wei", BORN)


def test_2_8_explain_writes_the_plain_kinds_from_the_template_sql_fills() -> None:
    """The set-based step fills plain_template in SQL; explain and best_match give exactly the same texts."""
    exact = match("张伟", ID18)
    assert exact is not None and exact.kind is MatchKind.EXACT_ID
    assert exact.explanation == plain_template(MatchKind.EXACT_ID).format(listed="张伟")
    upgraded = match("张伟", ID15)
    assert upgraded is not None and upgraded.kind is MatchKind.UPGRADED_ID
    assert upgraded.explanation == plain_template(MatchKind.UPGRADED_ID).format(raw=ID15, id18=ID18, listed="张伟")
    unknown = best_match(ListEntry("李明", OTHER_ID), [], today=TODAY)
    assert unknown.kind is MatchKind.NO_MATCH
    assert unknown.explanation == plain_template(MatchKind.NO_MATCH).format(
        id18=OTHER_ID, listed="李明", birth_date=BORN.isoformat()
    )
    assert set(PLAIN_KINDS) == {MatchKind.EXACT_ID, MatchKind.UPGRADED_ID, MatchKind.NO_MATCH}
    with pytest.raises(ValueError, match="not a plain kind"):
        plain_template(MatchKind.HOMOPHONE)
