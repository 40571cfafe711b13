"""The residence history of retirees insured here (4.7) and the people insured elsewhere who live here (6.16)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class Residence(SQLModel, table=True):
    """Where a retiree lives, one row per change (kept: the timeline shows each); ``current`` marks the latest. A
    residence in another city makes the retiree non-local (本市参保异地居住)."""

    __tablename__ = "retiree_residence"
    __table_args__ = (
        Index("ux_retiree_residence_current", "retiree_id", unique=True, postgresql_where=text("current")),
        Index("ix_retiree_residence_current_city", "city_code", postgresql_where=text("current")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    retiree_id: int = columns.reference("retiree.id", nullable=False, ondelete="CASCADE")
    city_code: str = columns.text(nullable=False)  # GB/T 2260, city level
    address: str | None = columns.text()
    phone: str | None = columns.text()
    since: date = Field(sa_column=Column(Date, nullable=False))
    current: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true")))
    recorded_by: str = columns.text(nullable=False)
    recorded_at: datetime | None = columns.created_at()


class IncomingResident(SQLModel, table=True):
    """A retiree insured in another city who lives here (外地参保本市居住), kept by the community they live in. Not a
    retiree of this registry: no lifecycle, no payments."""

    __tablename__ = "incoming_resident"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    id_number: str = columns.text(nullable=False, unique=True)
    name: str = columns.text(nullable=False)
    insuring_place_code: str = columns.text(nullable=False)  # GB/T 2260, city level
    address: str | None = columns.text()
    phone: str | None = columns.text()
    community_id: int = columns.reference("institution.id", nullable=False)
    since: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    recorded_by: str = columns.text(nullable=False)
    created_at: datetime | None = columns.created_at()
    updated_at: datetime | None = columns.timestamp()
