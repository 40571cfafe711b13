"""LD/T 92 records of the provincial platform <-> the hub's canonical events (docs/provincial-contract.md).

Only this module knows the platform's field names (``aac001`` …). Inbound: each ``ChangeRecord`` of the SOAP feed
(2.1, 2.2, 2.4, 2.5, 2.6, 1.5) and each ``exchange.person_change`` row (2.3) becomes one event whose id is derived
from the record's stable id, so reading a record twice publishes the same event twice and the registry applies it
once. A record that cannot be mapped raises :class:`RecordRefused` naming the field and the problem. Outbound: a
``person_status.changed`` event (6.22) becomes the ``BusinessRecord`` pushed back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.retirees.idnumber import IdNumber, InvalidIdNumber
from domain.shared.event_types import EventType
from hub.envelope import Envelope

RECORD_EVENT_NAMESPACE = uuid.UUID("a3f4e1c2-7b5d-4e8f-9c0a-1d2e3f405162")
EXCHANGE_EVENT_NAMESPACE = uuid.UUID("b8c9d0e1-2f3a-4b5c-8d6e-7f8091a2b3c4")


class RecordRefused(Exception):
    """A platform record the hub cannot turn into a valid event; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def record_event_id(record_id: str) -> str:
    return str(uuid.uuid5(RECORD_EVENT_NAMESPACE, record_id))


def exchange_event_id(row_id: int) -> str:
    return str(uuid.uuid5(EXCHANGE_EVENT_NAMESPACE, str(row_id)))


def raw_json(record: Mapping[str, Any]) -> bytes:
    """The record as read, for a dead letter (dates and amounts as their text)."""
    return json.dumps(record, ensure_ascii=False, default=str, sort_keys=True).encode()


# -- inbound: the SOAP change feed ---------------------------------------------------------------------------------

_PAYLOAD_ELEMENT = {
    "EMPLOYER": "employer",
    "NEW_RETIREE": "retiree",
    "PAYMENT_STATUS": "paymentStatus",
    "ADJUSTMENT": "adjustment",
    "CERTIFICATION": "certification",
    "CORRECTION": "correction",
}
_CERT_METHODS = {"1": "face", "2": "on_site", "3": "home_visit", "4": "video", "9": "other"}
_CERT_RESULTS = {"1": "passed", "0": "failed"}
_EMPLOYER_STATUS = {"1": "active", "2": "closed"}
_CORRECTABLE = {
    "aac002": "id_number",
    "aac003": "name",
    "aac004": "sex",
    "aac006": "birth_date",
    "aic162": "retirement_date",
    "aic161": "retirement_category",
    "aab001": "employer_code",
    "aab034": "insuring_agency_code",
}


def change_event(record: Mapping[str, Any], *, source: str, read_at: datetime) -> Envelope:
    """The canonical event of one ChangeRecord; RecordRefused if it cannot be one."""
    record_id = _text(record, "recordId")
    kind = _text(record, "kind")
    changed_at = record.get("changedAt")
    if not isinstance(changed_at, datetime):
        raise RecordRefused("changedAt", "缺少变更时间或格式错误")
    if changed_at.tzinfo is None:
        changed_at = changed_at.replace(tzinfo=UTC)
    element = _PAYLOAD_ELEMENT.get(kind)
    if element is None:
        raise RecordRefused("kind", f"不支持的变更类型 {kind!r}")
    payload = record.get(element)
    if not isinstance(payload, Mapping):
        raise RecordRefused(element, f"变更类型 {kind} 缺少数据元素 {element}")
    event_type, subject, data = _INBOUND[kind](payload, changed_at)
    envelope = Envelope.new(event_type, subject, _without_none(data), source=source, time=changed_at)
    event_id = record_event_id(record_id)
    return replace(envelope, id=event_id, correlation_id=event_id, read_at=read_at)


Mapped = tuple[EventType, str, dict[str, Any]]  # (event type, subject, data)


def _employer(p: Mapping[str, Any], _: datetime) -> Mapped:
    status = _EMPLOYER_STATUS.get(_text(p, "aab021"))
    if status is None:
        raise RecordRefused("employer.aab021", f"单位状态代码 {p.get('aab021')!r} 无效（应为1或2）")
    code = _text(p, "aab001")
    return (
        EventType.EMPLOYER_SYNCED,
        code,
        {
            "employer_code": code,
            "name": _text(p, "aab004"),
            "credit_code": p.get("aab003"),
            "insuring_agency_code": _text(p, "aab034"),
            "address": p.get("aae006"),
            "contact_person": p.get("aae004"),
            "contact_phone": p.get("aae005"),
            "status": status,
        },
    )


