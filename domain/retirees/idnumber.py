"""Resident identity numbers (公民身份号码, GB 11643-1999): parsing what staff, the province and the mobile
channel send, the ISO 7064 MOD 11-2 check character, the upgrade of legacy 15-character numbers to 18, and the
cross-check of a declared birth date and sex against the number, and the area code against every GB/T 2260 division
ever assigned (python-stdnum's ``cn/loc`` table, abolished divisions included: a number keeps the code of the
division that issued it). Every refusal is an :class:`InvalidIdNumber` whose
``code`` is stable for machines and whose Chinese ``message`` tells staff exactly what is wrong. ``make_id_number``
builds valid numbers for the seed generator and the test factories.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import mul

from stdnum import numdb

from domain.shared import calendar
from domain.shared.errors import ErrorCode

# GB 11643-1999: weight of position i (1-based, left to right) is 2^(18-i) mod 11.
_WEIGHTS = bytes((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))
# Weighted sums are taken over ASCII codes in one C-level pass (the seed generator builds a million numbers), so the
# contribution of the "0" code point (48) at every position is taken back out.
_ASCII_ZERO_BIAS = ord("0") * sum(_WEIGHTS)
_CHECK = "10X98765432"
_SEX_LABELS = {"1": "男", "2": "女"}
_EARLIEST_BIRTH_YEAR = 1900


class InvalidIdNumber(ValueError):
    """An identity number refused by GB 11643-1999 or contradicted by declared data.

    ``code`` is one of ID_LENGTH, ID_CHARACTERS, ID_AREA_CODE, ID_BIRTH_DATE, ID_CHECK_CHARACTER, ID_BIRTH_MISMATCH
    and ID_SEX_MISMATCH; ``message`` is what staff read.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _is_digits(text: str) -> bool:
    # str.isdigit() alone also accepts "²" or Arabic-Indic digits, which int() or the check sum would then choke on.
    return text.isascii() and text.isdigit()


def check_character(first17: str) -> str:
    """The 18th character of a number whose first 17 digits are ``first17`` (ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not _is_digits(first17):
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    return _check_digits(first17)


def _check_digits(first17: str) -> str:
    return _CHECK[(sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _ASCII_ZERO_BIAS) % 11]


def _normalise(raw: str) -> str:
    # Staff paste numbers from Word or type them with a Chinese IME: NFKC folds full-width digits and "ｘ" to ASCII,
    # and spaces typed to group the digits (or a full-width space) are dropped rather than reported.
    return "".join(unicodedata.normalize("NFKC", raw).split()).upper()


def _check_characters(text: str) -> None:
    last = len(text) - 1
    for position, character in enumerate(text):
        if "0" <= character <= "9" or (position == last == 17 and character == "X"):
            continue
        expected = "数字或X" if position == last == 17 else "数字"
        raise InvalidIdNumber(ErrorCode.ID_CHARACTERS, f"身份证号码第{position + 1}位应为{expected}，实为“{character}”")


_area_codes: frozenset[str] | None = None


def area_codes() -> frozenset[str]:
    """Every GB/T 2260 county-level code (6 digits) ever assigned, abolished ones included, read once on first use from
    python-stdnum's ``cn/loc`` table (about 6,900 codes; provinces of 2 digits, counties of 4 below them)."""
    global _area_codes  # a lazily built constant: parsing must not pay the reading of the table
    if _area_codes is None:
        codes: set[str] = set()
        for length, low, high, _props, counties in numdb.get("cn/loc").prefixes:
            for province in range(int(low), int(high) + 1):
                for county_length, county_low, county_high, _county_props, _children in counties:
                    codes.update(
                        f"{province:0{length}d}{county:0{county_length}d}"
                        for county in range(int(county_low), int(county_high) + 1)
                    )
        _area_codes = frozenset(code for code in codes if len(code) == 6)
    return _area_codes


def _check_area(text: str) -> None:
    if text[:6] not in (_area_codes or area_codes()):
        raise InvalidIdNumber(ErrorCode.ID_AREA_CODE, f"身份证号码前六位 {text[:6]} 不是有效的行政区划代码")


def _real_date(digits: str) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as error:
        raise InvalidIdNumber(ErrorCode.ID_BIRTH_DATE, f"身份证号码中的出生日期 {digits} 不是有效日期") from error
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise InvalidIdNumber(ErrorCode.ID_BIRTH_DATE, f"身份证号码中的出生日期 {digits} 早于{_EARLIEST_BIRTH_YEAR}年")
    return born


