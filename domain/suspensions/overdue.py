"""The nightly suspension rules of 4.5, set-based, one chunk per transaction.

- 超过6个月未认证: a registered retiree whose last certification (or, never certified, whose registration at the
  community — staff saw the person then) is more than ``certification_valid_months`` old by the server's date.
- 退休后逾期未登记: an approved retiree not registered ``registration_deadline_days`` after the retirement date.
- 转出后逾期未转入: a retiree transferring out, not taken in ``transfer_in_deadline_days`` after the transfer out.

Each chunk selects the due retirees with one indexed query (``FOR UPDATE SKIP LOCKED``), decides every transition
with the lifecycle's own ``decide`` (so the job and a staff action can never disagree on what a suspension is), and
writes the status changes, the retirees' new state, the events for the province and one audit entry with a
handful of multi-row statements. A suspended retiree no longer matches any rule, so a second run the same day finds
nobody: the job is idempotent, and a crash between chunks loses nothing (the next run carries on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import trail
from domain.certifications.rules import add_months
from domain.dictionary.codes import ReasonCode
from domain.dictionary.service import parameter_int
from domain.retirees.lifecycle import Lifecycle, Status, Suspend, Transition, decide
from domain.shared.actor import Actor
from domain.shared.uow import UnitOfWork
from domain.status_log.events import PERSON_STATUS_CHANGED, institution_codes, person_status_changed
from domain.status_log.models import CauseType, StatusChange, SyncState
from domain.status_log.service import state_json


class Rule(StrEnum):
    CERTIFICATION_OVERDUE = "certification_overdue"
    REGISTRATION_OVERDUE = "registration_overdue"
    TRANSFER_IN_OVERDUE = "transfer_in_overdue"


REASONS: dict[Rule, ReasonCode] = {
    Rule.CERTIFICATION_OVERDUE: ReasonCode.CERTIFICATION_OVERDUE,
    Rule.REGISTRATION_OVERDUE: ReasonCode.REGISTRATION_OVERDUE,
    Rule.TRANSFER_IN_OVERDUE: ReasonCode.TRANSFER_IN_OVERDUE,
}

# Each rule's candidates: the WHERE clause over ``retiree`` and the parameter it needs. ``:before`` is the first
# day that is still in time, so ``< :before`` is an index range scan.
_CONDITIONS: dict[Rule, str] = {
    Rule.CERTIFICATION_OVERDUE: ("status = 'registered' AND coalesce(last_certified_on, registered_on) < :before"),
    Rule.REGISTRATION_OVERDUE: "status = 'approved' AND retirement_date < :before",
    Rule.TRANSFER_IN_OVERDUE: "status = 'transferring_out' AND status_since < :before",
}


@dataclass(frozen=True)
class Cutoffs:
    """For each rule, the earliest reference date that is still in time on ``today``."""

    today: date
    certification: date
    registration: date
    transfer_in: date

    def before(self, rule: Rule) -> date:
        return {
            Rule.CERTIFICATION_OVERDUE: self.certification,
            Rule.REGISTRATION_OVERDUE: self.registration,
            Rule.TRANSFER_IN_OVERDUE: self.transfer_in,
        }[rule]


def earliest_in_time(today: date, valid_months: int) -> date:
    """The earliest last-certification date whose due date (rules.certification_due) is not before ``today``.
    Due dates only grow with the certification date, so everything earlier is overdue and nothing later is."""
    day = add_months(today, -valid_months) - timedelta(days=4)
    while add_months(day, valid_months) < today:
        day += timedelta(days=1)
    return day


async def cutoffs(session: AsyncSession, today: date) -> Cutoffs:
    return Cutoffs(
        today=today,
        certification=earliest_in_time(today, await parameter_int(session, "certification_valid_months")),
        # A deadline of N days from day S is met up to S + N inclusive: S is overdue once S < today - N.
        registration=today - timedelta(days=await parameter_int(session, "registration_deadline_days")),
        transfer_in=today - timedelta(days=await parameter_int(session, "transfer_in_deadline_days")),
    )


# A retiree held by an open batch of the brake (domain/suspensions/brake.py) waits for its decision: the nightly
# run neither suspends nor holds them again.
NOT_HELD = (
    "NOT EXISTS (SELECT 1 FROM suspension_batch_person held "
    "WHERE held.retiree_id = retiree.id AND held.outcome = 'held')"
)


def due(rule: Rule) -> str:
    """The rule's WHERE clause over ``retiree`` (with ``:before``), leaving out the retirees held by the brake."""
    return f"{_CONDITIONS[rule]} AND {NOT_HELD}"


async def count_due(session: AsyncSession, rule: Rule, limits: Cutoffs) -> int:
    query = text(f"SELECT count(*) FROM retiree WHERE {due(rule)}")
    return int((await session.execute(query, {"before": limits.before(rule)})).scalar_one())


