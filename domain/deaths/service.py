"""Death registration (4.6): staff record a death, the lifecycle moves to deceased (Decease, reason DTH, effective
on the date of death) with the province told through the outbox, and the pension paid after the death is kept as an
overpayment to recover (rules.py says how it is computed). All in the caller's transaction: never half-applied.

A death the province reported first (2.3, domain/retirees/inbound.py) is already in the status-change log: staff
recording it again are refused (ALREADY_DECEASED, naming when and by whom). A death staff recorded first is not
recorded again when the province's report arrives (the inbound handler skips a person already deceased).

A death recorded in error is restored through the status-change log (``status_log.restore_in_error``): the record is
then withdrawn and its overpayment cancelled — derived from the reversing entry, so nothing is edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.deaths.models import DeathRecord
from domain.deaths.rules import (
    DeathEvidence,
    RecoveryState,
    check_death_date,
    check_recovery,
    overpayment,
)
from domain.institutions.models import Institution
from domain.retirees import service as retirees
from domain.retirees.lifecycle import ChangeKind, RecordDeath, Status
from domain.retirees.models import Retiree
from domain.retirees.scope import retiree_in_scope
from domain.shared.actor import Actor
from domain.shared.calendar import BUSINESS_TZ
from domain.shared.errors import Conflict, ErrorCode, NotFound
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require
from domain.status_log import service as status_log
from domain.status_log.models import CauseType, StatusChange


@dataclass(frozen=True)
class Death:
    """A death record as staff read it: withdrawn once its status-change entry was restored as an error."""

    record: DeathRecord
    withdrawn: bool

    @property
    def recovery_state(self) -> RecoveryState:
        return RecoveryState.CANCELLED if self.withdrawn else RecoveryState(self.record.recovery_state)


def _restored(status_change_id: Any) -> ColumnElement[bool]:
    """The death's status-change entry was restored as an error (a later entry reverses it)."""
    reversal = StatusChange.__table__.alias("reversal")  # type: ignore[attr-defined]
    return exists().where(reversal.c.reverses_id == status_change_id)


