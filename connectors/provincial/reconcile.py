"""Reconciliation between the registry and the provincial platform (issue 4, deliverable 4; 6.22).

:func:`reconcile` walks a range of personal numbers page by page: the platform's ``GetStatusDigest`` gives, per
person, the payment status (``aae116``), the person status code and a SHA-256 digest of the base info; for the same
sub-range the registry's retirees are streamed (one query per page, never the whole table) and the digest the
platform *should* have is computed from them. Every person whose digests disagree becomes a :class:`Difference`
with a cause, a Chinese detail for staff and the action that repairs it:

- ``missing_in_registry``: the platform knows the person, the registry does not -> ``repull``;
- ``missing_at_platform``: the registry knows the person, the platform does not -> ``report`` (staff check);
- ``status_differs``: payment status or person status differ. If the person has status-change entries the platform
  has not acknowledged (pending, sent or failed) the detail names them and the action is ``resend``; otherwise
  ``repull``;
- ``base_info_differs``: the base info differs; ``GetRetiree`` is asked which fields, the detail names them ->
  ``repull``.

The expected status mirrors what the platform does with our pushes (the simulator's ``_BUSINESS_EFFECTS``): a
suspended retiree has ``aae116`` 2 there, a deceased one ``aae116`` 3 and status code 2, a transferred-out one
status code 3.

:func:`repull` fetches people with ``GetRetiree`` and publishes ``retiree.approved`` for each (the registry's handler
refreshes the base info of a known retiree); :func:`resend` puts the unacknowledged ``person_status.changed`` events
of people back into the outbox with the same log entry id, so the platform's idempotency key is the same.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from connectors.provincial.client import ProvincialClient, RequestRefused
from connectors.provincial.feeds import FeedOutput
from connectors.provincial.mapping import RecordRefused, change_event, raw_json
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.retirees.models import Retiree
from domain.status_log.events import PERSON_STATUS_CHANGED, institution_codes, person_status_changed
from domain.status_log.models import StatusChange, SyncState
from hub import metrics
from hub.consumer import OutboxUnitOfWork
from hub.db import SessionFactory
from hub.envelope import Envelope
from hub.errors import InvalidEvent

log = logging.getLogger(__name__)

FEED = "reconciliation"
DEFAULT_PAGE = 5000
# The whole range of personal numbers (LD/T 92 personal numbers are digits, at most 20 of them).
WHOLE_FIRST = "0"
WHOLE_LAST = "9" * 20

# LD/T 92 field -> Retiree column, in the order of the platform's digest (docs/provincial-contract.md, Retiree).
LDT92_COLUMNS: dict[str, str] = {
    "aac001": "personal_number",
    "aac002": "id_number",
    "aac003": "name",
    "aac004": "sex",
    "aac006": "birth_date",
    "aic162": "retirement_date",
    "aic161": "retirement_category",
    "aab034": "insuring_agency_code",
    "aab001": "employer_code",
    "aae116": "payment_status",
    "aic166": "monthly_pension",
    "aae006": "residence_address",
    "aae005": "phone",
    "aic160": "approval_date",
}
FIELD_LABELS: dict[str, str] = {
    "aac001": "个人编号",
    "aac002": "身份证号码",
    "aac003": "姓名",
    "aac004": "性别",
    "aac006": "出生日期",
    "aic162": "退休日期",
    "aic161": "退休类别",
    "aab034": "参保机构",
    "aab001": "单位编号",
    "aae116": "发放状态",
    "aic166": "月养老金",
    "aae006": "居住地址",
    "aae005": "联系电话",
    "aic160": "核准日期",
}
_STATUS_CODE_LABELS = {"1": "在册", "2": "死亡", "3": "转出"}
_UNACKNOWLEDGED = (SyncState.PENDING.value, SyncState.SENT.value, SyncState.FAILED.value)
_RESENDABLE = (SyncState.PENDING.value, SyncState.FAILED.value)


class Cause(StrEnum):
    MISSING_IN_REGISTRY = "missing_in_registry"
    MISSING_AT_PLATFORM = "missing_at_platform"
    STATUS_DIFFERS = "status_differs"
    BASE_INFO_DIFFERS = "base_info_differs"


class Action(StrEnum):
    REPULL = "repull"  # GetRetiree and publish retiree.approved: the registry takes the platform's base info
    RESEND = "resend"  # put the unacknowledged person_status.changed events back into the outbox
    REPORT = "report"  # nothing automatic: staff look into it


@dataclass(frozen=True)
class Difference:
    personal_number: str
    cause: Cause
    detail: str  # Chinese, for staff
    action: Action


@dataclass
class Reconciliation:
    first: str
    last: str
    platform_count: int = 0
    registry_count: int = 0
    compared: int = 0  # people on both sides
    differences: list[Difference] = field(default_factory=list)

    def by_cause(self) -> dict[str, int]:
        """Differences per cause, every cause present (0 when none)."""
        counts = Counter(d.cause.value for d in self.differences)
        return {cause.value: counts.get(cause.value, 0) for cause in Cause}

    def personal_numbers(self, action: Action) -> list[str]:
        """The people whose differences call for ``action``, each once, in order."""
        return list(dict.fromkeys(d.personal_number for d in self.differences if d.action is action))


# -- the digest ------------------------------------------------------------------------------------------------------


def ldt92_text(value: Any) -> str:
    """A value as the platform's digest writes it: dates ISO, amounts with two decimals, absent as ""."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def digest(values: Mapping[str, Any], status_code: str) -> str:
    """SHA-256 (hex) of the 14 LD/T 92 values in the contract's order and the status code, joined with "|"."""
    texts = [ldt92_text(values.get(name)) for name in LDT92_COLUMNS]
    return hashlib.sha256("|".join([*texts, status_code]).encode()).hexdigest()


