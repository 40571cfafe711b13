"""Recording a community move (4.8) and reading it: who would move (preview), the move itself with its member
snapshot taken in one INSERT … SELECT, the moves of the caller's streets.

Who moves: the people under the source community's management — registered there, or suspended while registered
there. People with an open transfer (transferring out, or suspended while transferring out, or a transfer requested
and not yet taken in) never move silently: a split leaves them out and reports each one with the reason; a merge,
which deactivates the source, is refused until those transfers are settled, as is a merge into which a transfer is
still on its way. Applying the move is :mod:`domain.community_moves.apply`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from domain.audit import trail
from domain.community_moves import rules
from domain.community_moves.models import OPEN_STATES, AccountHandling, CommunityMove, MoveKind
from domain.community_moves.rules import Place, Selection
from domain.institutions.models import Institution
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, NotFound
from domain.staff.permissions import Permission, require, require_in_scope

EXCLUDED_KEPT = 500  # excluded people named on the move (all are counted)
OPEN_TRANSFER = "open_transfer"
NOT_IN_SOURCE = "not_in_source"
EXCLUSION_LABELS = {OPEN_TRANSFER: "有未办结的转移，未迁移", NOT_IN_SOURCE: "不在原社区管理范围内，未迁移"}

# People under the source's management (the candidates), and which of them may move.
_MANAGED = "r.institution_id = :source AND r.status IN ('registered', 'suspended', 'transferring_out')"
_OPEN_TRANSFER = (
    "(r.status = 'transferring_out' OR r.resume_to IS NOT DISTINCT FROM 'transferring_out' OR EXISTS "
    "(SELECT 1 FROM transfer t WHERE t.retiree_id = r.id AND t.state = 'requested'))"
)
MOVABLE = f"{_MANAGED} AND NOT {_OPEN_TRANSFER}"


def _filter(selection: Selection) -> tuple[str, dict[str, Any]]:
    if selection.retiree_ids:
        return " AND r.id = ANY(:ids)", {"ids": list(selection.retiree_ids)}
    if selection.address_contains:
        return " AND strpos(r.residence_address, :fragment) > 0", {"fragment": selection.address_contains}
    return "", {}


@dataclass(frozen=True)
class Exclusion:
    retiree_id: int
    reason: str

    def document(self) -> dict[str, Any]:
        return {"retiree_id": self.retiree_id, "reason": self.reason}


@dataclass(frozen=True)
class Preview:
    source: Institution
    target: Institution
    movable: int
    first: list[Retiree]
    excluded_count: int
    excluded: list[Exclusion]
    latest_registration: date | None


@dataclass(frozen=True)
class MoveRequest:
    kind: MoveKind
    source_id: int
    target_id: int
    effective_date: date
    reason: str
    selection: Selection = field(default_factory=Selection)
    account_handling: AccountHandling | None = None
    remarks: str | None = None
    request_id: str | None = None


async def by_personal_numbers(session: AsyncSession, numbers: list[str]) -> tuple[int, ...]:
    """A split's list as staff type it (personal numbers) as retiree ids; a number the registry does not hold is
    refused, one of another community is then left out like any other person not in the source."""
    wanted = sorted({n.strip() for n in numbers if n.strip()})
    if not wanted:
        return ()
    rows = await session.execute(
        select(col(Retiree.id), col(Retiree.personal_number)).where(col(Retiree.personal_number).in_(wanted))
    )
    found = {number: i for i, number in rows.all() if i is not None}
    if missing := [n for n in wanted if n not in found]:
        raise NotFound(ErrorCode.RETIREE_NOT_FOUND, f"名单中以下个人编号不存在：{'、'.join(missing[:10])}")
    return tuple(sorted(found.values()))


def _place(i: Institution | None) -> Place | None:
    if i is None or i.id is None:
        return None
    return Place(i.id, i.level, i.active, i.parent_id, i.name)


async def _checked(
    session: AsyncSession, actor: Actor, kind: MoveKind, source_id: int, target_id: int
) -> tuple[Institution, Institution, Institution]:
    """The source, target and their street, refused unless the actor (street level or above) covers them."""
    require(actor, Permission.CHANGE_REGISTRY)
    own = await session.get(Institution, actor.institution_id) if actor.institution_id else None
    if actor.kind == "staff":
        rules.check_actor_level(own.level if own else None)
    source = await session.get(Institution, source_id)
    target = await session.get(Institution, target_id)
    for place in (source, target):
        if place is not None:
            require_in_scope(actor, place.path, "社区")
    street_id = rules.check_communities(_place(source), _place(target))
    street = await session.get(Institution, street_id)
    assert source is not None and target is not None and street is not None
    require_in_scope(actor, street.path, "街道")
    return source, target, street


async def _exclusions(
    session: AsyncSession, source_id: int, selection: Selection, limit: int
) -> tuple[int, list[Exclusion]]:
    """The selection's people who will not move, with why: counted, and the first ``limit`` named."""
    where, params = _filter(selection)
    params = {**params, "source": source_id}
    query = f"SELECT r.id FROM retiree r WHERE {_MANAGED} AND {_OPEN_TRANSFER}{where} ORDER BY r.id"
    transfers = [row[0] for row in await session.execute(text(query), params)]
    excluded = [Exclusion(i, OPEN_TRANSFER) for i in transfers]
    if selection.retiree_ids:
        found = await session.execute(text(f"SELECT r.id FROM retiree r WHERE {_MANAGED}{where}"), params)
        managed = {row[0] for row in found}
        excluded += [Exclusion(i, NOT_IN_SOURCE) for i in selection.retiree_ids if i not in managed]
    return len(excluded), excluded[:limit]


