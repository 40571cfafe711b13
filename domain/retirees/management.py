"""Setting a retiree's management form (6.11: 社区管理 / 社保经办机构管理 / 委托原单位管理) by staff.

Nothing else sets it: the province's sync does not carry it and a hand-over does not change how a person is managed,
so the form starts as community management (the column's default) and staff whose scope holds the person change it,
with a reason. The change is audited (old and new form, reason); it is not a status change, so nothing goes to the
province. Setting the form a person already has changes nothing and writes nothing (a request sent twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from domain.audit import trail
from domain.dictionary import service as dictionary
from domain.retirees.models import Retiree
from domain.retirees.service import in_scope
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require
from domain.status_log import service as status_log

MAX_REASON = 200


@dataclass(frozen=True)
class ManagementFormChange:
    retiree: Retiree
    previous: str
    changed: bool


async def set_management_form(
    uow: UnitOfWork, actor: Actor, retiree_id: int, form: str, reason: str
) -> ManagementFormChange:
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    await in_scope(session, actor, retiree_id)
    reason = reason.strip()
    if not reason:
        raise DomainError(ErrorCode.REASON_REQUIRED, "请填写变更管理形式的原因", field="reason")
    if len(reason) > MAX_REASON or any(ord(c) < 32 for c in reason):
        raise DomainError(
            ErrorCode.REASON_REQUIRED, f"变更原因不能超过 {MAX_REASON} 个字符，且不能含控制字符", field="reason"
        )
    await dictionary.require_codes(session, "management_form", [form], "management_form")
    retiree = await status_log.locked_retiree(session, retiree_id)
    previous = retiree.management_form
    if previous == form:
        return ManagementFormChange(retiree, previous, changed=False)
    retiree.management_form = form
    retiree.version += 1
    retiree.updated_at = datetime.now(UTC)
    await trail.record(
        session,
        actor,
        "retiree.set_management_form",
        retiree_id=retiree_id,
        target=retiree.personal_number,
        detail={"from": previous, "to": form, "reason": reason},
    )
    return ManagementFormChange(retiree, previous, changed=True)
