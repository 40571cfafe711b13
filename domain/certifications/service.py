"""Recording certifications from any source, once (issue 5: 2.6, 4.3, face results, later 2.7).

A report is idempotent by ``(source, source_id)``. A passed report becomes the retiree's certification for that day
— or joins the one already there, replacing its source when it outranks it — and moves ``last_certified_on``
forward (never back: a late-arriving old report changes the history, not the standing). A retiree suspended for
missing certification is resumed by a passed certification dated after the last one they had (rules.
resumes_on_certification), through the status-change log, so the province hears of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.certifications.models import Certification, CertificationReport
from domain.certifications.rules import (
    CertificationSource,
    outranks,
    resumes_on_certification,
)
from domain.dictionary.codes import ReasonCode
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
            retiree.status == Status.SUSPENDED
            and resumes_on_certification(retiree.suspension_reason)
            and report.certified_on <= today
        ):
            await status_log.apply(
                uow,
                actor,
                retiree,
                Resume(ReasonCode.RESUMED_BY_CERTIFICATION),
                effective_date=report.certified_on,
                cause=status_log.Cause(CauseType.EVENT if report.event_id else CauseType.STAFF, report.event_id),
                remarks="完成资格认证，自动恢复发放",
            )
            outcome = Outcome.RESUMED
    await _audit(uow, actor, retiree, report, "certification.recorded")
    return outcome


async def _audit(uow: UnitOfWork, actor: Actor, retiree: Retiree, report: Report, action: str) -> None:
    await trail.record_many(uow.session, actor, [_audit_record(retiree.personal_number, report, action)])


def _audit_record(personal_number: str, report: Report, action: str) -> trail.AuditRecord:
    return trail.AuditRecord(
        action,
        retiree_id=report.retiree_id,
        target=personal_number,
        detail={
            "source": report.source.value,
            "source_id": report.source_id,
            "certified_on": report.certified_on.isoformat(),
            "event": report.event_id,
        },
    )


# The set-based statements of record_many: arrays in, one statement each, compiled once.
_INSERT_REPORTS = text(
    """
    INSERT INTO certification_report
        (retiree_id, source, source_id, method, certified_on, result, certified_by, location_code, event_id)
    SELECT * FROM unnest(CAST(:retiree_ids AS bigint[]), CAST(:sources AS text[]), CAST(:source_ids AS text[]),
                         CAST(:methods AS text[]), CAST(:days AS date[]), CAST(:results AS text[]),
                         CAST(:certified_by AS text[]), CAST(:locations AS text[]), CAST(:events AS text[]))
    ON CONFLICT ON CONSTRAINT uq_certification_report_source DO NOTHING
    RETURNING id, source, source_id
    """
)
_SAME_DAY = text(
    """
    SELECT c.id, c.retiree_id, c.source FROM certification c
    JOIN unnest(CAST(:retiree_ids AS bigint[]), CAST(:days AS date[])) AS v(retiree_id, certified_on)
      ON c.retiree_id = v.retiree_id AND c.certified_on = v.certified_on
    FOR UPDATE OF c
    """
)
_INSERT_CERTIFICATIONS = text(
    """
    INSERT INTO certification (retiree_id, certified_on, source, method, certified_by, location_code)
    SELECT * FROM unnest(CAST(:retiree_ids AS bigint[]), CAST(:days AS date[]), CAST(:sources AS text[]),
                         CAST(:methods AS text[]), CAST(:certified_by AS text[]), CAST(:locations AS text[]))
    RETURNING id, retiree_id
    """
)
_OUTRANKED = text(
    """
    UPDATE certification c SET source = v.source, method = v.method, certified_by = v.certified_by
    FROM unnest(CAST(:ids AS bigint[]), CAST(:sources AS text[]), CAST(:methods AS text[]),
                CAST(:certified_by AS text[])) AS v(id, source, method, certified_by)
    WHERE c.id = v.id
    """
)
_LINK_REPORTS = text(
    """
    UPDATE certification_report r SET certification_id = v.certification_id
    FROM unnest(CAST(:report_ids AS bigint[]), CAST(:certification_ids AS bigint[])) AS v(id, certification_id)
    WHERE r.id = v.id
    """
)
_STANDING_FORWARD = text(
    """
    UPDATE retiree r SET last_certified_on = v.certified_on
    FROM unnest(CAST(:retiree_ids AS bigint[]), CAST(:days AS date[])) AS v(id, certified_on)
    WHERE r.id = v.id AND (r.last_certified_on IS NULL OR r.last_certified_on < v.certified_on)
    """
)


async def record_many(uow: UnitOfWork, actor: Actor, reports: Sequence[tuple[str, Report]]) -> None:
    """:func:`record` for many reports, each of a different retiree (given with their personal number) whom no
    report can resume — the caller holds their row locks and sends anyone suspended for missing certification
    through :func:`record`. The same effects, audit entries included, in a handful of statements whatever the number."""
    if not reports:
        return
    session = uow.session
    numbers = {report.retiree_id: number for number, report in reports}
    if len(numbers) < len(reports):
        raise ValueError("record_many takes one report per retiree")
    new = {
        (row.source, row.source_id): row.id
        for row in await session.execute(
            _INSERT_REPORTS,
            {
                "retiree_ids": [r.retiree_id for _, r in reports],
                "sources": [r.source.value for _, r in reports],
                "source_ids": [r.source_id for _, r in reports],
                "methods": [r.method for _, r in reports],
                "days": [r.certified_on for _, r in reports],
                "results": ["passed" if r.passed else "failed" for _, r in reports],
                "certified_by": [r.certified_by for _, r in reports],
                "locations": [r.location_code for _, r in reports],
                "events": [r.event_id for _, r in reports],
            },
        )
    }
    fresh = [r for _, r in reports if (r.source.value, r.source_id) in new]  # the others: already recorded
    passed = [r for r in fresh if r.passed]
    audit = [_audit_record(numbers[r.retiree_id], r, "certification.failed_attempt") for r in fresh if not r.passed]
    if passed:
        await _certify_many(session, passed, new)
        audit += [_audit_record(numbers[r.retiree_id], r, "certification.recorded") for r in passed]
    await trail.record_many(session, actor, audit)


async def _certify_many(session: AsyncSession, passed: list[Report], report_ids: dict[tuple[str, str], int]) -> None:
    """Each passed report becomes or joins its retiree's certification of the day, and moves the standing forward."""
    retiree_ids, days = [r.retiree_id for r in passed], [r.certified_on for r in passed]
    same_day = {
        row.retiree_id: row for row in await session.execute(_SAME_DAY, {"retiree_ids": retiree_ids, "days": days})
    }
    created = [r for r in passed if r.retiree_id not in same_day]
    certification_of = {retiree_id: row.id for retiree_id, row in same_day.items()}
    if created:
        rows = await session.execute(
            _INSERT_CERTIFICATIONS,
            {
                "retiree_ids": [r.retiree_id for r in created],
                "days": [r.certified_on for r in created],
                "sources": [r.source.value for r in created],
                "methods": [r.method for r in created],
                "certified_by": [r.certified_by for r in created],
                "locations": [r.location_code for r in created],
            },
        )
        certification_of.update({row.retiree_id: row.id for row in rows})
    outranking = [
        r
        for r in passed
        if r.retiree_id in same_day and outranks(r.source, CertificationSource(same_day[r.retiree_id].source))
    ]
    if outranking:
        await session.execute(
            _OUTRANKED,
            {
                "ids": [same_day[r.retiree_id].id for r in outranking],
                "sources": [r.source.value for r in outranking],
                "methods": [r.method for r in outranking],
                "certified_by": [r.certified_by for r in outranking],
            },
        )
    await session.execute(
        _LINK_REPORTS,
        {
            "report_ids": [report_ids[(r.source.value, r.source_id)] for r in passed],
            "certification_ids": [certification_of[r.retiree_id] for r in passed],
        },
    )
    await session.execute(_STANDING_FORWARD, {"retiree_ids": retiree_ids, "days": days})


async def history(uow: UnitOfWork, retiree_id: int) -> list[CertificationReport]:
    """Every report about the retiree, newest first (6.13)."""
    rows = await uow.session.execute(
        select(CertificationReport)
        .where(col(CertificationReport.retiree_id) == retiree_id)
        .order_by(col(CertificationReport.certified_on).desc(), col(CertificationReport.id).desc())
    )
    return list(rows.scalars().all())
