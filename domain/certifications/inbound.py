"""Applying ``certification.recorded`` events to the registry, whatever their source: face-recognition results from
the authentication platform's webhook, the province's copy (2.6), later the ministry's import (2.7).

Runs inside the hub's idempotent consumer; :func:`domain.certifications.service.record` is idempotent by
``(source, certification_id)`` besides, so the same result arriving twice — from a replayed event or from the
platform and the province both — counts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from domain.certifications.rules import CertificationSource
from domain.certifications.service import Report, record
from domain.retirees.inbound import Inbound, RetireeNotYetKnown
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import system_actor
from domain.shared.uow import UnitOfWork

CERTIFICATION_FEED = system_actor("certification-feed")


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
        raise RetireeNotYetKnown("RETIREE_NOT_YET_KNOWN", f"个人编号 {personal_number} 尚未同步到本系统")
    report = Report(
        retiree_id=retiree.id,
        source=CertificationSource(data["source"]),
        source_id=data["certification_id"],
        method=data["method"],
        certified_on=date.fromisoformat(data["certified_on"]),
        passed=data["result"] == "passed",
        certified_by=data.get("certified_by"),
        location_code=data.get("location_code"),
        event_id=inbound.event_id,
    )
    await record(uow, CERTIFICATION_FEED, report, today=today or calendar.today(), locked=retiree)
