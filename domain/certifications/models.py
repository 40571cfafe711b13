"""Certifications: every report from every source, and the one certification per retiree per day they amount to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.shared import columns


class Certification(SQLModel, table=True):
    """A passed proof-of-life certification: one per retiree and day, whichever sources reported it. ``source`` and
    ``method`` are those of the highest-precedence report (rules.SOURCE_PRECEDENCE)."""

    __tablename__ = "certification"
    __table_args__ = (
        UniqueConstraint("retiree_id", "certified_on", name="uq_certification_retiree_day"),
        Index("ix_certification_certified_on", "certified_on"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), nullable=False))
    certified_on: date = Field(sa_column=Column(Date, nullable=False))
    source: str = columns.text(nullable=False)
    method: str = columns.text(nullable=False)
    certified_by: str | None = columns.text()
    location_code: str | None = columns.text()
    recorded_at: datetime | None = columns.created_at()


class CertificationReport(SQLModel, table=True):
    """What one source said, as it said it: kept for the history (6.13) and to make every source idempotent
    (``(source, source_id)`` is unique). A failed attempt is a report with no certification."""

    __tablename__ = "certification_report"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_certification_report_source"),
        Index("ix_certification_report_retiree", "retiree_id", "certified_on"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), nullable=False))
    source: str = columns.text(nullable=False)
    source_id: str = columns.text(nullable=False)
    method: str = columns.text(nullable=False)
    certified_on: date = Field(sa_column=Column(Date, nullable=False))
    result: str = columns.text(nullable=False)
    certified_by: str | None = columns.text()
    location_code: str | None = columns.text()
    certification_id: int | None = columns.reference("certification.id", index=False)
    event_id: str | None = columns.text()
    recorded_at: datetime | None = columns.created_at()


class CertificationReminder(SQLModel, table=True):
    """A reminder sent for one due date: at most one per retiree and due date, however often the job runs."""

    __tablename__ = "certification_reminder"

    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), primary_key=True))
    due_on: date = Field(sa_column=Column(Date, primary_key=True))
    sent_at: datetime | None = columns.created_at()
