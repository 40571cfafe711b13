"""The hub's own tables: the transactional outbox, the processed-event ledger and the parked events.

Domain tables live with their bounded contexts in ``domain/``; they share ``SQLModel.metadata`` so that one Alembic
history migrates everything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, PrimaryKeyConstraint, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

OUTBOX_CHANNEL = "hub_outbox"
PARKED_CHANNEL = "hub_parked"
ACTIVE_PARKED_STATUSES = ("waiting", "retrying", "dead", "replay")


def _timestamp(nullable: bool = False, default_now: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            DateTime(timezone=True), nullable=nullable, server_default=func.now() if default_now else None
        ),
    )


class OutboxMessage(SQLModel, table=True):
    """A message waiting to leave for Kafka, written in the same transaction as the change that caused it."""

    __tablename__ = "hub_outbox"
    __table_args__ = (
        Index("ix_hub_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
        Index("ix_hub_outbox_sent_at", "sent_at", postgresql_where=text("sent_at IS NOT NULL")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    event_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    event_type: str = Field(sa_column=Column(Text, nullable=False))
    topic: str = Field(sa_column=Column(Text, nullable=False))
    key: str = Field(sa_column=Column(Text, nullable=False))
    headers: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    occurred_at: datetime = _timestamp()
    created_at: datetime | None = _timestamp(default_now=True)
    sent_at: datetime | None = _timestamp(nullable=True)


class ProcessedEvent(SQLModel, table=True):
    """That a consumer group has applied an event; written in the same transaction as the event's effect."""

    __tablename__ = "hub_processed_event"
    __table_args__ = (
        PrimaryKeyConstraint("consumer_group", "event_id"),
        Index("ix_hub_processed_event_processed_at", "processed_at"),
    )

    consumer_group: str = Field(sa_column=Column(Text, nullable=False))
    event_id: str = Field(sa_column=Column(Text, nullable=False))
    processed_at: datetime | None = _timestamp(default_now=True)


class ParkedEvent(SQLModel, table=True):
    """An event a consumer group could not apply, or one waiting behind such an event for the same topic and key.

    status: ``retrying`` (transient failure, retried at ``next_attempt_at``), ``dead`` (dead-lettered, the key
    stays blocked until an operator replays or discards it), ``replay`` (an operator asked for another try),
    ``waiting`` (behind an earlier parked event of the same topic and key), then ``resolved`` or ``discarded``.
    """

    __tablename__ = "hub_parked_event"
    __table_args__ = (
        Index(
            "ix_hub_parked_event_active_key",
            "consumer_group",
            "event_key",
            "id",
            postgresql_where=text("status IN ('waiting', 'retrying', 'dead', 'replay')"),
        ),
        Index("ix_hub_parked_event_status", "consumer_group", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    consumer_group: str = Field(sa_column=Column(Text, nullable=False))
    event_key: str = Field(sa_column=Column(Text, nullable=False))
    topic: str = Field(sa_column=Column(Text, nullable=False))
    partition: int = Field(nullable=False)
    offset: int = Field(sa_column=Column(BigInteger, nullable=False))
    event_id: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    event_type: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    headers: list[list[str]] = Field(sa_column=Column(JSONB, nullable=False))
    value: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    status: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = Field(default=0, nullable=False)
    error_type: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error_message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    first_failed_at: datetime | None = _timestamp(nullable=True)
    last_failed_at: datetime | None = _timestamp(nullable=True)
    next_attempt_at: datetime | None = _timestamp(nullable=True)
    dead_lettered_at: datetime | None = _timestamp(nullable=True)
    resolved_at: datetime | None = _timestamp(nullable=True)
    parked_at: datetime | None = _timestamp(default_now=True)