@dataclass(frozen=True)
class IdNumber:
    """A valid 18-character number (upper-case X). Build it with :meth:`parse`; direct construction is checked too
    (except for a birth date in the future, which depends on the day), so every instance is well-formed."""

    value: str

    def __post_init__(self) -> None:
        if len(self.value) != 18:
            raise InvalidIdNumber(
                ErrorCode.ID_LENGTH, f"身份证号码长度应为18位（或15位旧号码），实为{len(self.value)}位"
            )
        _check_characters(self.value)
        _check_area(self.value)
        _real_date(self.value[6:14])
        expected = check_character(self.value[:17])
        if self.value[17] != expected:
            raise InvalidIdNumber(
                ErrorCode.ID_CHECK_CHARACTER, f"身份证号码校验位错误：应为 {expected}，实为 {self.value[17]}"
            )

    def __str__(self) -> str:
        return self.value

    @property
    def area_code(self) -> str:
        """The administrative division (GB/T 2260) where the number was issued, e.g. "130102" for 长安区."""
        return self.value[:6]

    @property
    def birth_date(self) -> date:
        return date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def sex(self) -> str:
        """GB/T 2261.1 code: the order code's last digit is odd for men ("1"), even for women ("2")."""
        return "1" if int(self.value[16]) % 2 else "2"

    @classmethod
    def parse(cls, raw: str, *, today: date | None = None) -> IdNumber:
        """Validate and normalise ``raw``; a legacy 15-character number comes back upgraded to 18 characters.

        ``today`` (default: the system date) bounds the birth date; tests pass it to stay deterministic.
        """
        text = _normalise(raw)
        if len(text) == 15:
            _check_characters(text)
            _check_area(text)
            # Legacy numbers (issued before 1999) carry a two-digit year, always of the 1900s, and no check character.
            first17 = f"{text[:6]}19{text[6:]}"
            _real_date(first17[6:14])
            text = first17 + check_character(first17)
        elif len(text) != 18:
            raise InvalidIdNumber(ErrorCode.ID_LENGTH, f"身份证号码长度应为18位（或15位旧号码），实为{len(text)}位")
        number = cls(text)
        if number.birth_date > (today or calendar.today()):
            raise InvalidIdNumber(ErrorCode.ID_BIRTH_DATE, f"身份证号码中的出生日期 {text[6:14]} 晚于今天")
        return number

    def cross_check(self, birth_date: date | None, sex: str | None) -> None:
        """Refuse a declared birth date or sex that contradicts the number.

        Missing values are not checked, nor are the GB/T 2261.1 codes "0" (unknown) and "9" (unspecified).
        """
        if birth_date is not None and birth_date != self.birth_date:
            raise InvalidIdNumber(
                ErrorCode.ID_BIRTH_MISMATCH,
                f"出生日期 {birth_date.isoformat()} 与身份证号码中的出生日期 {self.birth_date.isoformat()} 不一致",
            )
        if sex in _SEX_LABELS and sex != self.sex:
            raise InvalidIdNumber(
                ErrorCode.ID_SEX_MISMATCH,
                f"性别“{_SEX_LABELS[sex]}”与身份证号码中的性别“{_SEX_LABELS[self.sex]}”不一致",
            )


def make_id_number(area_code: str, birth: date, sequence: int, sex: str) -> str:
    """A valid number for generators and factories.

    ``sequence`` (0-499) picks the 3-digit order code ``2 * sequence`` (women) or ``2 * sequence + 1`` (men), so the
    code's last digit carries the sex; distinct (area, birth, sequence, sex) give distinct numbers.
    """
    # The seed generator calls this a million times in a row, so the checks are ordered cheapest first and the area
    # code (one of a few dozen) is validated once per value.
    if sex == "1":
        odd = 1
    elif sex == "2":
        odd = 0
    else:
        raise ValueError(f"sex must be '1' or '2', got {sex!r}")
    if not 0 <= sequence <= 499:
        raise ValueError(f"sequence must be within 0..499, got {sequence}")
    if birth.year < _EARLIEST_BIRTH_YEAR:
        raise ValueError(f"birth must be in {_EARLIEST_BIRTH_YEAR} or later, got {birth}")
    _check_area_code(area_code)
    first17 = f"{area_code}{birth.isoformat().replace('-', '')}{sequence * 2 + odd:03d}"
    return first17 + _check_digits(first17)


@lru_cache(maxsize=4096)
def _check_area_code(area_code: str) -> None:
    if len(area_code) != 6 or not _is_digits(area_code):
        raise ValueError(f"area_code must be 6 digits, got {area_code!r}")
    if area_code not in area_codes():
        raise ValueError(f"area_code must be a GB/T 2260 division (past or present), got {area_code!r}")
