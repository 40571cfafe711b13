"""Validating one row of a ministry file (2.7, 2.8), as a pure function: what the row says, what is wrong with it and
which record it is (``record_key``, what makes two rows the same record).

The connector reads the cells (connectors/ministry_import/reader.py: dates, identifiers kept exact, the reader's own
problems per cell); this module adds the rules of the registry: the ID number with its check character and the
15 → 18 upgrade (:meth:`IdNumber.parse`), no certification date after today, the certification method mapped to the
method codes of ``certification.recorded``. Every problem names the row, the column as written in the file and the
field, in Chinese.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from domain.ministry_imports.models import ImportKind, RowOutcome
from domain.retirees.idnumber import IdNumber, InvalidIdNumber
from domain.suspicious.names import normalise_name

# Field names, as the connector's ``Field`` spells them (the domain does not import the connector).
NAME = "name"
ID_NUMBER = "id_number"
PERSONAL_NUMBER = "personal_number"
CERTIFICATION_DATE = "certification_date"
CERTIFICATION_METHOD = "certification_method"
CERTIFICATION_PLACE = "certification_place"

FIELD_LABELS = {
    NAME: "姓名",
    ID_NUMBER: "身份证号",
    PERSONAL_NUMBER: "个人编号",
    CERTIFICATION_DATE: "认证日期",
    CERTIFICATION_METHOD: "认证方式",
    CERTIFICATION_PLACE: "认证地点",
}


class RowProblemCode(StrEnum):
    """The problems the domain finds in a row (the reader's own codes travel alongside as text)."""

    DATE_IN_FUTURE = "DATE_IN_FUTURE"
    UNKNOWN_METHOD = "UNKNOWN_METHOD"
    NOT_IN_REGISTRY = "NOT_IN_REGISTRY"  # set-based, at the end of staging (service.finish_staging)
    PERSONAL_NUMBER_MISMATCH = "PERSONAL_NUMBER_MISMATCH"  # set-based: the personal number is another person's


class CertificationMethod(StrEnum):
    """The method codes of ``certification.recorded`` (schemas/certification.recorded.v1.json)."""

    FACE = "face"
    ON_SITE = "on_site"
    HOME_VISIT = "home_visit"
    VIDEO = "video"
    CROSS_REGION = "cross_region"
    OTHER = "other"


METHOD_LABELS = {
    CertificationMethod.FACE: "人脸识别认证",
    CertificationMethod.ON_SITE: "现场认证",
    CertificationMethod.HOME_VISIT: "上门认证",
    CertificationMethod.VIDEO: "视频认证",
    CertificationMethod.CROSS_REGION: "异地协助认证",
    CertificationMethod.OTHER: "其他",
}

# What the ministry's export tools write in the method column, normalised (NFKC, no spaces, case folded).
_METHOD_ALIASES: dict[str, CertificationMethod] = {
    **{m.value: m for m in CertificationMethod},
    **{
        alias: method
        for method, aliases in {
            CertificationMethod.FACE: ("人脸识别认证", "人脸识别", "人脸认证", "刷脸认证", "刷脸", "自助认证", "1"),
            CertificationMethod.ON_SITE: ("现场认证", "现场", "柜台认证", "窗口认证", "2"),
            CertificationMethod.HOME_VISIT: ("上门认证", "入户认证", "上门", "3"),
            CertificationMethod.VIDEO: ("视频认证", "视频", "远程视频认证", "4"),
            CertificationMethod.CROSS_REGION: ("异地协助认证", "异地认证", "跨地区认证", "协助认证", "异地", "5"),
            CertificationMethod.OTHER: ("其他", "其它", "9"),
        }.items()
        for alias in aliases
    },
}
_SPACES = re.compile(r"\s+")
_DIVISION = re.compile(r"^\d{6}$")


def method_of(text: str) -> CertificationMethod | None:
    """The method a cell names, or None when it names none of them."""
    key = _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _METHOD_ALIASES.get(key)


@dataclass(frozen=True, slots=True)
class Column:
    """How a field's column is named in the file: its header as written and its letter."""

    header: str
    letter: str

    @property
    def label(self) -> str:
        return f"“{self.header}”列（{self.letter}列）"


@dataclass(frozen=True, slots=True)
class RawRow:
    """One row as the reader gave it: mapped fields as text (dates ISO), the date fields as dates, the reader's
    problems as documents ``{column, field, code, message}``."""

    row_number: int
    fields: Mapping[str, str]
    dates: Mapping[str, date] = field(default_factory=dict)
    problems: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True, slots=True)
