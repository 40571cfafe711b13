"""Staff actions of 4.5: suspend selected retirees, resume those who qualify, and say where a retiree stands.

Error restoration of a wrong suspension is the status-change log's own (``status_log.restore_in_error``): a new
entry reversing the old one, never an edit.

Who qualifies for a staff resumption (the rule written down):
- suspended for missing certification (S01): only once a certification within the validity period is on record —
  and then the certification itself has normally resumed them already; staff resume only if that was not possible
  (e.g. a certification entered before the suspension was made);
- suspended for a missed registration (S02) or transfer-in (S03) deadline, or by staff (S04), or by the province
  (S05): a staff decision, with the remarks saying why — the person came to register, the transfer arrived, the
  reason for the stop is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.certifications.rules import (
    Standing,
    certification_due,
    certification_overdue,
    explain,
)
from domain.dictionary.codes import ReasonCode
from domain.dictionary.service import parameter_int
from domain.retirees import service as retirees
from domain.retirees.lifecycle import ChangeKind, Resume, Status, Suspend
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require
from domain.status_log import service as status_log
from domain.status_log.models import CauseType, StatusChange


@dataclass(frozen=True)
class SelectedOutcome:
    retiree_id: int
    done: bool
    code: str
    message: str
    entry_id: int | None = None


async def suspend_selected(
    uow: UnitOfWork, actor: Actor, retiree_ids: list[int], *, effective_date: date, remarks: str
) -> list[SelectedOutcome]:
    """Suspend each selected retiree (S04). One that cannot be suspended (out of scope, already suspended,
    deceased …) is reported with the reason and the others go ahead; each is all-or-nothing."""
    require(actor, Permission.CHANGE_REGISTRY)
    outcomes = []
    for retiree_id in dict.fromkeys(retiree_ids):
        try:
            async with uow.session.begin_nested():
                await retirees.in_scope(uow.session, actor, retiree_id)
                person = await status_log.locked_retiree(uow.session, retiree_id)
                entry = await status_log.apply(
                    uow,
                    actor,
                    person,
                    Suspend(ReasonCode.SUSPENDED_BY_STAFF),
                    effective_date=effective_date,
                    cause=status_log.Cause(CauseType.STAFF, actor.name),
                    remarks=remarks,
                )
        except DomainError as refused:  # IllegalTransition and NotFound/Forbidden (out of scope) included
            outcomes.append(SelectedOutcome(retiree_id, False, refused.code, refused.message))
        else:
            outcomes.append(SelectedOutcome(retiree_id, True, "SUSPENDED", "已暂停发放", entry.id))
    return outcomes


async def resume(
    uow: UnitOfWork, actor: Actor, retiree_id: int, *, effective_date: date, remarks: str, today: date
) -> StatusChange:
    """Resume one suspended retiree who qualifies (see the module's rule)."""
    require(actor, Permission.CHANGE_REGISTRY)
    await retirees.in_scope(uow.session, actor, retiree_id)
    person = await status_log.locked_retiree(uow.session, retiree_id)
    if person.status != Status.SUSPENDED:
        raise DomainError(ErrorCode.NOT_SUSPENDED, f"{person.name}当前不是暂停发放状态，无需恢复")
    if person.suspension_reason == ReasonCode.CERTIFICATION_OVERDUE:
        valid_months = await parameter_int(uow.session, "certification_valid_months")
        if certification_overdue(person.last_certified_on, today, valid_months):
            raise DomainError(
                ErrorCode.CERTIFICATION_STILL_OVERDUE,
                f"{person.name}因超过{valid_months}个月未认证而暂停，须先完成资格认证（人脸识别或社区现场认证）才能恢复",
            )
    return await status_log.apply(
        uow,
        actor,
        person,
        Resume(ReasonCode.RESUMED_BY_STAFF),
        effective_date=effective_date,
        cause=status_log.Cause(CauseType.STAFF, actor.name),
        remarks=remarks,
    )


@dataclass(frozen=True)
class CertificationStanding:
    last_certified: date | None
    next_due: date | None
    status: Status
    suspension_reason: str | None
    sentence: str


async def standing(uow: UnitOfWork, actor: Actor, retiree_id: int, *, today: date) -> CertificationStanding:
    """Where the retiree stands on certification, with the sentence a community worker reads aloud."""
    person = await retirees.in_scope(uow.session, actor, retiree_id)
    valid_months = await parameter_int(uow.session, "certification_valid_months")
    suspended_on = None
    if person.status == Status.SUSPENDED:
        history = await status_log.history(uow.session, retiree_id)
        suspensions = [e for e in history if e.kind == ChangeKind.SUSPENDED]
        suspended_on = max((e.effective_date for e in suspensions), default=None)
    sentence = explain(
        Standing(
            name=person.name,
            status=person.status,
            suspension_reason=person.suspension_reason,
            suspended_on=suspended_on,
            last_certified=person.last_certified_on,
            valid_months=valid_months,
            today=today,
        )
    )
    last = person.last_certified_on
    return CertificationStanding(
        last_certified=last,
        next_due=certification_due(last, valid_months) if last else None,
        status=person.status,
        suspension_reason=person.suspension_reason,
        sentence=sentence,
    )