def _new_retiree(p: Mapping[str, Any], changed_at: datetime) -> Mapped:
    personal_number = _text(p, "aac001")
    birth_date = _date(p, "aac006")
    sex = _text(p, "aac004")
    try:
        id_number = IdNumber.parse(_text(p, "aac002"))
        id_number.cross_check(birth_date, sex)
    except InvalidIdNumber as error:
        raise RecordRefused("retiree.aac002", error.message) from error
    approval = p.get("aic160")
    return (
        EventType.RETIREE_APPROVED,
        personal_number,
        {
            "personal_number": personal_number,
            "id_number": id_number.value,
            "name": _text(p, "aac003"),
            "sex": sex,
            "birth_date": birth_date.isoformat(),
            "retirement_date": _date(p, "aic162").isoformat(),
            "retirement_category": p.get("aic161"),
            "insuring_agency_code": _text(p, "aab034"),
            "employer_code": p.get("aab001"),
            "payment_status": _text(p, "aae116"),
            "monthly_pension": _money(p.get("aic166")),
            "residence_address": p.get("aae006"),
            "phone": p.get("aae005"),
            # aic160 is optional in the WSDL: the record's own date stands in for an approval date left blank.
            "approval_date": (approval if isinstance(approval, date) else changed_at.date()).isoformat(),
        },
    )


def _payment_status(p: Mapping[str, Any], _: datetime) -> Mapped:
    personal_number = _text(p, "aac001")
    return (
        EventType.PAYMENT_STATUS_CHANGED,
        personal_number,
        {
            "personal_number": personal_number,
            "old_status": _text(p, "oldAae116"),
            "new_status": _text(p, "newAae116"),
            "reason_code": _text(p, "aae160"),
            "effective_date": _date(p, "aae035").isoformat(),
        },
    )


def _adjustment(p: Mapping[str, Any], _: datetime) -> Mapped:
    personal_number = _text(p, "aac001")
    month = _text(p, "aae041")
    if len(month) != 6 or not month.isdigit():
        raise RecordRefused("adjustment.aae041", f"执行年月 {month!r} 应为YYYYMM")
    return (
        EventType.PENSION_ADJUSTED,
        personal_number,
        {
            "personal_number": personal_number,
            "adjustment_year": int(p["aae001"]) if p.get("aae001") is not None else None,
            "batch_id": _text(p, "batchNo"),
            "amount_before": _money(p.get("amountBefore")),
            "amount_after": _money(p.get("amountAfter")),
            "increase": _money(p.get("increase")),
            "effective_month": f"{month[:4]}-{month[4:]}",
        },
    )


def _certification(p: Mapping[str, Any], _: datetime) -> Mapped:
    personal_number = _text(p, "aac001")
    method = _CERT_METHODS.get(_text(p, "certMethod"))
    if method is None:
        raise RecordRefused("certification.certMethod", f"认证方式代码 {p.get('certMethod')!r} 无效")
    result = _CERT_RESULTS.get(_text(p, "certResult"))
    if result is None:
        raise RecordRefused("certification.certResult", f"认证结果代码 {p.get('certResult')!r} 无效（应为1或0）")
    return (
        EventType.CERTIFICATION_RECORDED,
        personal_number,
        {
            "personal_number": personal_number,
            "certification_id": _text(p, "certNo"),
            "source": "provincial_sync",
            "method": method,
            "certified_on": _date(p, "certDate").isoformat(),
            "result": result,
            "certified_by": p.get("certOrg"),
        },
    )


def _correction(p: Mapping[str, Any], _: datetime) -> Mapped:
    personal_number = _text(p, "aac001")
    changes = {
        name: (value.isoformat() if isinstance(value, date) else value)
        for field, name in _CORRECTABLE.items()
        if (value := p.get(field)) is not None
    }
    if not changes:
        raise RecordRefused("correction", "更正记录没有任何更正字段")
    if "id_number" in changes:
        try:
            changes["id_number"] = IdNumber.parse(changes["id_number"]).value
        except InvalidIdNumber as error:
            raise RecordRefused("correction.aac002", error.message) from error
    return (
        EventType.RETIREE_CORRECTED,
        personal_number,
        {"personal_number": personal_number, "changes": changes, "reason": _text(p, "aae013")},
    )