_ROW = "SELECT id, personal_number, status, institution_id, suspension_reason, resume_to, insuring_agency_code"


async def suspend_chunk(uow: UnitOfWork, actor: Actor, rule: Rule, limits: Cutoffs, *, size: int = 5000) -> int:
    """Suspend up to ``size`` due retirees in the caller's transaction; return how many."""
    rows = (
        await uow.session.execute(
            text(f"{_ROW} FROM retiree WHERE {due(rule)} ORDER BY id LIMIT :size FOR UPDATE SKIP LOCKED"),
            {"before": limits.before(rule), "size": size},
        )
    ).all()
    return len(await _suspend_rows(uow, actor, rule, rows, limits.today, f"{rule.value}:{limits.today.isoformat()}"))


async def suspend_approved(
    uow: UnitOfWork, actor: Actor, rule: Rule, limits: Cutoffs, retiree_ids: list[int], *, cause_ref: str
) -> list[int]:
    """Suspend, of ``retiree_ids`` (held by the brake and approved), those the rule still finds due on the batch's
    night — anyone certified, registered or moved meanwhile is left alone; return the ids suspended."""
    rows = (
        await uow.session.execute(
            text(f"{_ROW} FROM retiree WHERE {_CONDITIONS[rule]} AND id = ANY(:ids) ORDER BY id FOR UPDATE"),
            {"before": limits.before(rule), "ids": retiree_ids},
        )
    ).all()
    return await _suspend_rows(uow, actor, rule, rows, limits.today, cause_ref)


async def _suspend_rows(
    uow: UnitOfWork, actor: Actor, rule: Rule, rows: Sequence[Any], today: date, cause_ref: str
) -> list[int]:
    """The status changes, the retirees' new state, the events for the province and one audit entry for ``rows``
    (locked by the caller), effective ``today``."""
    session = uow.session
    if not rows:
        return []
    reason = REASONS[rule]
    transitions = [
        decide(
            Lifecycle(
                Status(r.status), r.institution_id, r.suspension_reason, Status(r.resume_to) if r.resume_to else None
            ),
            Suspend(reason),
        )
        for r in rows
    ]
    entry_ids = sorted(
        (
            await session.execute(
                text("SELECT nextval('status_change_id_seq') FROM generate_series(1, :n)"), {"n": len(rows)}
            )
        ).scalars()
    )
    codes = await institution_codes(session, (r.institution_id for r in rows))  # one query for the chunk
    entered_at = datetime.now(UTC)
    events = [
        (
            r.personal_number,
            person_status_changed(
                personal_number=r.personal_number,
                change_kind=t.kind,
                reason_code=t.reason_code,
                effective_date=today,
                entered_at=entered_at,
                institution_id=_institution_of(t),
                codes=codes,
                insuring_agency_code=r.insuring_agency_code,
                log_entry_number=entry_id,
            ),
        )
        for r, t, entry_id in zip(rows, transitions, entry_ids, strict=True)
    ]
    event_ids = await uow.publish_many(PERSON_STATUS_CHANGED, events)
    await session.execute(
        insert(StatusChange),
        [
            _entry(entry_id, r, t, today, cause_ref, actor, event_id)
            for r, t, entry_id, event_id in zip(rows, transitions, entry_ids, event_ids, strict=True)
        ],
    )
    # Every transition is the same suspension from the retiree's current state, so one UPDATE applies them all.
    await session.execute(
        text(
            "UPDATE retiree SET status = 'suspended', suspension_reason = :reason, resume_to = status, "
            "status_since = :today, version = version + 1, updated_at = now() WHERE id = ANY(:ids)"
        ),
        {"reason": reason.value, "today": today, "ids": [r.id for r in rows]},
    )
    await trail.record_bulk(
        session,
        actor,
        "retiree.suspended",
        [r.id for r in rows],
        {"rule": rule.value, "reason": reason.value, "effective_date": today.isoformat(), "cause": cause_ref},
    )
    return [r.id for r in rows]


def _institution_of(t: Transition) -> int | None:
    """The log entry's institution, as status_log.service records it: after the change, else before it."""
    return t.after.institution_id or t.before.institution_id


def _entry(
    entry_id: int, row: Any, t: Transition, today: date, cause_ref: str, actor: Actor, event_id: str
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "retiree_id": row.id,
        "personal_number": row.personal_number,
        "kind": t.kind.value,
        "reason_code": t.reason_code,
        "from_status": t.before.status.value,
        "to_status": t.after.status.value,
        "before_state": state_json(t.before),
        "after_state": state_json(t.after),
        "effective_date": today,
        "institution_id": _institution_of(t),
        "cause_type": CauseType.RULE.value,
        "cause_ref": cause_ref,
        "actor": actor.name,
        "remarks": None,
        "reverses_id": None,
        "event_id": event_id,
        "sync_state": SyncState.PENDING.value,
    }
