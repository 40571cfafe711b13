"""The brake on mass suspensions (4.5, issue 14): a night whose suspensions exceed the city's or an institution's
threshold holds them as a batch for a city-level operator to approve (all or part) or reject."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from domain.shared import columns


class BatchState(StrEnum):
    HELD = "held"  # waiting for a city-level decision; some of its people may already be approved
    APPROVED = "approved"  # every person decided, all approved
    PARTLY_APPROVED = "partly_approved"  # every person decided, some approved, the rest rejected
    REJECTED = "rejected"  # nobody suspended


class Outcome(StrEnum):
    HELD = "held"
    SUSPENDED = "suspended"  # approved and suspended
    SKIPPED = "skipped"  # approved, but no longer due (certified, registered, moved meanwhile)
    REJECTED = "rejected"


class SuspensionBatch(SQLModel, table=True):
    __tablename__ = "suspension_batch"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    night: date = Field(sa_column=Column(Date, nullable=False, index=True))
    state: BatchState = columns.enum_text(BatchState, nullable=False, default=BatchState.HELD)
    held: int = Field(default=0)
    per_rule: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    per_institution: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    why: str = columns.text(nullable=False)
    created_at: datetime | None = columns.created_at()
    decided_by: str | None = columns.text()
    decided_at: datetime | None = columns.timestamp()
    rejection_reason: str | None = columns.text()


class BatchPerson(SQLModel, table=True):
    __tablename__ = "suspension_batch_person"
    __table_args__ = (
        # A person is held by one open batch at most: the next night's run skips them while it is open.
        Index("ux_suspension_batch_person_held", "retiree_id", unique=True, postgresql_where=text("outcome = 'held'")),
        Index("ix_suspension_batch_person_batch_institution", "batch_id", "institution_id"),
        Index("ix_suspension_batch_person_retiree", "retiree_id"),  # the retiree's timeline
    )

    batch_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("suspension_batch.id", ondelete="CASCADE"), primary_key=True)
    )
    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), primary_key=True))
    rule: str = columns.text(nullable=False)
    reason_code: str = columns.text(nullable=False)
    institution_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    outcome: Outcome = columns.enum_text(Outcome, nullable=False, default=Outcome.HELD)
