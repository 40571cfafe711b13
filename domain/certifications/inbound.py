"""Applying ``certification.recorded`` events to the registry, whatever their source: face-recognition results from
the authentication platform's webhook, the province's copy (2.6), later the ministry's import (2.7).

Runs inside the hub's idempotent consumer; :func:`domain.certifications.service.record` is idempotent by
``(source, certification_id)`` besides, so the same result arriving twice — from a replayed event or from the
platform and the province both — counts once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from domain.certifications.rules import CertificationSource, resumes_on_certification
from domain.certifications.service import Report, record, record_many
from domain.retirees.inbound import Inbound, RetireeNotYetKnown
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import system_actor
from domain.shared.errors import ErrorCode
from domain.shared.uow import UnitOfWork

CERTIFICATION_FEED = system_actor("certification-feed")


def _report(data: Mapping[str, Any], inbound: Inbound, retiree_id: int) -> Report:
    return Report(
        retiree_id=retiree_id,
        source=CertificationSource(data["source"]),
        source_id=data["certification_id"],
        method=data["method"],
        certified_on=date.fromisoformat(data["certified_on"]),
        passed=data["result"] == "passed",
        certified_by=data.get("certified_by"),
        location_code=data.get("location_code"),
        event_id=inbound.event_id,
    )


async def on_certification_recorded(
    data: Mapping[str, Any], inbound: Inbound, uow: UnitOfWork, *, today: date | None = None
) -> None:
    personal_number = data["personal_number"]
    retiree = (
        await uow.session.execute(
            select(Retiree).where(col(Retiree.personal_number) == personal_number).with_for_update()
        )
    ).scalar_one_or_none()
    if retiree is None or retiree.id is None:
        raise RetireeNotYetKnown(ErrorCode.RETIREE_NOT_YET_KNOWN, f"个人编号 {personal_number} 尚未同步到本系统")
    report = _report(data, inbound, retiree.id)
    await record(uow, CERTIFICATION_FEED, report, today=today or calendar.today(), locked=retiree)


async def on_certifications_recorded(
    items: Sequence[tuple[Mapping[str, Any], Inbound]], uow: UnitOfWork, *, today: date | None = None
) -> None:
    """Many reports, one per retiree (a proof-of-life season brings tens of thousands of face results a day): the
    effect of :func:`on_certification_recorded` for each. Reports of retirees a certification could resume (suspended
    for missing it) go one by one, through the status-change log that tells the province; the rest are recorded
    set-based (service.record_many). A retiree not known yet raises, and the hub applies the run one by one, which
    waits for exactly that retiree; so does a run in which one source's certification id appears twice."""
    ids = {(data["source"], data["certification_id"]) for data, _ in items}
    if len(ids) < len(items):
        # One source's certification id in two reports (of two retirees: the source broke its promise of unique
        # ids). One by one, the first is recorded and the second found recorded already; set-based, both would count
        # as new. The hub applies such a run one by one.
        raise ValueError("同一批认证结果中，同一来源的认证编号出现了两次")
    numbers = [data["personal_number"] for data, _ in items]
    found = {
        row.personal_number: row
        for row in await uow.session.execute(
            select(col(Retiree.id), col(Retiree.personal_number), col(Retiree.status), col(Retiree.suspension_reason))
            .where(col(Retiree.personal_number).in_(numbers))
            .order_by(col(Retiree.id))
            .with_for_update()
        )
    }
    missing = [number for number in numbers if number not in found]
    if missing:
        raise RetireeNotYetKnown(
            ErrorCode.RETIREE_NOT_YET_KNOWN, f"个人编号 {missing[0]} 等 {len(missing)} 人尚未同步到本系统"
        )

    def may_resume(number: str) -> bool:
        row = found[number]
        return row.status == Status.SUSPENDED and resumes_on_certification(row.suspension_reason)

    bulk = [
        (data["personal_number"], _report(data, inbound, found[data["personal_number"]].id))
        for data, inbound in items
        if not may_resume(data["personal_number"])
    ]
    await record_many(uow, CERTIFICATION_FEED, bulk)
    for data, inbound in items:
        if may_resume(data["personal_number"]):
            await on_certification_recorded(data, inbound, uow.caused_by(inbound.event_id), today=today)