_INBOUND: dict[str, Callable[[Mapping[str, Any], datetime], Mapped]] = {
    "EMPLOYER": _employer,
    "NEW_RETIREE": _new_retiree,
    "PAYMENT_STATUS": _payment_status,
    "ADJUSTMENT": _adjustment,
    "CERTIFICATION": _certification,
    "CORRECTION": _correction,
}


# -- inbound: the exchange database (2.3) --------------------------------------------------------------------------

_PERSON_CHANGE_FIELD = {
    "ADDRESS": "residence_address",
    "PHONE": "phone",
    "EMPLOYER": "employer_code",
    "INSURANCE_STATUS": "insurance_status",
    "RETIRED_STATUS": "retired_status",
    "PAYMENT_STATUS": "payment_status",
    "NAME": "name",
    "DEATH": "death_date",
}


def person_change_event(row: Mapping[str, Any], *, source: str, read_at: datetime) -> Envelope:
    """The ``retiree.changed`` event of one exchange.person_change row."""
    row_id = row.get("row_id")
    if not isinstance(row_id, int):
        raise RecordRefused("row_id", "交换库记录缺少行号")
    kind = str(row.get("change_kind") or "")
    field = _PERSON_CHANGE_FIELD.get(kind)
    if field is None:
        raise RecordRefused("change_kind", f"不支持的人员变更类型 {kind!r}")
    personal_number = _text(row, "aac001")
    value = row.get("new_value")
    if value is None or str(value).strip() == "":
        raise RecordRefused("new_value", f"{kind} 变更缺少新值")
    effective = row.get("effective_date")
    if not isinstance(effective, date):
        raise RecordRefused("effective_date", "缺少生效日期")
    synced_at = row.get("synced_at")
    occurred = datetime.combine(effective, datetime.min.time(), UTC)
    if isinstance(synced_at, datetime):
        occurred = synced_at if synced_at.tzinfo else synced_at.replace(tzinfo=UTC)
    data = {
        "personal_number": personal_number,
        "change_kind": kind,
        "effective_date": effective.isoformat(),
        "exchange_row_id": str(row_id),
        "changes": {field: str(value).strip()},
        "remarks": row.get("remarks"),
    }
    envelope = Envelope.new(
        EventType.RETIREE_CHANGED, personal_number, _without_none(data), source=source, time=occurred
    )
    event_id = exchange_event_id(row_id)
    return replace(envelope, id=event_id, correlation_id=event_id, read_at=read_at)


# -- outbound: the status-change feed (6.22) -----------------------------------------------------------------------

BUSINESS_TYPES = {
    "registered": "REGISTER",
    "supplementary_info_recorded": "SUPPLEMENT",
    "transferred_out": "TRANSFER_OUT",
    "transferred_in": "TRANSFER_IN",
    "suspended": "SUSPEND",
    "resumed": "RESUME",
    "deceased": "DEATH",
    "error_restored": "ERROR_RESTORE",
    "institution_changed": "ORG_CHANGE",  # 4.8: moved to another community by a split or merge
}


def business_record(data: Mapping[str, Any]) -> dict[str, Any]:
    """The BusinessRecord of one ``person_status.changed`` event. The idempotency key is the log entry's id
    (``SCL-…``): stable however often the entry is pushed, and what ``reversesRecord`` names."""
    record: dict[str, Any] = {
        "idempotencyKey": data["log_entry_id"],
        "aac001": data["personal_number"],
        "businessType": BUSINESS_TYPES[data["change_kind"]],
        "reasonCode": data["reason_code"],
        "effectiveDate": date.fromisoformat(data["effective_date"]),
        "enteredAt": datetime.fromisoformat(data["entered_at"]),
        "orgCode": data["institution_code"],
    }
    if data.get("reverses_entry_id"):
        record["reversesRecord"] = data["reverses_entry_id"]
    return record


# -- helpers ---------------------------------------------------------------------------------------------------------


def _text(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if value is None or str(value).strip() == "":
        raise RecordRefused(name, f"缺少必填字段 {name}")
    return str(value).strip()


def _date(payload: Mapping[str, Any], name: str) -> date:
    value = payload.get(name)
    if isinstance(value, date):
        return value
    raise RecordRefused(name, f"字段 {name} 缺失或不是日期")


def _money(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return f"{Decimal(str(value)):.2f}"
    except ArithmeticError as error:
        raise RecordRefused("amount", f"金额 {value!r} 无效") from error


def _without_none(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}
