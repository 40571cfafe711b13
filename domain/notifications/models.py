"""Notifications to retirees (4.5, issue 5): what the mobile channel shows a retiree in their inbox.

One row per source event (``source_event_id`` is unique), so a redelivered or re-published event adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class NotificationKind(StrEnum):
    CERTIFICATION_REMINDER = "certification_reminder"


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
    created_at: datetime | None = columns.created_at()
    read_at: datetime | None = columns.timestamp()
