"""A retiree's application, from a channel app, to be registered at a community (4.1, mobile registration)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class ApplicationState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


APPLICATION_STATE_LABELS = {
    ApplicationState.PENDING: "待社区确认",
    ApplicationState.CONFIRMED: "已确认登记",
    ApplicationState.REJECTED: "已退回",
}


class RegistrationApplication(SQLModel, table=True):
    __tablename__ = "registration_application"
    __table_args__ = (
        # One open application per retiree: they may apply again elsewhere only after a rejection.
        Index(
            "ux_registration_application_pending", "retiree_id", unique=True, postgresql_where=text("state = 'pending'")
        ),
        Index("ix_registration_application_community_state", "community_id", "state"),
    )

    id: str = Field(sa_column=Column(Text, primary_key=True))
    retiree_id: int = columns.reference("retiree.id", nullable=False, index=False)
    community_id: int = columns.reference("institution.id", nullable=False, index=False)
    channel_client: str = columns.text(nullable=False)
    contact_phone: str | None = columns.text()
    state: str = columns.text(nullable=False, default=ApplicationState.PENDING.value)
    reject_reason: str | None = columns.text()
    submitted_at: datetime | None = columns.created_at()
    decided_at: datetime | None = columns.timestamp()
    decided_by: str | None = columns.text()
