"""Applying lifecycle transitions and keeping the status-change log (6.22).

:func:`apply` is the only way a retiree's state changes: it asks the state machine, writes the log entry, moves the
retiree and, when the province has to be told, publishes ``person_status.changed`` through the outbox — all in the
caller's transaction, so either everything happens or nothing does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import ChangeKind, Command, Lifecycle, Status, Transition, decide, restore
from domain.retirees.models import Retiree
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode, NotFound
from domain.shared.uow import UnitOfWork
from domain.status_log.events import PERSON_STATUS_CHANGED, institution_codes, person_status_changed
from domain.status_log.models import CauseType, StatusChange, SyncState


@dataclass(frozen=True)
class Cause:
    type: CauseType
    ref: str | None = None  # the event id, application id, rule name … that caused the change


def state_json(state: Lifecycle) -> dict[str, Any]:
    document = asdict(state)
    document["status"] = state.status.value
    document["resume_to"] = state.resume_to.value if state.resume_to else None
    return document


def _state_from_json(document: dict[str, Any]) -> Lifecycle:
    return Lifecycle(
        Status(document["status"]),
        document.get("institution_id"),
        document.get("suspension_reason"),
        Status(document["resume_to"]) if document.get("resume_to") else None,
    )


async def apply(
    uow: UnitOfWork,
    actor: Actor,
    retiree: Retiree,
    command: Command,
    *,
    effective_date: date,
    cause: Cause,
    tell_province: bool = True,
    remarks: str | None = None,
) -> StatusChange:
    """Decide and record one lifecycle command; IllegalTransition leaves everything as it was."""
    transition = decide(retiree.lifecycle, command)
    return await _record(uow, actor, retiree, transition, effective_date, cause, tell_province, remarks, None)


async def restore_in_error(
    uow: UnitOfWork,
    actor: Actor,
    entry_id: int,
    *,
    retiree_id: int,
    remarks: str | None = None,
    reason_code: ReasonCode = ReasonCode.ERROR_RESTORED,
) -> StatusChange:
    """Error restoration: a new entry that returns the retiree to the state before ``entry_id``; never an edit.
    ``reason_code`` says why when it is not an error (TCAN: a transfer cancelled before it was taken in, 4.4)."""
    session = uow.session
    entry = await session.get(StatusChange, entry_id)
    if entry is None or entry.retiree_id != retiree_id:
        raise NotFound(ErrorCode.STATUS_CHANGE_NOT_FOUND, f"未找到状态变更记录 {entry_id}")
    retiree = await locked_retiree(session, entry.retiree_id)
    if entry.kind == ChangeKind.ERROR_RESTORED:
        raise DomainError(ErrorCode.RESTORE_OF_RESTORATION, "差错恢复记录不能再次差错恢复")
    already = await session.execute(select(col(StatusChange.id)).where(col(StatusChange.reverses_id) == entry_id))
    if already.first() is not None:
        raise DomainError(ErrorCode.ALREADY_RESTORED, "该变更已做过差错恢复")
    transition = restore(
        retiree.lifecycle, _state_from_json(entry.before_state), _state_from_json(entry.after_state), reason_code
    )
    cause = Cause(CauseType.STAFF if actor.kind == "staff" else CauseType.EVENT, entry.entry_id)
    return await _record(uow, actor, retiree, transition, entry.effective_date, cause, True, remarks, entry)


async def locked_retiree(session: AsyncSession, retiree_id: int) -> Retiree:
    retiree = (
        await session.execute(select(Retiree).where(col(Retiree.id) == retiree_id).with_for_update())
    ).scalar_one_or_none()
    if retiree is None:
        raise NotFound(ErrorCode.RETIREE_NOT_FOUND, "未找到该人员")
    return retiree


async def _record(
    uow: UnitOfWork,
    actor: Actor,
    retiree: Retiree,
    transition: Transition,
    effective_date: date,
    cause: Cause,
    tell_province: bool,
    remarks: str | None,
    reverses: StatusChange | None,
) -> StatusChange:
    session = uow.session
    assert retiree.id is not None
    entry = StatusChange(
        retiree_id=retiree.id,
        personal_number=retiree.personal_number,
        kind=transition.kind.value,
        reason_code=transition.reason_code,
        from_status=transition.before.status.value,
        to_status=transition.after.status.value,
        before_state=state_json(transition.before),
        after_state=state_json(transition.after),
        effective_date=effective_date,
        institution_id=transition.after.institution_id or transition.before.institution_id,
        cause_type=cause.type.value,
        cause_ref=cause.ref,
        actor=actor.name,
        remarks=remarks,
        reverses_id=reverses.id if reverses else None,
        sync_state=(SyncState.PENDING if tell_province else SyncState.NOT_SENT).value,
    )
    session.add(entry)
    await session.flush()
    retiree.move_to(transition.after, effective_date)
    retiree.updated_at = datetime.now(UTC)
    if transition.kind is ChangeKind.DECEASED and retiree.death_date is None:
        retiree.death_date = effective_date
    if reverses is not None and reverses.kind == ChangeKind.DECEASED:
        retiree.death_date = None  # a death recorded in error (4.6): the person is alive
    if transition.kind in (ChangeKind.REGISTERED, ChangeKind.TRANSFERRED_IN):
        retiree.registered_on = effective_date
    if tell_province:
        assert entry.id is not None
        data = person_status_changed(
            personal_number=retiree.personal_number,
            change_kind=transition.kind,
            reason_code=transition.reason_code,
            effective_date=effective_date,
            entered_at=datetime.now(UTC),
            institution_id=entry.institution_id,
            codes=await institution_codes(session, [entry.institution_id]),
            insuring_agency_code=retiree.insuring_agency_code,
            log_entry_number=entry.id,
            reverses_number=reverses.id if reverses else None,
        )
        entry.event_id = await uow.publish(PERSON_STATUS_CHANGED, retiree.personal_number, data)
    await trail.record(
        session,
        actor,
        f"retiree.{transition.kind.value}",
        retiree_id=retiree.id,
        target=retiree.personal_number,
        detail={
            "entry": entry.entry_id,
            "from": transition.before.status.value,
            "to": transition.after.status.value,
            "reason": transition.reason_code,
            "effective_date": effective_date.isoformat(),
        },
    )
    return entry


async def history(session: AsyncSession, retiree_id: int) -> list[StatusChange]:
    query = select(StatusChange).where(col(StatusChange.retiree_id) == retiree_id).order_by(col(StatusChange.id))
    return list((await session.execute(query)).scalars().all())


_STATE_ON = text(
    """
    SELECT e.after_state
    FROM status_change e
    WHERE e.retiree_id = :retiree_id
      AND e.effective_date <= :on
      AND e.entered_at <= :known_at
      AND e.kind <> 'error_restored'
      AND NOT EXISTS (
          SELECT 1 FROM status_change x WHERE x.reverses_id = e.id AND x.entered_at <= :known_at
      )
    ORDER BY e.effective_date DESC, e.id DESC
    LIMIT 1
    """
)


async def state_on(
    session: AsyncSession, retiree: Retiree, on: date, *, known_at: datetime | None = None
) -> Lifecycle | None:
    """The retiree's state on date ``on`` as the registry knew it at ``known_at`` (default: now). Changes later
    restored as errors count as never made. None if the retiree was not yet in the registry then."""
    known_at = known_at or datetime.now(UTC)
    if retiree.created_at is not None and retiree.created_at > known_at:
        return None
    row = (await session.execute(_STATE_ON, {"retiree_id": retiree.id, "on": on, "known_at": known_at})).first()
    if row is not None:
        return _state_from_json(row[0])
    if retiree.approval_date is not None and retiree.approval_date > on:
        return None
    return Lifecycle(Status.APPROVED)


def entry_number(log_entry_id: str) -> int | None:
    """The log row of an entry id as the province sees it (``SCL-000000000123`` -> 123)."""
    prefix, _, digits = log_entry_id.partition("-")
    return int(digits) if prefix == "SCL" and digits.isdigit() else None


async def record_acknowledgement(session: AsyncSession, log_entry_id: str, receipt_no: str) -> bool:
    """6.22: the province acknowledged the entry. Returns False if it was acknowledged already (a push repeated)."""
    number = entry_number(log_entry_id)
    if number is None:
        return False
    result = await session.execute(
        text(
            "UPDATE status_change SET sync_state = 'acknowledged', acknowledged_at = now(),"
            " sent_at = coalesce(sent_at, now()), receipt_no = :receipt, sync_error = NULL"
            " WHERE id = :id AND sync_state <> 'acknowledged'"
        ),
        {"id": number, "receipt": receipt_no},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def is_acknowledged(session: AsyncSession, log_entry_id: str) -> bool:
    return log_entry_id in await acknowledged_among(session, [log_entry_id])


async def acknowledged_among(session: AsyncSession, log_entry_ids: Sequence[str]) -> set[str]:
    """Which of the entries the province has acknowledged already, in one query."""
    numbers = {number: entry_id for entry_id in log_entry_ids if (number := entry_number(entry_id)) is not None}
    if not numbers:
        return set()
    rows = await session.execute(
        select(col(StatusChange.id)).where(
            col(StatusChange.id).in_(list(numbers)), col(StatusChange.sync_state) == SyncState.ACKNOWLEDGED.value
        )
    )
    return {numbers[number] for number in rows.scalars() if number is not None}


async def record_push_failure(session: AsyncSession, log_entry_id: str, reason: str) -> None:
    """6.22: the push failed for good (dead-lettered); an operator resends it after looking at the reason."""
    number = entry_number(log_entry_id)
    if number is not None:
        await session.execute(
            text(
                "UPDATE status_change SET sync_state = 'failed', sync_error = :reason"
                " WHERE id = :id AND sync_state <> 'acknowledged'"
            ),
            {"id": number, "reason": reason[:2000]},
        )
