"""A pension adjustment (调资, 2.5) as the provincial platform applied it to one retiree: the history the ledgers
and the yearly adjustment report read."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Numeric, PrimaryKeyConstraint, Text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class PensionAdjustment(SQLModel, table=True):
    __tablename__ = "pension_adjustment"
    __table_args__ = (PrimaryKeyConstraint("retiree_id", "batch_id"),)

    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), nullable=False))
    batch_id: str = Field(sa_column=Column(Text, nullable=False))
    adjustment_year: int = Field(sa_column=Column(Integer, nullable=False))
    amount_before: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    amount_after: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    increase: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    effective_month: str = columns.text(nullable=False)  # YYYY-MM
    event_id: str = columns.text(nullable=False)
    applied_at: datetime | None = columns.created_at()
