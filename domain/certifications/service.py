"""Recording certifications from any source, once (issue 5: 2.6, 4.3, face results, later 2.7).

A report is idempotent by ``(source, source_id)``. A passed report becomes the retiree's certification for that day
— or joins the one already there, replacing its source when it outranks it — and moves ``last_certified_on``
forward (never back: a late-arriving old report changes the history, not the standing). A retiree suspended for
missing certification is resumed by a passed certification dated after the last one they had (rules.
resumes_on_certification), through the status-change log, so the province hears of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from domain.audit import trail
from domain.certifications.models import Certification, CertificationReport
from domain.certifications.rules import (
    RESUMED_BY_CERTIFICATION,
    CertificationSource,
    outranks,
    resumes_on_certification,
)
from domain.retirees.lifecycle import Resume, Status
from domain.retirees.models import Retiree
from domain.shared.actor import Actor
from domain.shared.uow import UnitOfWork
from domain.status_log import service as status_log
from domain.status_log.models import CauseType


@dataclass(frozen=True)
class Report:
    retiree_id: int
    source: CertificationSource
    source_id: str
    method: str
    certified_on: date
    passed: bool
    certified_by: str | None = None
    location_code: str | None = None
    event_id: str | None = None


class Outcome(StrEnum):
    ALREADY_RECORDED = "already_recorded"  # the same source sent the same report again
    FAILED_ATTEMPT = "failed_attempt"  # recorded for the history; changes nothing
    NEW_CERTIFICATION = "new_certification"
    SAME_DAY = "same_day"  # another source's report of a certification already counted
    RESUMED = "resumed"  # new certification, and the retiree's suspension for missing it lifted


async def record(
    uow: UnitOfWork, actor: Actor, report: Report, *, today: date, locked: Retiree | None = None
) -> Outcome:
    """Record one report; ``locked`` is the retiree when the caller already holds their row lock."""
    session = uow.session
    retiree = locked if locked is not None else await status_log.locked_retiree(session, report.retiree_id)
    report_id = (
        await session.execute(
            insert(CertificationReport)
            .values(
                retiree_id=report.retiree_id,
                source=report.source.value,
                source_id=report.source_id,
                method=report.method,
                certified_on=report.certified_on,
                result="passed" if report.passed else "failed",
                certified_by=report.certified_by,
                location_code=report.location_code,
                event_id=report.event_id,
            )
            .on_conflict_do_nothing(constraint="uq_certification_report_source")
            .returning(col(CertificationReport.id))
        )
    ).scalar_one_or_none()
    if report_id is None:
        return Outcome.ALREADY_RECORDED
    if not report.passed:
        await _audit(uow, actor, retiree, report, "certification.failed_attempt")
        return Outcome.FAILED_ATTEMPT

    certification = (
        await session.execute(
            select(Certification)
            .where(
                col(Certification.retiree_id) == report.retiree_id,
                col(Certification.certified_on) == report.certified_on,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    outcome = Outcome.SAME_DAY
    if certification is None:
        certification = Certification(
            retiree_id=report.retiree_id,
            certified_on=report.certified_on,
            source=report.source.value,
            method=report.method,
            certified_by=report.certified_by,
            location_code=report.location_code,
        )
        session.add(certification)
        outcome = Outcome.NEW_CERTIFICATION
    elif outranks(report.source, CertificationSource(certification.source)):
        certification.source, certification.method = report.source.value, report.method
        certification.certified_by = report.certified_by
    await session.flush()
    await session.execute(
        update(CertificationReport)
        .where(col(CertificationReport.id) == report_id)
        .values(certification_id=certification.id)
    )

    previous = retiree.last_certified_on
    if previous is None or report.certified_on > previous:
        retiree.last_certified_on = report.certified_on
        if (
            retiree.status == Status.SUSPENDED.value
            and resumes_on_certification(retiree.suspension_reason)
            and report.certified_on <= today
        ):
            await status_log.apply(
                uow,
                actor,
                retiree,
                Resume(RESUMED_BY_CERTIFICATION),
                effective_date=report.certified_on,
                cause=status_log.Cause(CauseType.EVENT if report.event_id else CauseType.STAFF, report.event_id),
                remarks="完成资格认证，自动恢复发放",
            )
            outcome = Outcome.RESUMED
    await _audit(uow, actor, retiree, report, "certification.recorded")
    return outcome


async def _audit(uow: UnitOfWork, actor: Actor, retiree: Retiree, report: Report, action: str) -> None:
    await trail.record(
        uow.session,
        actor,
        action,
        retiree_id=retiree.id,
        target=retiree.personal_number,
        detail={
            "source": report.source.value,
            "source_id": report.source_id,
            "certified_on": report.certified_on.isoformat(),
            "event": report.event_id,
        },
    )


async def history(uow: UnitOfWork, retiree_id: int) -> list[CertificationReport]:
    """Every report about the retiree, newest first (6.13)."""
    rows = await uow.session.execute(
        select(CertificationReport)
        .where(col(CertificationReport.retiree_id) == retiree_id)
        .order_by(col(CertificationReport.certified_on).desc(), col(CertificationReport.id).desc())
    )
    return list(rows.scalars().all())