def expected_status(status: str, payment_status: str) -> tuple[str, str]:
    """(aae116, statusCode) the platform should have after our pushes, for a registry status and payment status."""
    aae116 = {Status.SUSPENDED.value: "2", Status.DECEASED.value: "3"}.get(status, payment_status)
    if status == Status.DECEASED.value:
        status_code = "2"
    elif status in (Status.TRANSFERRING_OUT.value, Status.MOVED_AWAY.value):
        status_code = "3"
    else:
        status_code = "1"
    return aae116, status_code


@dataclass(frozen=True)
class _Registered:
    retiree_id: int
    status: str
    values: dict[str, Any]  # LD/T 92 name -> the registry's value, aae116 as the platform should have it
    status_code: str


_COLUMNS = [col(getattr(Retiree, column)) for column in LDT92_COLUMNS.values()]


def _registered(row: Sequence[Any]) -> _Registered:
    retiree_id, status, *values = row
    ldt92 = dict(zip(LDT92_COLUMNS, values, strict=True))
    aae116, status_code = expected_status(status, ldt92["aae116"])
    ldt92["aae116"] = aae116
    return _Registered(retiree_id, status, ldt92, status_code)


# -- reconcile -------------------------------------------------------------------------------------------------------


async def reconcile(
    sessions: SessionFactory,
    client: ProvincialClient,
    first: str = WHOLE_FIRST,
    last: str = WHOLE_LAST,
    *,
    page: int = DEFAULT_PAGE,
    set_metrics: bool | None = None,
) -> Reconciliation:
    """Compare the range [first, last] of personal numbers on both sides. ``set_metrics`` (default: when the range
    is the whole range) sets ``hub_provincial_reconciliation_differences``."""
    if page < 1:
        raise ValueError("page must be at least 1")
    result = Reconciliation(first, last)
    start = first
    while start <= last:
        reply = await client.status_digest(start, last, page)
        entries = reply.entries
        more = len(entries) >= page and reply.count > len(entries)
        page_last = entries[-1]["aac001"] if more else last
        await _compare_page(sessions, client, start, page_last, entries, result)
        if not more:
            break
        start = page_last + "0"
    if set_metrics if set_metrics is not None else (first <= WHOLE_FIRST and last >= WHOLE_LAST):
        for cause, count in result.by_cause().items():
            metrics.provincial_reconciliation_differences.labels(cause=cause).set(count)
    log.info(
        "reconciled %s..%s: platform %d, registry %d, compared %d, differences %s",
        first,
        last,
        result.platform_count,
        result.registry_count,
        result.compared,
        result.by_cause(),
    )
    return result


