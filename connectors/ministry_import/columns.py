"""What a ministry batch file must hold: the fields of each file kind, the header names each field is accepted under
(Chinese, English and the LD-T codes such as ``aac002``), whether it is required, and how long a cell may be.

Header matching ignores spaces (half- and full-width), letter case, full-width forms and a trailing colon (``：`` or
``:``), so ``身份证号：``, ``ID_Number`` and ``ＡＡＣ００２`` all find their field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Field(StrEnum):
    """A field a ministry file can carry, named as the staging tables will name it."""

    NAME = "name"
    ID_NUMBER = "id_number"
    PERSONAL_NUMBER = "personal_number"
    CERTIFICATION_DATE = "certification_date"
    CERTIFICATION_METHOD = "certification_method"
    CERTIFICATION_PLACE = "certification_place"


class FieldKind(StrEnum):
    """How a cell is read: plain text, an identifier kept as exact text, or a date."""

    TEXT = "text"
    IDENTIFIER = "identifier"  # digits that must never pass through a float; full-width forms folded to half-width
    DATE = "date"


class FileKind(StrEnum):
    """The kinds of ministry batch file the hub imports (the function point each one serves)."""

    CROSS_REGION_CERTIFICATIONS = "cross_region_certifications"  # 2.7
    SUSPICIOUS_LIST = "suspicious_list"  # 2.8


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field: its Chinese label for messages, every header it is accepted under, and its limits."""

    field: Field
    label_zh: str
    headers: tuple[str, ...]
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    max_length: int = 100


@dataclass(frozen=True, slots=True)
class FileSpec:
    """The fields one kind of file carries. ``max_cell_length`` bounds the cells of unknown (kept-aside) columns."""

    kind: FileKind
    title_zh: str
    fields: tuple[FieldSpec, ...]
    max_cell_length: int = 500

    def header_index(self) -> dict[str, FieldSpec]:
        """Every accepted header, normalised, to the field it names."""
        return {normalise_header(name): spec for spec in self.fields for name in spec.headers}


_SPACES = re.compile(r"\s+")


def normalise_header(text: str) -> str:
    """The comparable form of a header cell: full-width folded (NFKC), spaces removed, trailing colon dropped, case
    folded."""
    folded = unicodedata.normalize("NFKC", text).lstrip("\ufeff")
    folded = _SPACES.sub("", folded).rstrip(":：")
    return folded.casefold()


_NAME = FieldSpec(Field.NAME, "姓名", ("姓名", "aac003", "name", "xm"), max_length=50)
_ID_NUMBER = FieldSpec(
    Field.ID_NUMBER,
    "身份证号",
    ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "aac002", "id_number", "idnumber", "sfzh"),
    kind=FieldKind.IDENTIFIER,
    max_length=18,
)
_PERSONAL_NUMBER = FieldSpec(
    Field.PERSONAL_NUMBER,
    "个人编号",
    ("个人编号", "个人编码", "社保编号", "aac001", "personal_number"),
    kind=FieldKind.IDENTIFIER,
    required=False,
    max_length=30,
)

CROSS_REGION_CERTIFICATIONS = FileSpec(
    kind=FileKind.CROSS_REGION_CERTIFICATIONS,
    title_zh="跨地区资格认证结果",
    fields=(
        _NAME,
        _ID_NUMBER,
        _PERSONAL_NUMBER,
        FieldSpec(
            Field.CERTIFICATION_DATE,
            "认证日期",
            ("认证日期", "认证时间", "certification_date", "certified_on"),
            kind=FieldKind.DATE,
            max_length=30,
        ),
        FieldSpec(
            Field.CERTIFICATION_METHOD,
            "认证方式",
            ("认证方式", "认证类型", "certification_method", "method"),
            max_length=50,
        ),
        FieldSpec(
            Field.CERTIFICATION_PLACE,
            "认证地点",
            ("认证地点", "认证地", "认证机构", "certification_place", "place"),
            max_length=100,
        ),
    ),
)
"""2.7: certifications done in another region, sent by the ministry."""

SUSPICIOUS_LIST = FileSpec(
    kind=FileKind.SUSPICIOUS_LIST,
    title_zh="疑点数据名单",
    fields=(_NAME, _ID_NUMBER),
)
"""2.8: the ministry's list of suspicious records (possible deaths, double payments) to check."""