async def _latest_death_entry(session: AsyncSession, retiree_id: int) -> StatusChange | None:
    reversal = StatusChange.__table__.alias("reversal")  # type: ignore[attr-defined]
    query = (
        select(StatusChange)
        .where(col(StatusChange.retiree_id) == retiree_id, col(StatusChange.kind) == ChangeKind.DECEASED.value)
        .where(~exists().where(reversal.c.reverses_id == col(StatusChange.id)))
        .order_by(col(StatusChange.id).desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


def city_time(at: datetime) -> str:
    return at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def _who(actor_name: str | None, cause_type: str) -> str:
    if cause_type == CauseType.EVENT.value:
        return "省平台（人员变更信息）"
    return actor_name or "系统"


async def record(
    uow: UnitOfWork,
    actor: Actor,
    retiree_id: int,
    *,
    death_date: date,
    evidence: DeathEvidence,
    document_number: str | None,
    remarks: str | None,
    today: date,
) -> Death:
    """Record a death: the lifecycle command Decease (DTH) effective on the date of death, the province told once
    through the outbox, and the overpayment computed against today (the city's calendar)."""
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    await retirees.in_scope(session, actor, retiree_id)
    person = await status_log.locked_retiree(session, retiree_id)
    if person.status == Status.DECEASED:
        entry = await _latest_death_entry(session, retiree_id)
        when = city_time(entry.entered_at) if entry and entry.entered_at else "此前"
        who = _who(entry.actor, entry.cause_type) if entry else "其他途径"
        died = person.death_date.isoformat() if person.death_date else "未知"
        raise Conflict(
            ErrorCode.ALREADY_DECEASED,
            f"{person.name}已于{when}由{who}登记死亡（死亡日期 {died}），不能重复登记",
            recorded_at=entry.entered_at.isoformat() if entry and entry.entered_at else None,
            recorded_by=who,
            death_date=died,
        )
    check_death_date(death_date, birth_date=person.birth_date, today=today)
    person.death_date = death_date  # also after an earlier death restored as an error
    entry = await status_log.apply(
        uow,
        actor,
        person,
        RecordDeath(death_date),
        effective_date=death_date,
        cause=status_log.Cause(CauseType.STAFF, actor.name),
        remarks=remarks,
    )
    owed = overpayment(death_date, today, person.monthly_pension)
    assert entry.id is not None
    death = DeathRecord(
        retiree_id=retiree_id,
        status_change_id=entry.id,
        death_date=death_date,
        evidence=evidence.value,
        document_number=document_number,
        remarks=remarks,
        recorded_on=today,
        recorded_by=actor.name,
        overpaid_months=list(owed.months),
        monthly_pension=owed.monthly_pension,
        overpaid_amount=owed.amount,
        recovery_state=owed.state.value,
    )
    session.add(death)
    await session.flush()
    await trail.record(
        session,
        actor,
        "death.recorded",
        retiree_id=retiree_id,
        target=person.personal_number,
        detail={
            "death": death.id,
            "entry": entry.entry_id,
            "death_date": death_date.isoformat(),
            "evidence": evidence.value,
            "overpaid_months": list(owed.months),
            "overpaid_amount": str(owed.amount),
        },
    )
    return Death(death, withdrawn=False)


async def latest(session: AsyncSession, actor: Actor, retiree_id: int) -> Death:
    """The retiree's latest death record (withdrawn or not); DEATH_NOT_FOUND if staff never recorded one."""
    await retirees.in_scope(session, actor, retiree_id)
    row = (
        await session.execute(
            select(DeathRecord, _restored(col(DeathRecord.status_change_id)))
            .where(col(DeathRecord.retiree_id) == retiree_id)
            .order_by(col(DeathRecord.id).desc())
            .limit(1)
        )
    ).first()
    if row is None:
        raise NotFound(ErrorCode.DEATH_NOT_FOUND, "该人员没有经办人员登记的死亡记录")
    return Death(row[0], bool(row[1]))


async def mark_recovery(uow: UnitOfWork, actor: Actor, death_id: int, *, outcome: RecoveryState, remarks: str) -> Death:
    """Staff mark an overpayment to recover as recovered or waived (核销), once, with remarks; audited."""
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    death = (
        await session.execute(select(DeathRecord).where(col(DeathRecord.id) == death_id).with_for_update())
    ).scalar_one_or_none()
    if death is None:
        raise NotFound(ErrorCode.OVERPAYMENT_NOT_FOUND, f"未找到死亡登记记录 {death_id}")
    try:
        person = await retirees.in_scope(session, actor, death.retiree_id)
    except NotFound as hidden:
        raise NotFound(ErrorCode.OVERPAYMENT_NOT_FOUND, f"未找到死亡登记记录 {death_id}") from hidden
    withdrawn = bool((await session.execute(select(_restored(death.status_change_id)))).scalar())
    current = RecoveryState.CANCELLED if withdrawn else RecoveryState(death.recovery_state)
    check_recovery(current, outcome, remarks)
    death.recovery_state = outcome.value
    death.recovery_remarks = remarks.strip()
    death.recovery_marked_by = actor.name
    death.recovery_marked_at = datetime.now(UTC)
    await trail.record(
        session,
        actor,
        f"death.overpayment_{outcome.value}",
        retiree_id=death.retiree_id,
        target=person.personal_number,
        detail={"death": death.id, "amount": str(death.overpaid_amount), "remarks": death.recovery_remarks},
    )
    return Death(death, withdrawn=False)


@dataclass(frozen=True)
class OverpaymentRow:
    death: Death
    retiree: Retiree
    institution: Institution | None


@dataclass(frozen=True)
class OverpaymentPage:
    items: Sequence[OverpaymentRow]
    total: int
    page: int
    page_size: int


def overpayments_query(actor: Actor, state: RecoveryState) -> ColumnElement[bool]:
    """The death records of the scope whose overpayment is in ``state`` (cancelled: withdrawn ones)."""
    restored = _restored(col(DeathRecord.status_change_id))
    if state is RecoveryState.CANCELLED:
        return and_(retiree_in_scope(actor), restored)
    return and_(retiree_in_scope(actor), col(DeathRecord.recovery_state) == state.value, ~restored)


async def overpayments(
    session: AsyncSession, actor: Actor, *, state: RecoveryState, page: int, page_size: int
) -> OverpaymentPage:
    """One page of the scope's overpayments in a state, the oldest recorded first."""
    require(actor, Permission.READ_REGISTRY)
    condition = overpayments_query(actor, state)
    joined = select(DeathRecord).join(Retiree, col(Retiree.id) == col(DeathRecord.retiree_id)).where(condition)
    total = (await session.execute(select(func.count()).select_from(joined.subquery()))).scalar_one()
    rows = await session.execute(
        select(DeathRecord, Retiree, Institution)
        .join(Retiree, col(Retiree.id) == col(DeathRecord.retiree_id))
        .outerjoin(Institution, col(Retiree.institution_id) == col(Institution.id))
        .where(condition)
        .order_by(col(DeathRecord.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    items = [
        OverpaymentRow(Death(death, state is RecoveryState.CANCELLED), retiree, institution)
        for death, retiree, institution in rows
    ]
    return OverpaymentPage(items=items, total=total, page=page, page_size=page_size)


def count_to_recover(actor: Actor) -> ColumnElement[int]:
    """The worklist count of overpayments to recover in the scope (a scalar subquery)."""
    return (
        select(func.count())
        .select_from(DeathRecord)
        .join(Retiree, col(Retiree.id) == col(DeathRecord.retiree_id))
        .where(overpayments_query(actor, RecoveryState.TO_RECOVER))
        .scalar_subquery()
    )
