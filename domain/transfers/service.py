"""Transfers (4.4) as commands on the retiree lifecycle, each writing its status-change entry (6.22) and its
``person_status.changed`` event in the caller's transaction:

- ``request`` within the city: the sending side sends one of its registered people to another community of the city;
  they become ``transferring_out`` (TOUT) until the receiving community takes them in. Out of the city: they have
  ``moved_away`` at once (TOUT), the destination recorded.
- ``take_in``: the receiving community (or an institution above it) takes the person in: ``registered`` there (TIN).
  Taking in twice gives one entry.
- ``cancel``: only the sending side, before the person is taken in: a new entry reversing the transfer out (reason
  TCAN 转移撤销) puts them back, registered at the old community. Cancelling twice gives one entry.
- ``arrive``: in from another city: a person insured here who returns (``moved_away``) or whose management moves here
  (``approved``) is registered at the receiving community (TIN), found like a counter registration (4.1) by personal
  number and insuring-agency code, as the community cannot see them before.

The sending side sees its own people; the receiving side sees the transfer (masked identity) until it takes the
person in, then the person too, as they now belong to its community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from domain.audit import trail
from domain.dictionary.codes import ReasonCode
from domain.institutions.models import Institution, Level, in_subtree
from domain.registrations import service as registrations
from domain.retirees import service as retirees
from domain.retirees.lifecycle import STATUS_LABELS, Status, TransferIn, TransferOut
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode, Forbidden, IllegalTransition, NotFound
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from domain.transfers import rules
from domain.transfers.models import Transfer, TransferKind, TransferState
from domain.transfers.rules import Destination


def _cause(actor: Actor, transfer: Transfer | None = None) -> status_log.Cause:
    return status_log.Cause(CauseType.STAFF, f"transfer:{transfer.id}" if transfer and transfer.id else actor.name)


async def request(
    uow: UnitOfWork,
    actor: Actor,
    retiree_id: int,
    *,
    kind: TransferKind,
    effective_date: date,
    to_institution_id: int | None = None,
    destination: Destination | None = None,
    remarks: str | None = None,
) -> Transfer:
    """The sending side transfers one of its people within the city (→ transferring_out) or out of it (→ moved_away)."""
    require(actor, Permission.CHANGE_REGISTRY)
    rules.check_not_future(effective_date, calendar.today())
    session = uow.session
    await retirees.in_scope(session, actor, retiree_id)
    retiree = await status_log.locked_retiree(session, retiree_id)
    transfer = Transfer(
        retiree_id=retiree_id,
        kind=kind,
        from_institution_id=retiree.institution_id,
        requested_on=calendar.today(),
        effective_date=effective_date,
        requested_by=actor.name,
        remarks=(remarks or "").strip() or None,
    )
    if kind is TransferKind.WITHIN_CITY:
        receiving = await session.get(Institution, to_institution_id) if to_institution_id is not None else None
        rules.check_receiving_community(
            receiving.level if receiving else None,
            receiving.active if receiving else False,
            to_institution_id,
            retiree.institution_id,
        )
        transfer.to_institution_id = to_institution_id
        transfer.state = TransferState.REQUESTED
    elif kind is TransferKind.OUT_OF_CITY:
        checked = rules.check_destination(destination)
        transfer.destination_code, transfer.destination_name = checked.code, checked.name
        transfer.destination_address = checked.address
        transfer.state = TransferState.COMPLETED
    else:
        raise Forbidden(ErrorCode.PERMISSION_DENIED, "外市转入由接收社区按个人编号和参保机构编码办理")
    entry = await status_log.apply(
        uow,
        actor,
        retiree,
        TransferOut(within_city=kind is TransferKind.WITHIN_CITY),
        effective_date=effective_date,
        cause=_cause(actor),
        remarks=transfer.remarks,
    )
    transfer.out_entry_id = entry.id
    session.add(transfer)
    await session.flush()
    await _audit(session, actor, "transfer.request", transfer, retiree)
    return transfer


async def arrive(
    uow: UnitOfWork,
    actor: Actor,
    *,
    personal_number: str,
    insuring_agency_code: str,
    effective_date: date,
    remarks: str | None = None,
) -> Transfer:
    """In from another city: the receiving community registers the person (moved_away or approved → registered)."""
    require(actor, Permission.CHANGE_REGISTRY)
    rules.check_not_future(effective_date, calendar.today(), "转入日期")
    session = uow.session
    community = await session.get(Institution, actor.institution_id) if actor.institution_id else None
    if community is None or community.level != Level.COMMUNITY or community.id is None:
        raise Forbidden(ErrorCode.COMMUNITY_ONLY, "外市转入须由接收社区工作人员办理")
    found = await registrations.find_for_registration(session, actor, personal_number, insuring_agency_code)
    assert found.id is not None
    retiree = await status_log.locked_retiree(session, found.id)
    transfer = Transfer(
        retiree_id=found.id,
        kind=TransferKind.INTO_CITY,
        state=TransferState.COMPLETED,
        from_institution_id=None,
        to_institution_id=community.id,
        requested_on=calendar.today(),
        effective_date=effective_date,
        requested_by=actor.name,
        taken_in_on=effective_date,
        taken_in_by=actor.name,
        taken_in_at=datetime.now(UTC),
        remarks=(remarks or "").strip() or None,
    )
    entry = await status_log.apply(
        uow,
        actor,
        retiree,
        TransferIn(community.id),
        effective_date=effective_date,
        cause=_cause(actor),
        remarks=transfer.remarks,
    )
    transfer.in_entry_id = entry.id
    session.add(transfer)
    await session.flush()
    await _audit(session, actor, "transfer.arrive", transfer, retiree)
    return transfer


async def _locked(session: AsyncSession, actor: Actor, transfer_id: int) -> tuple[Transfer, bool, bool]:
    """The transfer, locked, and whether the actor covers its sending / receiving side; neither → not found."""
    transfer = await session.get(Transfer, transfer_id, with_for_update=True)
    sender = receiver = False
    if transfer is not None:
        paths = {
            i.id: i.path
            for i in (
                await session.execute(
                    select(Institution).where(
                        col(Institution.id).in_([transfer.from_institution_id or 0, transfer.to_institution_id or 0])
                    )
                )
            ).scalars()
        }
        sender = transfer.from_institution_id is not None and actor.covers(paths.get(transfer.from_institution_id))
        receiver = transfer.to_institution_id is not None and actor.covers(paths.get(transfer.to_institution_id))
    if transfer is None or not (sender or receiver):
        raise NotFound(ErrorCode.TRANSFER_NOT_FOUND, "未找到该转移记录，或不在本机构管辖范围内")
    return transfer, sender, receiver


async def take_in(
    uow: UnitOfWork,
    actor: Actor,
    transfer_id: int,
    *,
    effective_date: date | None = None,
    remarks: str | None = None,
) -> Transfer:
    """The receiving community takes the person in (→ registered there). Taking in again changes nothing."""
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    transfer, _, receiver = await _locked(session, actor, transfer_id)
    if not receiver:
        raise Forbidden(ErrorCode.PERMISSION_DENIED, "只有接收社区可以办理接收")
    if transfer.state is TransferState.TAKEN_IN:
        return transfer  # arrived twice: one entry
    rules.check_open(transfer.state, "接收")
    on = effective_date or calendar.today()
    rules.check_not_future(on, calendar.today(), "接收日期")
    rules.check_take_in_date(transfer.effective_date, on)
    assert transfer.to_institution_id is not None
    retiree = await status_log.locked_retiree(session, transfer.retiree_id)
    entry = await status_log.apply(
        uow,
        actor,
        retiree,
        TransferIn(transfer.to_institution_id),
        effective_date=on,
        cause=_cause(actor, transfer),
        remarks=(remarks or "").strip() or None,
    )
    transfer.state = TransferState.TAKEN_IN
    transfer.in_entry_id = entry.id
    transfer.taken_in_on = on
    transfer.taken_in_by = actor.name
    transfer.taken_in_at = datetime.now(UTC)
    transfer.closing_remarks = (remarks or "").strip() or None
    await _audit(session, actor, "transfer.take_in", transfer, retiree)
    return transfer


async def cancel(uow: UnitOfWork, actor: Actor, transfer_id: int, *, remarks: str | None = None) -> Transfer:
    """The sending side cancels a transfer not yet taken in: the person is registered at the old community again,
    by a new entry reversing the transfer out (TCAN). Cancelling again changes nothing."""
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    transfer, sender, _ = await _locked(session, actor, transfer_id)
    rules.check_sender(sender)
    if transfer.state is TransferState.CANCELLED:
        return transfer
    rules.check_open(transfer.state, "撤销")
    assert transfer.out_entry_id is not None
    waiting = await status_log.locked_retiree(session, transfer.retiree_id)
    if waiting.status != Status.TRANSFERRING_OUT:  # e.g. suspended meanwhile (S03): resume first, then cancel
        label = STATUS_LABELS[Status(waiting.status)]
        raise IllegalTransition(
            ErrorCode.ILLEGAL_TRANSITION, f"人员当前状态为“{label}”，不能撤销转移", status=waiting.status
        )
    entry = await status_log.restore_in_error(
        uow,
        actor,
        transfer.out_entry_id,
        retiree_id=transfer.retiree_id,
        remarks=(remarks or "").strip() or None,
        reason_code=ReasonCode.TRANSFER_CANCELLED,
    )
    transfer.state = TransferState.CANCELLED
    transfer.cancel_entry_id = entry.id
    transfer.cancelled_by = actor.name
    transfer.cancelled_at = datetime.now(UTC)
    transfer.closing_remarks = (remarks or "").strip() or None
    retiree = await session.get(Retiree, transfer.retiree_id)
    assert retiree is not None
    await _audit(session, actor, "transfer.cancel", transfer, retiree)
    return transfer


async def _audit(session: AsyncSession, actor: Actor, action: str, transfer: Transfer, retiree: Retiree) -> None:
    await trail.record(
        session,
        actor,
        action,
        retiree_id=retiree.id,
        target=f"transfer:{transfer.id}",
        detail={
            "kind": transfer.kind.value,
            "state": transfer.state.value,
            "from": transfer.from_institution_id,
            "to": transfer.to_institution_id,
            "destination": transfer.destination_code,
            "effective_date": transfer.effective_date.isoformat(),
        },
    )


# --- queries --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    transfer: Transfer
    retiree: Retiree
    sending: Institution | None
    receiving: Institution | None


@dataclass(frozen=True)
class Page:
    items: list[Row]
    total: int
    page: int
    size: int


Sending = aliased(Institution)
Receiving = aliased(Institution)


async def listing(
    session: AsyncSession,
    actor: Actor,
    *,
    incoming: bool,
    state: TransferState | None = TransferState.REQUESTED,
    page: int = 1,
    size: int = 20,
) -> Page:
    """Transfers whose receiving (incoming) or sending (outgoing) institution lies in the caller's query scope (1.3),
    oldest first."""
    require(actor, Permission.READ_REGISTRY)
    side = Receiving if incoming else Sending
    query = (
        select(Transfer, Retiree, Sending, Receiving)
        .join(Retiree, col(Transfer.retiree_id) == col(Retiree.id))
        .outerjoin(Sending, col(Transfer.from_institution_id) == Sending.id)
        .outerjoin(Receiving, col(Transfer.to_institution_id) == Receiving.id)
        .where(col(side.path).like(f"{actor.query_path}%"))
    )
    if state is not None:
        query = query.where(col(Transfer.state) == state.value)
    total = int((await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one())
    rows = await session.execute(
        query.order_by(col(Transfer.requested_at), col(Transfer.id)).offset((page - 1) * size).limit(size)
    )
    return Page([Row(t, r, s, c) for t, r, s, c in rows], total, page, size)


async def receiving_institutions(session: AsyncSession, actor: Actor) -> list[Institution]:
    """The whole city's institutions, for choosing the receiving community of a transfer within the city (the
    sending side may send to any community of the city, not only those of its own subtree)."""
    require(actor, Permission.CHANGE_REGISTRY)
    rows = await session.execute(select(Institution).order_by(col(Institution.path)))
    return list(rows.scalars())


def waiting_count(actor: Actor) -> Any:
    """The worklist's count (a scalar subquery): transfers waiting for a community of the caller's query scope."""
    return (
        select(func.count())
        .select_from(Transfer)
        .join(Institution, col(Transfer.to_institution_id) == col(Institution.id))
        .where(in_subtree(actor.query_path))
        .where(col(Transfer.state) == TransferState.REQUESTED.value)
        .scalar_subquery()
    )


async def of_retiree(session: AsyncSession, retiree_id: int) -> list[Transfer]:
    rows = await session.execute(
        select(Transfer).where(col(Transfer.retiree_id) == retiree_id).order_by(col(Transfer.id))
    )
    return list(rows.scalars())
