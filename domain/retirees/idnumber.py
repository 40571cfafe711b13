"""Resident identity numbers (GB 11643-1999): parsing, the ISO 7064 MOD 11-2 check character, the upgrade of legacy
15-character numbers, and the cross-check of birth date and sex against the number.

Every message is meant for staff and says exactly what is wrong, in Chinese; ``code`` is stable for machines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SEX_LABELS = {"1": "男", "2": "女"}


class InvalidIdNumber(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_character(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _birth_date(digits: str) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError as error:
        raise InvalidIdNumber("ID_BIRTH_DATE", f"身份证号码中的出生日期 {digits} 不是有效日期") from error
    if born.year < 1900 or born > date.today():
        raise InvalidIdNumber("ID_BIRTH_DATE", f"身份证号码中的出生日期 {digits} 不在合理范围内")
    return born


@dataclass(frozen=True)
class IdNumber:
    value: str

    @property
    def area_code(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> date:
        return _birth_date(self.value[6:14])

    @property
    def sex(self) -> str:
        """GB/T 2261.1: the order code's last digit is odd for men ("1"), even for women ("2")."""
        return "1" if int(self.value[16]) % 2 else "2"

    @classmethod
    def parse(cls, raw: str) -> IdNumber:
        text = raw.strip().upper()
        if len(text) == 15:
            if not text.isdigit():
                raise InvalidIdNumber("ID_CHARACTERS", "15位旧身份证号码只能由数字组成")
            # Legacy numbers have a two-digit year of the 1900s and no check character.
            first17 = f"{text[:6]}19{text[6:]}"
            _birth_date(first17[6:14])
            return cls(first17 + check_character(first17))
        if len(text) != 18:
            raise InvalidIdNumber("ID_LENGTH", f"身份证号码长度应为18位（或15位旧号码），实为{len(text)}位")
        if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
            raise InvalidIdNumber("ID_CHARACTERS", "身份证号码前17位应为数字，最后一位应为数字或X")
        _birth_date(text[6:14])
        expected = check_character(text[:17])
        if text[17] != expected:
            raise InvalidIdNumber("ID_CHECK_CHARACTER", f"身份证号码校验位错误：应为 {expected}，实为 {text[17]}")
        return cls(text)

    def cross_check(self, birth_date: date | None, sex: str | None) -> None:
        """Refuse a declared birth date or sex that contradicts the number ("0"/"9" sex codes are not checked)."""
        if birth_date is not None and birth_date != self.birth_date:
            raise InvalidIdNumber(
                "ID_BIRTH_MISMATCH",
                f"出生日期 {birth_date.isoformat()} 与身份证号码中的出生日期 {self.birth_date.isoformat()} 不一致",
            )
        if sex in _SEX_LABELS and sex != self.sex:
            raise InvalidIdNumber(
                "ID_SEX_MISMATCH", f"性别“{_SEX_LABELS[sex]}”与身份证号码中的性别“{_SEX_LABELS[self.sex]}”不一致"
            )


def make_id_number(area_code: str, birth: date, sequence: int, sex: str) -> str:
    """A valid number for generators: ``sequence`` (0-499) picks the order code, whose last digit carries the sex."""
    if not 0 <= sequence <= 499:
        raise ValueError("sequence must be within 0..499")
    order = sequence * 2 + (1 if sex == "1" else 0)
    first17 = f"{area_code}{birth:%Y%m%d}{order:03d}"
    return first17 + check_character(first17)
