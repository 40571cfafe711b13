"""Writing a notification and queueing its pushes (issue 20): one row per source event, and for each app the
retiree uses that has a webhook, a ``channel_push`` row and a ``channel.notification`` event through the outbox, in
the same transaction. An event delivered twice finds its notification already written and queues nothing again —
the first half of "never sent twice"; the push group's idempotent consumer is the second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from domain.notifications.models import ChannelPush, NotificationKind, RetireeNotification
from domain.shared.event_types import EventType
from domain.shared.uow import UnitOfWork
from domain.staff.models import ChannelClient

_PUSH_TARGETS = text(
    """
    SELECT b.client_id FROM channel_binding b JOIN channel_client c ON c.client_id = b.client_id
    WHERE b.retiree_id = :retiree_id AND c.active AND c.webhook_url IS NOT NULL
    ORDER BY b.client_id
    """
)


@dataclass(frozen=True)
class Notice:
    retiree_id: int
    personal_number: str
    kind: NotificationKind
    title: str
    body: str
    source_event_id: str
    due_on: date | None = None
    occurred_at: datetime = field(kw_only=True)  # the source event's time: the order of the retiree's pushes


async def notify(uow: UnitOfWork, notice: Notice) -> int | None:
    """Write the notification (once per source event) and queue its pushes; returns its id, None if it was written
    before."""
    inserted = await uow.session.execute(
        insert(RetireeNotification)
        .values(
            retiree_id=notice.retiree_id,
            personal_number=notice.personal_number,
            kind=notice.kind.value,
            title=notice.title,
            body=notice.body,
            due_on=notice.due_on,
            source_event_id=notice.source_event_id,
            occurred_at=notice.occurred_at,
        )
        .on_conflict_do_nothing(constraint="uq_retiree_notification_source_event")
        .returning(col(RetireeNotification.id))
    )
    notification_id = inserted.scalar_one_or_none()
    if notification_id is None:
        return None
    clients = list((await uow.session.execute(_PUSH_TARGETS, {"retiree_id": notice.retiree_id})).scalars())
    if clients:
        await uow.session.execute(
            insert(ChannelPush).values(
                [
                    {
                        "notification_id": notification_id,
                        "client_id": c,
                        "personal_number": notice.personal_number,
                        "state": "pending",
                    }
                    for c in clients
                ]
            )
        )
        await uow.publish_many(
            EventType.CHANNEL_NOTIFICATION,
            [
                (
                    notice.personal_number,
                    {
                        "notification_id": notification_id,
                        "client_id": c,
                        "personal_number": notice.personal_number,
                        "kind": notice.kind.value,
                    },
                )
                for c in clients
            ],
        )
    return notification_id


async def active_webhook_client(uow: UnitOfWork, client_id: str) -> ChannelClient | None:
    client: ChannelClient | None = (
        await uow.session.execute(select(ChannelClient).where(col(ChannelClient.client_id) == client_id))
    ).scalar_one_or_none()
    return client if client is not None and client.active and client.webhook_url else None


_PUSH_TARGETS_MANY = text(
    """
    SELECT b.retiree_id, b.client_id FROM channel_binding b JOIN channel_client c ON c.client_id = b.client_id
    WHERE b.retiree_id = ANY(:retiree_ids) AND c.active AND c.webhook_url IS NOT NULL
    ORDER BY b.retiree_id, b.client_id
    """
)


async def notify_many(uow: UnitOfWork, notices: Sequence[Notice]) -> int:
    """:func:`notify` for a run of notices (at most one per retiree, as a set-based run of the hub has), in a few
    statements; returns how many were new. The pushes are published without a per-event cause (one statement)."""
    if not notices:
        return 0
    inserted = await uow.session.execute(
        insert(RetireeNotification)
        .values(
            [
                {
                    "retiree_id": n.retiree_id,
                    "personal_number": n.personal_number,
                    "kind": n.kind.value,
                    "title": n.title,
                    "body": n.body,
                    "due_on": n.due_on,
                    "source_event_id": n.source_event_id,
                    "occurred_at": n.occurred_at,
                }
                for n in notices
            ]
        )
        .on_conflict_do_nothing(constraint="uq_retiree_notification_source_event")
        .returning(col(RetireeNotification.id), col(RetireeNotification.source_event_id))
    )
    new = {source: notification_id for notification_id, source in inserted.all()}
    fresh = [n for n in notices if n.source_event_id in new]
    if not fresh:
        return 0
    targets = await uow.session.execute(_PUSH_TARGETS_MANY, {"retiree_ids": [n.retiree_id for n in fresh]})
    clients: dict[int, list[str]] = {}
    for retiree_id, client_id in targets:
        clients.setdefault(retiree_id, []).append(client_id)
    pushes = [(n, new[n.source_event_id], client_id) for n in fresh for client_id in clients.get(n.retiree_id, [])]
    if pushes:
        await uow.session.execute(
            insert(ChannelPush).values(
                [
                    {"notification_id": i, "client_id": c, "personal_number": n.personal_number, "state": "pending"}
                    for n, i, c in pushes
                ]
            )
        )
        await uow.publish_many(
            EventType.CHANNEL_NOTIFICATION,
            [
                (
                    n.personal_number,
                    {"notification_id": i, "client_id": c, "personal_number": n.personal_number, "kind": n.kind.value},
                )
                for n, i, c in pushes
            ],
        )
    return len(fresh)
