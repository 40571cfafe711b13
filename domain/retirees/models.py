"""The retiree and the supplementary information community staff capture at registration (4.2, 5.1)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, Numeric, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from domain.retirees.lifecycle import Lifecycle, Status
from domain.shared import columns


def _date(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Date, nullable=nullable))


class Retiree(SQLModel, table=True):
    """A retiree of the registry. ``institution_id`` is where they are managed (NULL until registered: then only the
    city level sees them); ``status`` and the suspension fields are the lifecycle, changed only through
    domain/retirees/lifecycle.py so that every change is logged (6.22)."""

    __tablename__ = "retiree"
    __table_args__ = (
        Index("ix_retiree_institution_status", "institution_id", "status"),
        Index("ix_retiree_status", "status"),
        Index("ix_retiree_employer_code", "employer_code"),
        # 6.5 and 6.6: per community, the people insured by an agency of another district (migration 0029).
        Index("ix_retiree_institution_agency", "institution_id", "insuring_agency_code"),
        # 6.21: the newly approved, newest first (migration 0030).
        Index("ix_retiree_created", text("created_at DESC NULLS LAST"), "id"),
        # 6.13 and the city-wide counts of managed people: merged with another table in person order (migration 0031).
        Index(
            "ix_retiree_managed",
            "id",
            postgresql_include=["approval_date"],
            postgresql_where=text(
                "status IN ('registered', 'suspended', 'transferring_out') AND institution_id IS NOT NULL"
            ),
        ),
        # 6.12: birthdays by month and day, whatever the year (migration 0029).
        Index(
            "ix_retiree_birthday", text("(EXTRACT(MONTH FROM birth_date) * 100 + EXTRACT(DAY FROM birth_date))::int")
        ),
        # The overdue-certification rule (4.5) scans registered retirees by their last certification date (or, never
        # certified, their registration date).
        Index(
            "ix_retiree_certified_registered",
            text("coalesce(last_certified_on, registered_on)"),
            postgresql_where=text("status = 'registered'"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    personal_number: str = columns.text(nullable=False, unique=True)
    id_number: str = columns.text(nullable=False, unique=True)
    name: str = columns.text(nullable=False)
    sex: str = columns.text(nullable=False)
    birth_date: date = _date(nullable=False)
    retirement_date: date | None = _date()
    retirement_category: str | None = columns.text()
    approval_date: date | None = _date()
    insuring_agency_code: str = columns.text(nullable=False, index=True)
    employer_code: str | None = columns.text()
    payment_status: str = columns.text(nullable=False, default="1")
    monthly_pension: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2), nullable=True))
    management_form: str = columns.text(nullable=False, default="1")
    residence_address: str | None = columns.text()
    phone: str | None = columns.text()
    institution_id: int | None = columns.reference("institution.id", index=False)
    status: Status = columns.enum_text(Status, nullable=False, default=Status.APPROVED)
    suspension_reason: str | None = columns.text()
    resume_to: Status | None = columns.enum_text(Status)
    status_since: date | None = _date()
    registered_on: date | None = _date()
    death_date: date | None = _date()
    last_certified_on: date | None = _date()
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime | None = columns.created_at()
    updated_at: datetime | None = columns.timestamp()

    @property
    def lifecycle(self) -> Lifecycle:
        return Lifecycle(
            Status(self.status),
            self.institution_id,
            self.suspension_reason,
            Status(self.resume_to) if self.resume_to else None,
        )

    def move_to(self, state: Lifecycle, on: date) -> None:
        if state.status != self.status:
            self.status_since = on
        self.status = state.status
        self.institution_id = state.institution_id
        self.suspension_reason = state.suspension_reason
        self.resume_to = state.resume_to
        self.version += 1


class SupplementaryInfo(SQLModel, table=True):
    """What community staff record from the registration form (4.2), including the special categories behind the
    ledgers of 5.1 (the aged ledger is computed from the birth date, never entered)."""

    __tablename__ = "retiree_supplementary_info"
    __table_args__ = (Index("ix_supplementary_special_categories", "special_categories", postgresql_using="gin"),)

    retiree_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("retiree.id", ondelete="CASCADE"), primary_key=True)
    )
    household_address: str | None = columns.text()
    marital_status: str | None = columns.text()
    health_status: str | None = columns.text()
    living_arrangement: str | None = columns.text()
    emergency_contact_name: str | None = columns.text()
    emergency_contact_phone: str | None = columns.text()
    special_categories: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    remarks: str | None = columns.text()
    recorded_by: str = columns.text(nullable=False)
    recorded_at: datetime | None = columns.created_at()
    updated_at: datetime | None = columns.timestamp()
