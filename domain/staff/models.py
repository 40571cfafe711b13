"""Staff accounts and the channel clients (mobile apps) allowed to call the channel API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, Index, text, true
from sqlmodel import Field, SQLModel

from domain.shared import columns


class StaffAccount(SQLModel, table=True):
    """A member of staff of one institution. ``role`` is NULL until the security administrator grants one: the
    system administrator creates accounts but cannot give them permissions."""

    __tablename__ = "staff_account"
    __table_args__ = (
        # One person (by ID number) may hold at most one of the three administrator roles.
        Index(
            "ux_staff_account_admin_person",
            "id_number",
            unique=True,
            postgresql_where=text("role IN ('system_admin', 'security_admin', 'auditor') AND active"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    username: str = columns.text(nullable=False, unique=True)
    full_name: str = columns.text(nullable=False)
    id_number: str | None = columns.text()
    phone: str | None = columns.text()
    password_hash: str = columns.text(nullable=False)
    institution_id: int = columns.reference("institution.id", nullable=False)
    role: str | None = columns.text()
    query_scope_institution_id: int | None = columns.reference("institution.id", index=False)
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    created_by: str | None = columns.text()
    created_at: datetime | None = columns.created_at()
    updated_at: datetime | None = columns.timestamp()
    last_login_at: datetime | None = columns.timestamp()


class ChannelClient(SQLModel, table=True):
    """A channel app (石i民, 石家庄人社) authenticated by client id and secret to use the mobile channel API."""

    __tablename__ = "channel_client"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    client_id: str = columns.text(nullable=False, unique=True)
    name: str = columns.text(nullable=False)
    secret_hash: str = columns.text(nullable=False)
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    created_at: datetime | None = columns.created_at()