class StagedRow:
    """One row as it is staged (``ministry_import_row``)."""

    row_number: int
    name: str | None
    id_number: str | None
    id_number_18: str | None
    personal_number: str | None
    fields: dict[str, str]
    problems: list[dict[str, Any]]
    outcome: RowOutcome
    record_key: str | None


def problem(row: int, column: Column | None, field_name: str | None, code: str, reason: str) -> dict[str, Any]:
    where = f"第{row}行{column.label}" if column is not None else f"第{row}行"
    return {
        "column": column.header if column is not None else "",
        "field": field_name,
        "code": code,
        "message": f"{where}：{reason}",
    }


def validate(kind: ImportKind, raw: RawRow, columns: Mapping[str, Column], *, today: date) -> StagedRow:
    """The staged form of one row of a ``kind`` file. ``columns`` names the file's column of each field."""
    problems = [dict(p) for p in raw.problems]
    reported = {p.get("field") for p in problems}
    fields = dict(raw.fields)
    number = raw.row_number
    id_text = fields.get(ID_NUMBER)
    id_18: str | None = None
    if id_text and ID_NUMBER not in reported:
        try:
            id_18 = IdNumber.parse(id_text, today=today).value
        except InvalidIdNumber as error:
            problems.append(problem(number, columns.get(ID_NUMBER), ID_NUMBER, error.code.value, error.message))
    name = fields.get(NAME)
    record_key: str | None = None
    if kind is ImportKind.CROSS_REGION_CERTIFICATIONS:
        certified_on = raw.dates.get(CERTIFICATION_DATE)
        if certified_on is not None and certified_on > today:
            problems.append(
                problem(
                    number,
                    columns.get(CERTIFICATION_DATE),
                    CERTIFICATION_DATE,
                    RowProblemCode.DATE_IN_FUTURE,
                    f"认证日期 {certified_on.isoformat()} 晚于今天（{today.isoformat()}）",
                )
            )
        method_text = fields.get(CERTIFICATION_METHOD)
        if method_text and CERTIFICATION_METHOD not in reported:
            method = method_of(method_text)
            if method is None:
                known = "、".join(METHOD_LABELS.values())
                problems.append(
                    problem(
                        number,
                        columns.get(CERTIFICATION_METHOD),
                        CERTIFICATION_METHOD,
                        RowProblemCode.UNKNOWN_METHOD,
                        f"认证方式“{method_text[:40]}”无法识别，可填写：{known}",
                    )
                )
            else:
                fields["method_code"] = method.value
        if id_18 is not None and certified_on is not None:
            record_key = f"{kind.value}:{id_18}:{certified_on.isoformat()}"
    elif id_18 is not None:
        record_key = f"{kind.value}:{id_18}"
    elif name and not id_text:
        record_key = f"{kind.value}:name:{normalise_name(name)}"
    return StagedRow(
        row_number=number,
        name=name,
        id_number=id_text,
        id_number_18=id_18,
        personal_number=fields.get(PERSONAL_NUMBER),
        fields=fields,
        problems=problems,
        outcome=RowOutcome.EXCEPTION if problems else RowOutcome.VALID,
        record_key=record_key if not problems else None,
    )


def certification_id(record_key: str) -> str:
    """The certification id of a 2.7 record: derived from the record key, so a record sent again (in a corrected
    file, or a later file) is the same certification (certifications are idempotent by source and id)."""
    return "XR-" + hashlib.sha256(record_key.encode()).hexdigest()[:40]


def place_of(text: str | None) -> dict[str, str]:
    """The certifying place as the event carries it: a six-digit division code, or the institution's name."""
    if not text:
        return {}
    if _DIVISION.match(text):
        return {"location_code": text}
    return {"certified_by": text[:100]}


def certification_event(
    personal_number: str, record_key: str, fields: Mapping[str, Any], certified_on: str
) -> dict[str, Any]:
    """The ``certification.recorded`` payload of one valid 2.7 row."""
    return {
        "personal_number": personal_number,
        "certification_id": certification_id(record_key),
        "source": "ministry_import",
        "method": fields.get("method_code") or CertificationMethod.CROSS_REGION.value,
        "certified_on": certified_on,
        "result": "passed",
        **place_of(fields.get(CERTIFICATION_PLACE)),
    }
