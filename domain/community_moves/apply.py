"""Applying a community move (4.8), chunk by chunk, each chunk one transaction.

A chunk locks the move, takes the next members not yet done (their retirees locked), and for those still in the
source decides the institution change with the lifecycle's own ``decide`` and writes, set-based: the status-change
log entries (6.22, kind ``institution_changed``, reason ORG, the legal effective date, the institution before and
after), the ``person_status.changed`` events for the province through the outbox (the one builder,
domain/status_log/events.py: ``institution_code`` is the new community's), the retirees' new institution, one audit
entry naming every retiree of the chunk, the members marked done and the progress advanced. A member no longer in the
source when its chunk runs is marked skipped. So a runner killed anywhere leaves either a whole chunk or none of it,
and the next run carries on: nobody is moved, logged or sent twice.

The last chunk completes the move; a merge then takes in anyone who joined the source meanwhile, deactivates the
source and moves or deactivates its staff accounts, as the operator chose.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.community_moves.models import (
    OPEN_STATES,
    AccountHandling,
    CommunityMove,
    MemberOutcome,
    MoveKind,
    MoveState,
)
from domain.community_moves.service import MOVABLE
from domain.retirees.lifecycle import ChangeInstitution, Lifecycle, Status, Transition, decide
from domain.shared.actor import system_actor
from domain.shared.errors import IllegalTransition
from domain.shared.uow import UnitOfWork
from domain.status_log.events import PERSON_STATUS_CHANGED, institution_codes, person_status_changed
from domain.status_log.models import CauseType, SyncState
from domain.status_log.service import state_json

MOVES_ACTOR = system_actor("community-moves")
DEFAULT_CHUNK = 2000

_NEXT = text(
    """
    SELECT r.id, r.personal_number, r.status, r.institution_id, r.suspension_reason, r.resume_to,
           r.insuring_agency_code
    FROM community_move_member m JOIN retiree r ON r.id = m.retiree_id
    WHERE m.move_id = :move AND NOT m.done
    ORDER BY m.retiree_id
    LIMIT :size
    FOR UPDATE OF r
    """
)


_ENTRIES = text(
    """
    INSERT INTO status_change (id, retiree_id, personal_number, kind, reason_code, from_status, to_status,
                               before_state, after_state, effective_date, institution_id, cause_type, cause_ref,
                               actor, remarks, event_id, sync_state)
    SELECT e.id, e.retiree_id, e.personal_number, :kind, :reason, e.status, e.status, e.before_state::jsonb,
           e.after_state::jsonb, :effective, :institution, :cause_type, :cause_ref, :actor, :remarks, e.event_id, :sync
    FROM unnest(CAST(:ids AS bigint[]), CAST(:retirees AS bigint[]), CAST(:numbers AS text[]),
                CAST(:statuses AS text[]), CAST(:befores AS text[]), CAST(:afters AS text[]), CAST(:events AS text[]))
         AS e(id, retiree_id, personal_number, status, before_state, after_state, event_id)
    """
)


@dataclass(frozen=True)
class ChunkResult:
    move_id: int
    moved: int
    skipped: int
    completed: bool


async def open_moves(session: AsyncSession, *, include_failed: bool = True) -> list[int]:
    """The moves still to apply, oldest first."""
    states = [s.value for s in OPEN_STATES if include_failed or s is not MoveState.FAILED]
    rows = await session.execute(
        select(col(CommunityMove.id)).where(col(CommunityMove.state).in_(states)).order_by(col(CommunityMove.id))
    )
    return [i for i in rows.scalars() if i is not None]


async def apply_chunk(uow: UnitOfWork, move_id: int, *, size: int = DEFAULT_CHUNK) -> ChunkResult:
    """Apply the next ``size`` members of the move in the caller's transaction (complete it when none are left)."""
    session = uow.session
    move = (
        await session.execute(select(CommunityMove).where(col(CommunityMove.id) == move_id).with_for_update())
    ).scalar_one()
    if move.state is MoveState.COMPLETED:
        return ChunkResult(move_id, 0, 0, True)
    now = datetime.now(UTC)
    if move.state is not MoveState.RUNNING:
        move.state = MoveState.RUNNING
        move.attempts += 1
    move.started_at = move.started_at or now
    move.updated_at = now
    move.error = None
    rows = (await session.execute(_NEXT, {"move": move_id, "size": size})).all()
    if not rows and await _complete(uow, move):
        return ChunkResult(move_id, 0, 0, True)
    moving: list[tuple[Any, Transition]] = []
    skipped: list[int] = []
    for r in rows:
        transition = _transition(r, move)
        if transition is None:
            skipped.append(r.id)
        else:
            moving.append((r, transition))
    entry_ids = await _move(uow, move, moving)
    if moving:
        await session.execute(
            text(
                "UPDATE community_move_member m SET done = true, outcome = 'moved', entry_id = e.entry_id"
                " FROM unnest(CAST(:ids AS bigint[]), CAST(:entries AS bigint[])) AS e(retiree_id, entry_id)"
                " WHERE m.move_id = :move AND m.retiree_id = e.retiree_id"
            ),
            {"move": move_id, "ids": [r.id for r, _ in moving], "entries": entry_ids},
        )
    if skipped:
        await session.execute(
            text(
                "UPDATE community_move_member SET done = true, outcome = :skipped"
                " WHERE move_id = :move AND retiree_id = ANY(:ids)"
            ),
            {"move": move_id, "ids": skipped, "skipped": MemberOutcome.SKIPPED.value},
        )
    move.done += len(rows)
    move.moved += len(moving)
    move.skipped += len(skipped)
    await session.flush()
    return ChunkResult(move_id, len(moving), len(skipped), False)


