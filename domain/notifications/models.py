"""Notifications to retirees (4.5, issue 5): what the mobile channel shows a retiree in their inbox.

One row per source event (``source_event_id`` is unique), so a redelivered or re-published event adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class NotificationKind(StrEnum):
    CERTIFICATION_REMINDER = "certification_reminder"  # 4.5: certification due soon
    SUSPENDED = "suspended"  # 4.5: payment suspended, with the reason and what resumes it
    RESUMED = "resumed"  # 4.5: payment resumed
    REGISTERED = "registered"  # 4.1: registration confirmed
    REGISTRATION_REJECTED = "registration_rejected"  # 4.1: application rejected, with the reason
    TRANSFERRED_IN = "transferred_in"  # 4.4: taken in by the new community


class PushState(StrEnum):
    PENDING = "pending"  # queued on Kafka for the channel-push group (or held: quiet hours, the app down)
    DELIVERED = "delivered"  # the app's webhook answered 2xx
    DEAD = "dead"  # refused (4xx) or still failing after the last attempt: dead-lettered with the reason
    SKIPPED = "skipped"  # the app was disabled or lost its webhook before the push: it reads the inbox instead


class RetireeNotification(SQLModel, table=True):
    """A message for one retiree, read or not yet read."""

    __tablename__ = "retiree_notification"
    __table_args__ = (
        UniqueConstraint("source_event_id", name="uq_retiree_notification_source_event"),
        Index("ix_retiree_notification_retiree_created", "retiree_id", text("created_at DESC")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), nullable=False))
    personal_number: str = columns.text(nullable=False)
    kind: str = columns.text(nullable=False)
    title: str = columns.text(nullable=False)
    body: str = columns.text(nullable=False)
    due_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    source_event_id: str = columns.text(nullable=False)
    # When the fact behind it happened (the source event's ``time``): a retiree's pushes go out in this order, also
    # when the facts came on different topics and were read in another order (connectors/channel_push/pusher.py).
    occurred_at: datetime | None = columns.created_at()
    created_at: datetime | None = columns.created_at()
    read_at: datetime | None = columns.timestamp()


class ChannelPush(SQLModel, table=True):
    """The push of one notification to one app's webhook (issue 20): what operators and the tests look at. The
    notification's ``source_event_id`` is the idempotency key the app sees, the same on every attempt."""

    __tablename__ = "channel_push"
    __table_args__ = (
        Index("ix_channel_push_client_state", "client_id", "state"),
        Index(
            "ix_channel_push_pending_retiree",
            "personal_number",
            "client_id",
            postgresql_where=text("state = 'pending'"),
        ),
    )

    notification_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree_notification.id"), primary_key=True))
    client_id: str = Field(sa_column=Column(Text, primary_key=True))
    personal_number: str = columns.text(nullable=False)
    state: str = columns.text(nullable=False, default=PushState.PENDING.value)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    queued_at: datetime | None = columns.created_at()
    delivered_at: datetime | None = columns.timestamp()
    last_error: str | None = columns.text()
