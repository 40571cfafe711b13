"""Retiree notifications (4.5, issue 5): filled from ``certification.reminder_due`` events, read by the mobile channel.

:func:`on_certification_reminder_due` runs inside the hub's idempotent consumer (its own group, so a slow channel
never holds the registry back); the row is keyed by the event id besides, so the same event twice is one
notification. :func:`list_for` and :func:`mark_read` serve the channel API.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.notifications.delivery import Notice, notify, notify_many
from domain.notifications.models import NotificationKind, RetireeNotification
from domain.retirees.inbound import Inbound, RetireeNotYetKnown
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.shared.errors import ErrorCode, NotFound
from domain.shared.uow import UnitOfWork

KIND_LABELS: dict[str, str] = {
    NotificationKind.CERTIFICATION_REMINDER.value: "资格认证提醒",
    NotificationKind.SUSPENDED.value: "暂停发放",
    NotificationKind.RESUMED.value: "恢复发放",
    NotificationKind.REGISTERED.value: "登记成功",
    NotificationKind.REGISTRATION_REJECTED.value: "登记申请退回",
    NotificationKind.TRANSFERRED_IN.value: "转入成功",
}
REMINDER_TITLE = "资格认证到期提醒"


def reminder_body(due_on: date) -> str:
    """The text of a reminder whose event carries none (the event's own ``message`` is preferred)."""
    return (
        f"您的资格认证将于{due_on.year}年{due_on.month}月{due_on.day}日到期，请在到期前通过人脸识别或到社区完成认证。"
    )


async def _retiree_id(session: AsyncSession, personal_number: str) -> int | None:
    found: int | None = (
        await session.execute(select(col(Retiree.id)).where(col(Retiree.personal_number) == personal_number))
    ).scalar_one_or_none()
    return found


async def on_certification_reminder_due(data: Mapping[str, Any], inbound: Inbound, uow: UnitOfWork) -> None:
    """One notification per ``certification.reminder_due`` event (pushed to the retiree's apps); the same event
    again adds nothing; nothing to a retiree recorded as deceased."""
    personal_number = data["personal_number"]
    found = (
        await uow.session.execute(
            select(col(Retiree.id), col(Retiree.status)).where(col(Retiree.personal_number) == personal_number)
        )
    ).one_or_none()
    if found is None:
        raise RetireeNotYetKnown(ErrorCode.RETIREE_NOT_YET_KNOWN, f"个人编号 {personal_number} 尚未同步到本系统")
    retiree_id, status = found
    if status == Status.DECEASED or retiree_id is None:
        return
    due_on = date.fromisoformat(data["due_on"])
    kind = NotificationKind.CERTIFICATION_REMINDER
    body = data.get("message") or reminder_body(due_on)
    await notify(
        uow,
        Notice(
            retiree_id,
            personal_number,
            kind,
            REMINDER_TITLE,
            body,
            inbound.event_id,
            due_on,
            occurred_at=inbound.occurred_at,
        ),
    )


async def on_certification_reminders_due(items: Sequence[tuple[Mapping[str, Any], Inbound]], uow: UnitOfWork) -> None:
    """The set-based twin of :func:`on_certification_reminder_due` for a proof-of-life season's burst: the same
    rows in a few statements. A retiree not known yet fails the run, which the hub then applies one by one."""
    numbers = [data["personal_number"] for data, _ in items]
    rows = await uow.session.execute(
        select(col(Retiree.personal_number), col(Retiree.id), col(Retiree.status)).where(
            col(Retiree.personal_number).in_(numbers)
        )
    )
    known = {number: (retiree_id, status) for number, retiree_id, status in rows}
    notices = []
    for data, inbound in items:
        number = data["personal_number"]
        if number not in known:
            raise RetireeNotYetKnown(ErrorCode.RETIREE_NOT_YET_KNOWN, f"个人编号 {number} 尚未同步到本系统")
        retiree_id, status = known[number]
        if status == Status.DECEASED or retiree_id is None:
            continue
        due_on = date.fromisoformat(data["due_on"])
        body = data.get("message") or reminder_body(due_on)
        kind = NotificationKind.CERTIFICATION_REMINDER
        notices.append(
            Notice(
                retiree_id,
                number,
                kind,
                REMINDER_TITLE,
                body,
                inbound.event_id,
                due_on,
                occurred_at=inbound.occurred_at,
            )
        )
    await notify_many(uow, notices)


@dataclass(frozen=True)
class Inbox:
    items: Sequence[RetireeNotification]
    unread: int


async def _known(session: AsyncSession, personal_number: str) -> int:
    retiree_id = await _retiree_id(session, personal_number)
    if retiree_id is None:
        raise NotFound(
            ErrorCode.RETIREE_NOT_FOUND, f"未找到个人编号为 {personal_number} 的退休人员", field="personal_number"
        )
    return retiree_id


async def _unread(session: AsyncSession, retiree_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(RetireeNotification)
        .where(col(RetireeNotification.retiree_id) == retiree_id, col(RetireeNotification.read_at).is_(None))
    )
    return int(count or 0)


async def list_for(session: AsyncSession, personal_number: str, unread_only: bool, limit: int) -> Inbox:
    """A retiree's notifications, newest first, and how many are unread; NotFound for an unknown person."""
    retiree_id = await _known(session, personal_number)
    query = select(RetireeNotification).where(col(RetireeNotification.retiree_id) == retiree_id)
    if unread_only:
        query = query.where(col(RetireeNotification.read_at).is_(None))
    query = query.order_by(col(RetireeNotification.created_at).desc(), col(RetireeNotification.id).desc()).limit(limit)
    items = list((await session.execute(query)).scalars().all())
    return Inbox(items, await _unread(session, retiree_id))


async def mark_read(session: AsyncSession, personal_number: str, ids: Collection[int]) -> tuple[list[int], int]:
    """Marks the person's notifications among ``ids`` read (ids of others or already read are left as they are);
    returns the ids marked now and how many remain unread."""
    retiree_id = await _known(session, personal_number)
    marked: list[int] = []
    if ids:
        result = await session.execute(
            update(RetireeNotification)
            .where(
                col(RetireeNotification.retiree_id) == retiree_id,
                col(RetireeNotification.id).in_(list(ids)),
                col(RetireeNotification.read_at).is_(None),
            )
            .values(read_at=func.now())
            .returning(col(RetireeNotification.id))
        )
        marked = sorted(marked_id for marked_id in result.scalars() if marked_id is not None)
    return marked, await _unread(session, retiree_id)