async def _compare_page(
    sessions: SessionFactory,
    client: ProvincialClient,
    first: str,
    last: str,
    entries: Sequence[Mapping[str, str]],
    result: Reconciliation,
) -> None:
    platform = {entry["aac001"]: entry for entry in entries}
    result.platform_count += len(platform)
    status_differs: dict[str, tuple[_Registered, Mapping[str, str]]] = {}
    base_differs: dict[str, _Registered] = {}
    personal_number = col(Retiree.personal_number)
    query = (
        select(col(Retiree.id), col(Retiree.status), *_COLUMNS)
        .where(personal_number >= first, personal_number <= last)
        .order_by(personal_number)
        .execution_options(yield_per=1000)
    )
    async with sessions() as session:
        rows = await session.stream(query)
        async for row in rows:
            registered = _registered(tuple(row))
            number = str(registered.values["aac001"])
            result.registry_count += 1
            entry = platform.pop(number, None)
            if entry is None:
                label = STATUS_LABELS.get(Status(registered.status), registered.status)
                result.differences.append(
                    Difference(
                        number,
                        Cause.MISSING_AT_PLATFORM,
                        f"省平台无此人员（本系统状态：{label}），请核实是否已报省平台",
                        Action.REPORT,
                    )
                )
                continue
            result.compared += 1
            if entry.get("digest") == digest(registered.values, registered.status_code):
                continue
            platform_status = (entry.get("aae116", ""), entry.get("statusCode", ""))
            if platform_status != (registered.values["aae116"], registered.status_code):
                status_differs[number] = (registered, entry)
            # The base info alone: the registry's values with the platform's status.
            with_platform_status = {**registered.values, "aae116": platform_status[0]}
            if entry.get("digest") != digest(with_platform_status, platform_status[1]):
                base_differs[number] = registered
        pending = await _unacknowledged(session, [r.retiree_id for r, _ in status_differs.values()])
    for number in platform:  # what is left of the platform's page is unknown here
        result.differences.append(
            Difference(number, Cause.MISSING_IN_REGISTRY, "本系统无此人员，省平台有记录，需重新拉取", Action.REPULL)
        )
    for number, (registered, entry) in status_differs.items():
        result.differences.append(_status_difference(number, registered, entry, pending.get(registered.retiree_id)))
    for number, registered in base_differs.items():
        result.differences.append(await _base_difference(client, number, registered))
    result.differences.sort(key=lambda d: (d.personal_number, d.cause.value))


async def _unacknowledged(session: AsyncSession, retiree_ids: list[int]) -> dict[int, list[StatusChange]]:
    if not retiree_ids:
        return {}
    entries = (
        await session.execute(
            select(StatusChange)
            .where(col(StatusChange.retiree_id).in_(retiree_ids), col(StatusChange.sync_state).in_(_UNACKNOWLEDGED))
            .order_by(col(StatusChange.id))
        )
    ).scalars()
    found: dict[int, list[StatusChange]] = {}
    for entry in entries:
        found.setdefault(entry.retiree_id, []).append(entry)
    return found


def _status_text(aae116: str, status_code: str) -> str:
    return f"发放状态(aae116)={aae116}，人员状态={status_code}（{_STATUS_CODE_LABELS.get(status_code, '未知')}）"


def _status_difference(
    number: str, registered: _Registered, entry: Mapping[str, str], pending: list[StatusChange] | None
) -> Difference:
    platform = _status_text(entry.get("aae116", ""), entry.get("statusCode", ""))
    expected = _status_text(str(registered.values["aae116"]), registered.status_code)
    detail = f"状态不一致：省平台为{platform}；按本系统应为{expected}"
    if not pending:
        return Difference(
            number, Cause.STATUS_DIFFERS, f"{detail}；本系统无未确认的状态变更，需重新拉取", Action.REPULL
        )
    named = "；".join(
        f"{e.entry_id}（{e.sync_state}{'，错误：' + e.sync_error if e.sync_error else ''}）" for e in pending
    )
    return Difference(number, Cause.STATUS_DIFFERS, f"{detail}；未被省平台确认的状态变更：{named}", Action.RESEND)