def _transition(row: Any, move: CommunityMove) -> Transition | None:
    """The member's institution change, or None if they are no longer in the source or may no longer move."""
    if row.institution_id != move.source_institution_id:
        return None
    state = Lifecycle(
        Status(row.status), row.institution_id, row.suspension_reason, Status(row.resume_to) if row.resume_to else None
    )
    try:
        return decide(state, ChangeInstitution(move.target_institution_id))
    except IllegalTransition:
        return None


async def _move(uow: UnitOfWork, move: CommunityMove, moving: Sequence[tuple[Any, Transition]]) -> list[int]:
    """The log entries, events, retirees' new institution and the chunk's audit entry; returns the entries' ids."""
    if not moving:
        return []
    session = uow.session
    entry_ids = sorted(
        (
            await session.execute(
                text("SELECT nextval('status_change_id_seq') FROM generate_series(1, :n)"), {"n": len(moving)}
            )
        ).scalars()
    )
    target = move.target_institution_id
    codes = await institution_codes(session, [target])
    entered_at = datetime.now(UTC)
    events = [
        (
            r.personal_number,
            person_status_changed(
                personal_number=r.personal_number,
                change_kind=t.kind,
                reason_code=t.reason_code,
                effective_date=move.effective_date,
                entered_at=entered_at,
                institution_id=target,
                codes=codes,
                insuring_agency_code=r.insuring_agency_code,
                log_entry_number=entry_id,
            ),
        )
        for (r, t), entry_id in zip(moving, entry_ids, strict=True)
    ]
    event_ids = await uow.publish_many(PERSON_STATUS_CHANGED, events)
    cause_ref = f"community_move:{move.id}"
    # One statement over arrays (not an executemany of 2,000 rows): the chunk's entries differ only per person.
    await session.execute(
        _ENTRIES,
        {
            "ids": entry_ids,
            "retirees": [r.id for r, _ in moving],
            "numbers": [r.personal_number for r, _ in moving],
            "statuses": [t.before.status.value for _, t in moving],
            "befores": [json.dumps(state_json(t.before)) for _, t in moving],
            "afters": [json.dumps(state_json(t.after)) for _, t in moving],
            "events": event_ids,
            "kind": moving[0][1].kind.value,
            "reason": moving[0][1].reason_code.value,
            "effective": move.effective_date,
            "institution": target,
            "cause_type": CauseType.STAFF.value,
            "cause_ref": cause_ref,
            "actor": move.created_by,
            "remarks": move.reason,
            "sync": SyncState.PENDING.value,
        },
    )
    ids = [r.id for r, _ in moving]
    await session.execute(
        text(
            "UPDATE retiree SET institution_id = :target, version = version + 1, updated_at = now()"
            " WHERE id = ANY(:ids) AND institution_id = :source"
        ),
        {"target": target, "source": move.source_institution_id, "ids": ids},
    )
    await trail.record_bulk(
        session,
        MOVES_ACTOR,
        "retiree.institution_changed",
        ids,
        {
            "move": move.id,
            "requested_by": move.created_by,
            "from": move.source_institution_id,
            "to": target,
            "effective_date": move.effective_date.isoformat(),
            "first_entry": entry_ids[0],
        },
    )
    return entry_ids


async def _complete(uow: UnitOfWork, move: CommunityMove) -> bool:
    """Every member done: complete the move (a merge first takes in newcomers; returns False if there were any)."""
    session = uow.session
    if move.kind is MoveKind.MERGE:
        late = await session.execute(
            text(
                "INSERT INTO community_move_member (move_id, retiree_id)"
                f" SELECT :move, r.id FROM retiree r WHERE {MOVABLE} ON CONFLICT DO NOTHING"
            ),
            {"move": move.id, "source": move.source_institution_id},
        )
        added = int(late.rowcount)  # type: ignore[attr-defined]
        if added:
            move.total += added
            await session.flush()
            return False
    accounts: list[int] = []
    if move.kind is MoveKind.MERGE:
        await session.execute(
            text("UPDATE institution SET active = false, updated_at = now() WHERE id = :id"),
            {"id": move.source_institution_id},
        )
        move.source_deactivated = True
        if move.account_handling is AccountHandling.MOVE:
            statement = (
                "UPDATE staff_account SET institution_id = :target, query_scope_institution_id = NULL,"
                " updated_at = now() WHERE institution_id = :source RETURNING id"
            )
        else:
            statement = (
                "UPDATE staff_account SET active = false, tokens_valid_after = now(), updated_at = now()"
                " WHERE institution_id = :source AND active RETURNING id"
            )
        result = await session.execute(
            text(statement), {"source": move.source_institution_id, "target": move.target_institution_id}
        )
        accounts = sorted(row[0] for row in result)
        move.accounts_handled = len(accounts)
    now = datetime.now(UTC)
    move.state = MoveState.COMPLETED
    move.finished_at = now
    move.updated_at = now
    await session.flush()
    await trail.record(
        session,
        MOVES_ACTOR,
        "community_move.complete",
        target=f"community_move:{move.id}",
        detail={
            "kind": move.kind.value,
            "requested_by": move.created_by,
            "moved": move.moved,
            "skipped": move.skipped,
            "excluded": move.excluded_count,
            "source_deactivated": move.source_deactivated,
            "account_handling": move.account_handling.value if move.account_handling else None,
            "accounts": accounts,
        },
    )
    return True


async def mark_failed(session: AsyncSession, move_id: int, error: str) -> None:
    """The attempt failed (its chunk rolled back): say why; the next run carries on from the last chunk."""
    await session.execute(
        text(
            "UPDATE community_move SET state = 'failed', error = :error, updated_at = now()"
            " WHERE id = :id AND state <> 'completed'"
        ),
        {"id": move_id, "error": error[:2000]},
    )
