"""The notifications a retiree's own status changes cause (issue 20, for 4.1, 4.4, 4.5): handlers of the
``mobile-notifications`` group for ``person_status.changed`` and ``registration.rejected``.

Which changes a retiree hears of: a suspension (with the reason and what resumes it — the sentence the console
shows), a resumption, a registration confirmed, a transfer taken in, a registration application rejected (with the
community's reason). Never a death: nothing at all is sent to a retiree recorded as deceased.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from domain.certifications.rules import Standing, explain
from domain.dictionary.codes import REASON_CODE_LABELS, ReasonCode
from domain.dictionary.service import parameter_int
from domain.institutions.models import Institution
from domain.notifications.delivery import Notice, notify
from domain.notifications.models import NotificationKind
from domain.retirees.inbound import Inbound, RetireeNotYetKnown
from domain.retirees.lifecycle import ChangeKind, Status
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.errors import ErrorCode
from domain.shared.uow import UnitOfWork

TITLES: dict[NotificationKind, str] = {
    NotificationKind.SUSPENDED: "养老金暂停发放通知",
    NotificationKind.RESUMED: "养老金恢复发放通知",
    NotificationKind.REGISTERED: "社区登记成功",
    NotificationKind.TRANSFERRED_IN: "转入成功",
    NotificationKind.REGISTRATION_REJECTED: "登记申请未通过",
}

_KIND_OF_CHANGE: dict[str, NotificationKind] = {
    ChangeKind.SUSPENDED.value: NotificationKind.SUSPENDED,
    ChangeKind.RESUMED.value: NotificationKind.RESUMED,
    ChangeKind.REGISTERED.value: NotificationKind.REGISTERED,
    ChangeKind.TRANSFERRED_IN.value: NotificationKind.TRANSFERRED_IN,
}


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _reason_label(reason_code: str) -> str:
    try:
        return REASON_CODE_LABELS[ReasonCode(reason_code)]
    except ValueError:
        return reason_code


async def _retiree(uow: UnitOfWork, personal_number: str) -> Retiree:
    retiree = (
        await uow.session.execute(select(Retiree).where(col(Retiree.personal_number) == personal_number))
    ).scalar_one_or_none()
    if retiree is None:
        raise RetireeNotYetKnown(ErrorCode.RETIREE_NOT_YET_KNOWN, f"个人编号 {personal_number} 尚未同步到本系统")
    return retiree


async def _community_name(uow: UnitOfWork, code: str) -> str:
    name = (
        await uow.session.execute(select(col(Institution.name)).where(col(Institution.code) == code))
    ).scalar_one_or_none()
    return name or "社区"


async def status_change_body(uow: UnitOfWork, retiree: Retiree, kind: NotificationKind, data: Mapping[str, Any]) -> str:
    effective = date.fromisoformat(data["effective_date"])
    if kind is NotificationKind.SUSPENDED:
        valid_months = await parameter_int(uow.session, "certification_valid_months")
        standing = Standing(
            name="您",
            status=Status.SUSPENDED,
            suspension_reason=data["reason_code"],
            suspended_on=effective,
            last_certified=retiree.last_certified_on,
            valid_months=valid_months,
            today=calendar.today(),
        )
        return explain(standing)
    if kind is NotificationKind.RESUMED:
        return f"您的养老金自{_cn(effective)}起恢复发放（{_reason_label(data['reason_code'])}）。"
    community = await _community_name(uow, data["institution_code"])
    if kind is NotificationKind.REGISTERED:
        return f"您已于{_cn(effective)}在{community}完成登记，今后由该社区为您提供服务。"
    return f"您已于{_cn(effective)}转入{community}，今后由该社区为您提供服务。"


async def on_person_status_changed(data: Mapping[str, Any], inbound: Inbound, uow: UnitOfWork) -> None:
    """A notification for the changes a retiree hears of; nothing for the others, nothing to the deceased."""
    kind = _KIND_OF_CHANGE.get(data["change_kind"])
    if kind is None:
        return
    retiree = await _retiree(uow, data["personal_number"])
    if retiree.status == Status.DECEASED:
        return
    assert retiree.id is not None
    body = await status_change_body(uow, retiree, kind, data)
    await notify(
        uow,
        Notice(
            retiree.id,
            retiree.personal_number,
            kind,
            TITLES[kind],
            body,
            inbound.event_id,
            occurred_at=inbound.occurred_at,
        ),
    )


async def on_registration_rejected(data: Mapping[str, Any], inbound: Inbound, uow: UnitOfWork) -> None:
    """The community's reason, and that the retiree may apply again."""
    retiree = await _retiree(uow, data["personal_number"])
    if retiree.status == Status.DECEASED:
        return
    assert retiree.id is not None
    kind = NotificationKind.REGISTRATION_REJECTED
    body = (
        f"您向{data['community_name']}提交的登记申请未通过，原因：{data['reason']}。"
        "您可以重新提交申请，或向居住地所在社区申请。"
    )
    await notify(
        uow,
        Notice(
            retiree.id,
            retiree.personal_number,
            kind,
            TITLES[kind],
            body,
            inbound.event_id,
            occurred_at=inbound.occurred_at,
        ),
    )
