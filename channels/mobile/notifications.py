"""4.5 手机端消息: the notifications a retiree sees in the app (certification reminders), and marking them read.

Filled by the ``mobile-notifications`` consumer group from ``certification.reminder_due`` events
(domain/notifications); authenticated as a channel client like the rest of the channel API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from channels.deps import BodyId, ChannelActor, Session
from domain.notifications import service as notifications
from domain.notifications.models import RetireeNotification

router = APIRouter(prefix="/channel/v1", tags=["渠道接口 手机端消息 4.5"])

PersonalNumber = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,20}$", description="养老金编号（个人编号）")]


class Notification(BaseModel):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    due_on: date | None
    created_at: datetime | None
    read: bool
    read_at: datetime | None


class NotificationList(BaseModel):
    personal_number: str
    unread_count: int
    items: list[Notification]


class ReadRequest(BaseModel):
    ids: list[BodyId] = Field(min_length=1, max_length=200, description="要标记为已读的消息编号")


class ReadResult(BaseModel):
    marked: list[int]
    unread_count: int


def _notification(row: RetireeNotification) -> Notification:
    assert row.id is not None
    return Notification(
        id=row.id,
        kind=row.kind,
        kind_label=notifications.KIND_LABELS.get(row.kind, "消息"),
        title=row.title,
        body=row.body,
        due_on=row.due_on,
        created_at=row.created_at,
        read=row.read_at is not None,
        read_at=row.read_at,
    )


@router.get("/retirees/{personal_number}/notifications", response_model=NotificationList)
async def list_notifications(
    personal_number: PersonalNumber,
    session: Session,
    actor: ChannelActor,
    unread: bool = Query(default=False, description="只返回未读消息"),
    limit: int = Query(default=50, ge=1, le=200, description="最多返回的条数"),
) -> NotificationList:
    """查询退休人员的消息（最新的在前），如资格认证到期提醒。"""
    inbox = await notifications.list_for(session, personal_number, unread, limit)
    return NotificationList(
        personal_number=personal_number,
        unread_count=inbox.unread,
        items=[_notification(row) for row in inbox.items],
    )


@router.post("/retirees/{personal_number}/notifications/read", response_model=ReadResult)
async def read_notifications(
    personal_number: PersonalNumber, body: ReadRequest, session: Session, actor: ChannelActor
) -> ReadResult:
    """将消息标记为已读；已读的或不属于该人员的消息编号不作改变。"""
    marked, unread = await notifications.mark_read(session, personal_number, body.ids)
    return ReadResult(marked=marked, unread_count=unread)
