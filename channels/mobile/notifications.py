"""4.5 手机端消息: the notifications a retiree sees in the app, and marking them read — the pull endpoint, for apps
without a webhook (apps with one receive each notification pushed, connectors/channel_push/).

Filled by the ``mobile-notifications`` consumer group (domain/notifications); under a retiree token (issue 20,
channels/mobile/caller.py): an app reads the inbox of the retiree it vouched for, and no other.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import BodyId, Session
from channels.mobile.caller import CHANNEL_RESPONSES, RetireeActor
from domain.notifications import service as notifications
from domain.notifications.models import RetireeNotification

router = APIRouter(prefix="/channel/v1", tags=["渠道接口 手机端消息 4.5"], responses=CHANNEL_RESPONSES)


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


@router.get("/me/notifications", response_model=NotificationList)
async def list_notifications(
    session: Session,
    caller: RetireeActor,
    unread: bool = Query(default=False, description="只返回未读消息"),
    limit: int = Query(default=50, ge=1, le=200, description="最多返回的条数"),
) -> NotificationList:
    """查询本人的消息（最新的在前）：资格认证到期提醒、暂停与恢复发放、登记结果、转入结果。"""
    personal_number = caller.retiree.personal_number
    inbox = await notifications.list_for(session, personal_number, unread, limit)
    return NotificationList(
        personal_number=personal_number,
        unread_count=inbox.unread,
        items=[_notification(row) for row in inbox.items],
    )


@router.post("/me/notifications/read", response_model=ReadResult)
async def read_notifications(body: ReadRequest, session: Session, caller: RetireeActor) -> ReadResult:
    """将本人的消息标记为已读；已读的或不属于本人的消息编号不作改变。"""
    marked, unread = await notifications.mark_read(session, caller.retiree.personal_number, body.ids)
    return ReadResult(marked=marked, unread_count=unread)
