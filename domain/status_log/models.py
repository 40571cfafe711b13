"""One entry of the status-change log, bitemporal: ``effective_date`` is when it took legal effect, ``entered_at``
when the system learnt it, so "the state on date D as known at time T" can always be answered."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from domain.shared import columns
from domain.status_log.events import log_entry_id


class SyncState(StrEnum):
    """How far the entry has got towards the provincial platform."""

    PENDING = "pending"  # written with its event in the outbox, not yet pushed
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"  # the last push attempt failed for good; an operator resends
    NOT_SENT = "not_sent"  # the change came from the province itself: nothing to tell it


class CauseType(StrEnum):
    STAFF = "staff"
    CHANNEL = "channel"  # a retiree's own application through a channel app
    EVENT = "event"  # an inbound canonical event
    RULE = "rule"  # a scheduled rule such as the overdue-certification suspension
    IMPORT = "import"  # history brought over from the legacy system


class StatusChange(SQLModel, table=True):
    __tablename__ = "status_change"
    __table_args__ = (
        Index("ix_status_change_retiree_effective", "retiree_id", "effective_date", "id"),
        # 6.22 newest first, the whole city and per institution (migration 0030).
        Index("ix_status_change_entered", text("entered_at DESC NULLS LAST"), "id"),
        Index("ix_status_change_institution_entered", "institution_id", text("entered_at DESC NULLS LAST"), "id"),
        Index(
            "ix_status_change_unacknowledged",
            "sync_state",
            postgresql_where=text("sync_state IN ('pending', 'sent', 'failed')"),
        ),
        Index(
            "ux_status_change_reverses", "reverses_id", unique=True, postgresql_where=text("reverses_id IS NOT NULL")
        ),
        # 4.8: the institution changes (splits and merges) of a period, for the reports and the timeline.
        Index(
            "ix_status_change_institution_changed",
            "effective_date",
            "retiree_id",
            "id",
            postgresql_where=text("kind = 'institution_changed'"),
        ),
        # 6.15: suspensions and resumptions newest first, without reading the whole log (migration 0026).
        Index(
            "ix_status_change_suspensions",
            "effective_date",
            "id",
            postgresql_include=["institution_id"],
            postgresql_where=text("kind IN ('suspended', 'resumed')"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    retiree_id: int = columns.reference("retiree.id", nullable=False, index=False)
    personal_number: str = columns.text(nullable=False)
    kind: str = columns.text(nullable=False)
    reason_code: str = columns.text(nullable=False)
    from_status: str = columns.text(nullable=False)
    to_status: str = columns.text(nullable=False)
    before_state: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    after_state: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    effective_date: date = Field(sa_column=Column(Date, nullable=False))
    entered_at: datetime | None = columns.created_at()
    institution_id: int | None = columns.reference("institution.id", index=False)
    cause_type: str = columns.text(nullable=False)
    cause_ref: str | None = columns.text()
    actor: str | None = columns.text()
    remarks: str | None = columns.text()
    reverses_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("status_change.id"), nullable=True)
    )
    event_id: str | None = columns.text()
    sync_state: str = columns.text(nullable=False, default=SyncState.PENDING.value)
    sent_at: datetime | None = columns.timestamp()
    acknowledged_at: datetime | None = columns.timestamp()
    sync_error: str | None = columns.text()
    receipt_no: str | None = columns.text()  # the platform's receipt of the push (its acknowledgement)

    @property
    def entry_id(self) -> str:
        """The id the provincial platform sees (log_entry_id of person_status.changed)."""
        assert self.id is not None, "the entry has no row yet (flush it first)"
        return log_entry_id(self.id)


class RetireeStatePeriod(SQLModel, table=True):
    """One period of a retiree's state (issue 18, as of any date): kept by the database from the log (migration
    0022_state_periods, a trigger on ``status_change``), never written by the application. ``valid_from`` NULL is
    "since the beginning", ``valid_to`` NULL "still"; ``valid_to`` is exclusive."""

    __tablename__ = "retiree_state_period"
    __table_args__ = (
        Index("ix_retiree_state_period_institution", "institution_id", "status"),
        # The closed periods covering a past date, read index-only by every as-of query (migration 0026).
        Index(
            "ix_retiree_state_period_closed",
            "valid_to",
            "retiree_id",
            postgresql_include=["valid_from", "status", "institution_id", "suspension_reason"],
            postgresql_where=text("valid_to IS NOT NULL"),
        ),
        # 6.4: the closed periods in which someone was managed, per institution (migration 0030).
        Index(
            "ix_retiree_state_period_managed_closed",
            "institution_id",
            postgresql_include=["retiree_id", "seq", "valid_from", "valid_to"],
            postgresql_where=text("valid_to IS NOT NULL AND status IN ('registered', 'suspended', 'transferring_out')"),
        ),
    )

    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), primary_key=True))
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    valid_from: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    valid_to: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status: str = columns.text(nullable=False)
    institution_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    suspension_reason: str | None = columns.text()
    entry_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