async def _latest_registration(session: AsyncSession, source_id: int, selection: Selection) -> date | None:
    where, params = _filter(selection)
    query = text(f"SELECT max(r.registered_on) FROM retiree r WHERE {MOVABLE}{where}")
    latest: date | None = (await session.execute(query, {**params, "source": source_id})).scalar_one()
    return latest


async def preview(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: MoveKind,
    source_id: int,
    target_id: int,
    selection: Selection,
    page_size: int = 20,
) -> Preview:
    """Who would move (count and the first page) and who would not (with why); changes nothing."""
    source, target, _ = await _checked(session, actor, kind, source_id, target_id)
    selection = rules.check_selection(kind, selection)
    where, params = _filter(selection)
    params = {**params, "source": source_id}
    movable = int(
        (await session.execute(text(f"SELECT count(*) FROM retiree r WHERE {MOVABLE}{where}"), params)).scalar_one()
    )
    ids = [
        row[0]
        for row in await session.execute(
            text(f"SELECT r.id FROM retiree r WHERE {MOVABLE}{where} ORDER BY r.id LIMIT :n"),
            {**params, "n": page_size},
        )
    ]
    first = list(
        (await session.execute(select(Retiree).where(col(Retiree.id).in_(ids)).order_by(col(Retiree.id))))
        .scalars()
        .all()
    )
    excluded_count, excluded = await _exclusions(session, source_id, selection, EXCLUDED_KEPT)
    latest = await _latest_registration(session, source_id, selection)
    return Preview(source, target, movable, first, excluded_count, excluded, latest)


async def _open_transfers(session: AsyncSession, source_id: int) -> int:
    query = text(
        f"SELECT (SELECT count(*) FROM retiree r WHERE {_MANAGED} AND {_OPEN_TRANSFER})"
        " + (SELECT count(*) FROM transfer t WHERE t.state = 'requested' AND t.to_institution_id = :source)"
    )
    return int((await session.execute(query, {"source": source_id})).scalar_one())


