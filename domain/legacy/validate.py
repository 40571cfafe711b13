"""Checking one row of the export, before it is staged: pure functions, no database.

Each returns the row as its staging table holds it (values normalised: ID numbers to 18 characters, dates parsed,
codes mapped to this registry's) together with its first refusal, if any — a :class:`Refusal` with a stable code,
the export's column and the Chinese sentence staff read ("AC01.csv 第12行 aac002（身份证号码）：…"). The checks that
need other rows (duplicates, a person without an archive, an unknown community) are set-based, in reconcile.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from domain.legacy.schema import FIELD_LABELS, CodeList, Mapping, TableCode
from domain.retirees.idnumber import IdNumber, InvalidIdNumber


class RefusalCode(StrEnum):
    MISSING_VALUE = "MISSING_VALUE"
    BAD_ID_NUMBER = "BAD_ID_NUMBER"  # the ID number's own fault (length, area code, date, check character) in detail
    BAD_DATE = "BAD_DATE"
    UNKNOWN_CODE = "UNKNOWN_CODE"  # a code the mapping (the dictionary) does not know any more
    BAD_AMOUNT = "BAD_AMOUNT"
    DUPLICATE_PERSON = "DUPLICATE_PERSON"  # the same ID number on an earlier AC01 row
    DUPLICATE_ROW = "DUPLICATE_ROW"  # a code or personal number given twice in the same table
    NO_ARCHIVE = "NO_ARCHIVE"  # a person without an IC10 row
    NO_PERSON = "NO_PERSON"  # an IC10/AC60/AEF1 row whose person is not in AC01
    PERSON_REFUSED = "PERSON_REFUSED"  # a row of a person refused for another reason
    UNKNOWN_COMMUNITY = "UNKNOWN_COMMUNITY"  # an archive naming a community neither in AF02 nor in the registry
    UNKNOWN_PARENT = "UNKNOWN_PARENT"  # a street whose district, or a community whose street, is unknown
    NUMBER_TAKEN = "NUMBER_TAKEN"  # the personal number belongs to another ID number in the registry
    CHANGE_BEFORE_REGISTRATION = "CHANGE_BEFORE_REGISTRATION"  # a change dated before the person's registration


REFUSAL_LABELS = {
    RefusalCode.MISSING_VALUE: "必填项为空",
    RefusalCode.BAD_ID_NUMBER: "身份证号码错误",
    RefusalCode.BAD_DATE: "日期无法识别",
    RefusalCode.UNKNOWN_CODE: "代码不在字典中",
    RefusalCode.BAD_AMOUNT: "金额无法识别",
    RefusalCode.DUPLICATE_PERSON: "重复人员",
    RefusalCode.DUPLICATE_ROW: "重复记录",
    RefusalCode.NO_ARCHIVE: "无离退休档案",
    RefusalCode.NO_PERSON: "人员不存在",
    RefusalCode.PERSON_REFUSED: "所属人员被拒绝",
    RefusalCode.UNKNOWN_COMMUNITY: "管理社区不存在",
    RefusalCode.UNKNOWN_PARENT: "上级机构不存在",
    RefusalCode.NUMBER_TAKEN: "个人编号已被他人使用",
    RefusalCode.CHANGE_BEFORE_REGISTRATION: "变更早于登记日期",
}

_SEPARATED = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")

Problem = tuple[str, str, str] | tuple[None, None, None]
_CLEAN: Problem = (None, None, None)


@dataclass(frozen=True)
class Refusal(Exception):
    code: RefusalCode
    column: str
    message: str


def parse_date(text: str) -> date | None:
    """2008-03-05, 2008/3/5, 2008.03.05, 20080305, 2008年3月5日, with or without a time; None if none of them."""
    match = _SEPARATED.match(text) or _COMPACT.match(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


class _Row:
    """One row being checked: raises :class:`Refusal` at its first fault."""

    def __init__(self, mapping: Mapping, table: TableCode, row_no: int, fields: dict[str, str]) -> None:
        self.mapping, self.table, self.row_no, self.fields = mapping, table, row_no, fields

    def refuse(self, code: RefusalCode, name: str, detail: str) -> Refusal:
        column = self.mapping.column(self.table, name)
        where = f"{self.mapping.tables[self.table].file} 第{self.row_no}行 {column}（{FIELD_LABELS[name]}）"
        return Refusal(code, column, f"{where}：{detail}")

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self.fields.get(name, "").replace("\u3000", " ").strip()
        if not value:
            if required:
                raise self.refuse(RefusalCode.MISSING_VALUE, name, "为空")
            return None
        return value

    def date(self, name: str, today: date, *, required: bool = True) -> date | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        parsed = parse_date(value)
        if parsed is None:
            raise self.refuse(RefusalCode.BAD_DATE, name, f"“{value}”不是有效日期")
        if parsed > today:
            raise self.refuse(RefusalCode.BAD_DATE, name, f"{parsed.isoformat()} 晚于今天")
        return parsed

    def code(self, name: str, codes: CodeList, *, required: bool = True) -> str | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        mapped = self.mapping.codes[codes].get(value)
        if mapped is None:
            known = "、".join(self.mapping.codes[codes])
            raise self.refuse(RefusalCode.UNKNOWN_CODE, name, f"代码“{value}”不在字典中（可用：{known}）")
        return mapped


def _refusal(error: Refusal) -> Problem:
    return (error.code.value, error.column, error.message)


def unit_row(mapping: Mapping, table: TableCode, row_no: int, fields: dict[str, str]) -> tuple[object, ...]:
    """AF08, AF02, AB01: (code, name, parent_code) + problem."""
    row = _Row(mapping, table, row_no, fields)
    values: tuple[object, ...] = (fields.get("code") or None, fields.get("name") or None, fields.get("parent_code"))
    try:
        values = (row.text("code"), row.text("name"), row.text("parent_code") if table != TableCode.AB01 else None)
    except Refusal as error:
        return (*values, *_refusal(error))
    return (*values, *_CLEAN)


def person_row(mapping: Mapping, row_no: int, fields: dict[str, str], today: date) -> tuple[object, ...]:
    """AC01: (personal_number, id_number, id_upgraded, name, sex, birth_date, employer_code) + problem."""
    row = _Row(mapping, TableCode.AC01, row_no, fields)
    number = fields.get("personal_number") or None
    try:
        number = row.text("personal_number")
        raw_id = row.text("id_number") or ""
        try:
            id_number = IdNumber.parse(raw_id, today=today)
        except InvalidIdNumber as error:
            raise row.refuse(RefusalCode.BAD_ID_NUMBER, "id_number", f"“{raw_id}”{error.message}") from error
        name = " ".join((row.text("name") or "").split())
        sex = row.code("sex", CodeList.SEX)
        birth = row.date("birth_date", today, required=False) or id_number.birth_date
        try:
            id_number.cross_check(birth, sex)
        except InvalidIdNumber as error:
            raise row.refuse(RefusalCode.BAD_ID_NUMBER, "id_number", error.message) from error
        employer = row.text("employer_code", required=False)
    except Refusal as error:
        return (number, None, False, fields.get("name") or None, None, None, None, *_refusal(error))
    upgraded = len(raw_id.strip()) == 15
    return (number, id_number.value, upgraded, name, sex, birth, employer, *_CLEAN)


def archive_row(mapping: Mapping, row_no: int, fields: dict[str, str], today: date) -> tuple[object, ...]:
    """IC10: (personal_number, retirement_date, retirement_category, community_code, registered_on, status,
    payment_status, monthly_pension) + problem."""
    row = _Row(mapping, TableCode.IC10, row_no, fields)
    number = fields.get("personal_number") or None
    try:
        number = row.text("personal_number")
        retired = row.date("retirement_date", today)
        category = row.code("retirement_category", CodeList.RETIREMENT_CATEGORY, required=False)
        community = row.text("community_code")
        registered = row.date("registered_on", today)
        status = row.code("status", CodeList.STATUS)
        payment = row.code("payment_status", CodeList.PAYMENT_STATUS)
        pension = row.text("monthly_pension", required=False)
        if pension is not None:
            try:
                pension = str(Decimal(pension).quantize(Decimal("0.01")))
            except InvalidOperation as error:
                raise row.refuse(RefusalCode.BAD_AMOUNT, "monthly_pension", f"“{pension}”不是金额") from error
    except Refusal as error:
        return (number, None, None, None, None, None, None, None, *_refusal(error))
    return (number, retired, category, community, registered, status, payment, pension, *_CLEAN)


def event_row(
    mapping: Mapping, table: TableCode, row_no: int, fields: dict[str, str], today: date
) -> tuple[object, ...]:
    """AC60 (kind ``certified``) and AEF1: (personal_number, kind, on_date, reason) + problem."""
    row = _Row(mapping, table, row_no, fields)
    number = fields.get("personal_number") or None
    try:
        number = row.text("personal_number")
        kind = "certified" if table == TableCode.AC60 else row.code("kind", CodeList.CHANGE_KIND)
        on = row.date("on_date", today)
        reason = row.text("reason", required=False) if table == TableCode.AEF1 else None
    except Refusal as error:
        return (number, None, None, None, *_refusal(error))
    return (number, kind, on, reason, *_CLEAN)
