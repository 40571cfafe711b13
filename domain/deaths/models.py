"""A death recorded by staff (4.6) and the pension overpaid after it, to recover."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Numeric, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from domain.deaths.rules import RecoveryState
from domain.shared import columns


class DeathRecord(SQLModel, table=True):
    """One death registration: what staff recorded, the status-change log entry it made (deceased, DTH) and the
    overpayment computed when it was recorded. A death recorded in error is restored through the status-change log
    (a new entry reversing ``status_change_id``); the record then reads as withdrawn and its overpayment as
    cancelled — it is never edited or deleted."""

    __tablename__ = "death_record"
    __table_args__ = (
        Index("ix_death_record_retiree", "retiree_id", "id"),
        Index(
            "ix_death_record_to_recover",
            "recovery_state",
            postgresql_where=text("recovery_state = 'to_recover'"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), nullable=False))
    status_change_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("status_change.id"), nullable=False, unique=True)
    )
    death_date: date = Field(sa_column=Column(Date, nullable=False))
    evidence: str = columns.text(nullable=False)
    document_number: str | None = columns.text()
    remarks: str | None = columns.text()
    recorded_on: date = Field(sa_column=Column(Date, nullable=False))  # the city's calendar
    recorded_by: str = columns.text(nullable=False)
    recorded_at: datetime | None = columns.created_at()
    overpaid_months: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    monthly_pension: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    overpaid_amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    recovery_state: str = columns.text(nullable=False, default=RecoveryState.NONE.value)
    recovery_remarks: str | None = columns.text()
    recovery_marked_by: str | None = columns.text()
    recovery_marked_at: datetime | None = columns.timestamp()