async def create(session: AsyncSession, actor: Actor, request: MoveRequest) -> CommunityMove:
    """Record the move and snapshot its members; the applying runs in the background (``hub moves run``, or the
    rules scheduler). The same ``request_id`` again answers the move it created."""
    if request.request_id:
        existing = (
            await session.execute(select(CommunityMove).where(col(CommunityMove.request_id) == request.request_id))
        ).scalar_one_or_none()
        if existing is not None:
            return await get(session, actor, existing.id or 0)
    source, target, street = await _checked(session, actor, request.kind, request.source_id, request.target_id)
    assert source.id is not None and target.id is not None and street.id is not None
    rules.check_effective_date(request.effective_date, calendar.today())
    selection = rules.check_selection(request.kind, request.selection)
    handling = rules.check_accounts(request.kind, request.account_handling)
    reason = rules.check_reason(request.reason)
    # Serialise moves of one source: the row lock, then the check (the partial unique index is the backstop).
    await session.execute(select(Institution).where(col(Institution.id) == source.id).with_for_update())
    open_move = await session.execute(
        select(col(CommunityMove.id)).where(
            col(CommunityMove.source_institution_id) == source.id, col(CommunityMove.state).in_(list(OPEN_STATES))
        )
    )
    if open_move.first() is not None:
        raise Conflict(ErrorCode.MOVE_ALREADY_OPEN, f"“{source.name}”已有未完成的拆分合并，请待其完成后再办理")
    if request.kind is MoveKind.MERGE and (pending := await _open_transfers(session, source.id)):
        raise Conflict(
            ErrorCode.MOVE_OPEN_TRANSFERS,
            f"“{source.name}”尚有 {pending} 笔转移未办结（转出待转入或待接收），请先办结后再合并",
        )
    rules.check_registered_before(await _latest_registration(session, source.id, selection), request.effective_date)
    excluded_count, excluded = await _exclusions(session, source.id, selection, EXCLUDED_KEPT)
    move = CommunityMove(
        request_id=request.request_id,
        kind=request.kind,
        source_institution_id=source.id,
        target_institution_id=target.id,
        street_institution_id=street.id,
        selection=selection.document(),
        account_handling=handling,
        effective_date=request.effective_date,
        reason=reason,
        remarks=(request.remarks or "").strip() or None,
        excluded=[e.document() for e in excluded],
        excluded_count=excluded_count,
        created_by=actor.name,
    )
    session.add(move)
    await session.flush()
    where, params = _filter(selection)
    snapshot = await session.execute(
        text(
            "INSERT INTO community_move_member (move_id, retiree_id)"
            f" SELECT :move, r.id FROM retiree r WHERE {MOVABLE}{where}"
        ),
        {**params, "move": move.id, "source": source.id},
    )
    move.total = int(snapshot.rowcount)  # type: ignore[attr-defined]
    if move.total == 0 and request.kind is MoveKind.SPLIT:
        raise DomainError(ErrorCode.MOVE_NOBODY, "所选范围内没有可迁移的人员")
    await session.flush()
    await trail.record(
        session,
        actor,
        "community_move.create",
        target=f"community_move:{move.id}",
        detail={
            "kind": request.kind.value,
            "source": source.code,
            "target": target.code,
            "effective_date": request.effective_date.isoformat(),
            "selection": selection.document(),
            "total": move.total,
            "excluded": excluded_count,
            "account_handling": handling.value if handling else None,
            "reason": reason,
        },
    )
    return move


@dataclass(frozen=True)
class MoveRow:
    move: CommunityMove
    source: Institution
    target: Institution
    street: Institution


_source, _target, _street = aliased(Institution), aliased(Institution), aliased(Institution)


def _joined() -> Any:
    return (
        select(CommunityMove, _source, _target, _street)
        .join(_source, col(_source.id) == col(CommunityMove.source_institution_id))
        .join(_target, col(_target.id) == col(CommunityMove.target_institution_id))
        .join(_street, col(_street.id) == col(CommunityMove.street_institution_id))
    )


async def get(session: AsyncSession, actor: Actor, move_id: int) -> CommunityMove:
    return (await get_row(session, actor, move_id)).move


async def get_row(session: AsyncSession, actor: Actor, move_id: int) -> MoveRow:
    """The move with its communities; not found unless the actor covers its street."""
    require(actor, Permission.READ_REGISTRY)
    row = (await session.execute(_joined().where(col(CommunityMove.id) == move_id))).first()
    if row is None or not actor.covers(row[3].path):
        raise NotFound(ErrorCode.MOVE_NOT_FOUND, "未找到该拆分合并记录，或不在本机构管辖范围内")
    return MoveRow(*row)


@dataclass(frozen=True)
class MovePage:
    items: list[MoveRow]
    total: int
    page: int
    size: int


async def listing(session: AsyncSession, actor: Actor, *, page: int, size: int) -> MovePage:
    """The moves of the streets in the caller's query scope, newest first."""
    require(actor, Permission.READ_REGISTRY)
    where = col(_street.path).like(f"{actor.query_path}%")
    total = (
        await session.execute(
            select(func.count())
            .select_from(CommunityMove)
            .join(_street, col(_street.id) == col(CommunityMove.street_institution_id))
            .where(where)
        )
    ).scalar_one()
    rows = await session.execute(
        _joined().where(where).order_by(col(CommunityMove.id).desc()).offset((page - 1) * size).limit(size)
    )
    return MovePage([MoveRow(*row) for row in rows], total, page, size)