async def _base_difference(client: ProvincialClient, number: str, registered: _Registered) -> Difference:
    try:
        platform = await client.get_retiree(number)
    except RequestRefused as error:
        return Difference(
            number, Cause.BASE_INFO_DIFFERS, f"基本信息不一致，查询省平台失败：{error.message}", Action.REPULL
        )
    fields = [
        name
        for name in LDT92_COLUMNS
        if name != "aae116" and ldt92_text(platform.get(name)) != ldt92_text(registered.values.get(name))
    ]
    if fields:
        named = "、".join(f"{FIELD_LABELS[name]}({name})" for name in fields)
        detail = f"基本信息不一致：{named}"
    else:
        detail = "基本信息摘要不一致，但逐项比对无差异（省平台可能正在变更），需重新拉取"
    return Difference(number, Cause.BASE_INFO_DIFFERS, detail, Action.REPULL)


# -- repair ----------------------------------------------------------------------------------------------------------


def repull_record(payload: Mapping[str, Any], changed_at: datetime) -> dict[str, Any]:
    """A ChangeRecord-shaped NEW_RETIREE record of a GetRetiree payload; its id depends only on the content."""
    content = hashlib.sha256(raw_json(payload)).hexdigest()
    return {
        "recordId": f"repull:{payload.get('aac001')}:{content}",
        "kind": "NEW_RETIREE",
        "changedAt": changed_at,
        "retiree": dict(payload),
    }


async def repull(
    hub_output: FeedOutput, client: ProvincialClient, personal_numbers: Iterable[str], *, source: str
) -> int:
    """GetRetiree each person and publish ``retiree.approved``; returns how many were published. A person the
    platform does not know or whose record cannot be mapped is logged and skipped."""
    envelopes: list[Envelope] = []
    for number in dict.fromkeys(personal_numbers):
        try:
            payload = await client.get_retiree(number)
        except RequestRefused as error:
            log.warning("repull %s: the platform refused GetRetiree: %s", number, error)
            continue
        now = datetime.now(UTC)
        try:
            envelope = change_event(repull_record(payload, now), source=source, read_at=now)
            hub_output.valid(envelope)
        except (RecordRefused, InvalidEvent) as error:
            log.warning("repull %s: the platform's record cannot be used: %s", number, error)
            continue
        envelopes.append(envelope)
    if envelopes:
        await hub_output.publish(envelopes, FEED)
    return len(envelopes)


async def resend(
    sessions: SessionFactory,
    unit_of_work: Callable[[AsyncSession, str], OutboxUnitOfWork],
    personal_numbers: Iterable[str],
) -> int:
    """Put every pending or failed status-change entry of these people back into the outbox as
    ``person_status.changed`` (same log entry id, so the same idempotency key at the platform); failed entries
    become pending again. Returns the number of events written."""
    numbers = list(dict.fromkeys(personal_numbers))
    if not numbers:
        return 0
    async with sessions() as session, session.begin():
        rows = (
            await session.execute(
                select(StatusChange, Retiree)
                .join(Retiree, col(Retiree.id) == col(StatusChange.retiree_id))
                .where(col(Retiree.personal_number).in_(numbers), col(StatusChange.sync_state).in_(_RESENDABLE))
                .order_by(col(StatusChange.id))
                .with_for_update(of=StatusChange)
            )
        ).all()
        uow = unit_of_work(session, FEED)
        codes = await institution_codes(session, (entry.institution_id for entry, _ in rows))
        for entry, retiree in rows:
            data = _status_event_data(entry, retiree, codes)
            event_id = await uow.publish(PERSON_STATUS_CHANGED, retiree.personal_number, data)
            log.info("resent %s of %s as event %s", entry.entry_id, retiree.personal_number, event_id)
            if entry.sync_state == SyncState.FAILED.value:
                entry.sync_state = SyncState.PENDING.value
                entry.sync_error = None
    return len(rows)


def _status_event_data(entry: StatusChange, retiree: Retiree, codes: Mapping[int, str]) -> dict[str, Any]:
    """The data of the entry's ``person_status.changed``, from the log entry alone, by the one builder every path
    uses (domain.status_log.events), so a resent event says what the original said."""
    assert entry.id is not None
    return person_status_changed(
        personal_number=retiree.personal_number,
        change_kind=entry.kind,
        reason_code=entry.reason_code,
        effective_date=entry.effective_date,
        entered_at=entry.entered_at or datetime.now(UTC),
        institution_id=entry.institution_id,
        codes=codes,
        insuring_agency_code=retiree.insuring_agency_code,
        log_entry_number=entry.id,
        reverses_number=entry.reverses_id,
    )
