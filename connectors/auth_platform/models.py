"""What the hub keeps about its exchange with the authentication platform: face results already received (the
webhook's replay check) and each retiree's face-model share (visible per retiree, retried until shared)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class FaceResultReceipt(SQLModel, table=True):
    """A face result the webhook has made durable on Kafka. Written only after the broker's acknowledgement, so a
    push the hub failed to keep can be sent again; a second push of the same ``result_id`` is a replay."""

    __tablename__ = "face_result_receipt"

    result_id: str = Field(sa_column=Column(Text, primary_key=True))
    personal_number: str = columns.text(nullable=False)
    event_id: str = columns.text(nullable=False)
    received_at: datetime | None = columns.created_at()


class ShareState(StrEnum):
    PENDING = "pending"  # waiting for the next batch (or for its retry time after a transient failure)
    SHARED = "shared"  # the platform accepted it (or already had it)
    REFUSED = "refused"  # the platform refused this person (4xx naming them): staff must correct the data


class FaceModelShare(SQLModel, table=True):
    """One retiree's share with the authentication platform so it can build their face model."""

    __tablename__ = "face_model_share"
    __table_args__ = (
        Index(
            "ix_face_model_share_due",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
    )

    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), primary_key=True))
    personal_number: str = columns.text(nullable=False)
    state: str = columns.text(nullable=False, default=ShareState.PENDING.value)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    requested_at: datetime | None = columns.created_at()
    next_attempt_at: datetime | None = columns.created_at()
    shared_at: datetime | None = columns.timestamp()
    batch_id: str | None = columns.text()
    last_error: str | None = columns.text()
