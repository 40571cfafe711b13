"""Staff accounts and the channel clients (mobile apps) allowed to call the channel API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, Text, false, text, true
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
    # Login hardening (domain/staff/login.py): failures in the current window, the lock, what the owner is told at
    # the next successful login, the password's age and whether an administrator set it, and the instant before
    # which every token of the account is void (a password change or reset).
    failed_logins: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    first_failed_login_at: datetime | None = columns.timestamp()
    locked_until: datetime | None = columns.timestamp()
    failures_since_login: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    locked_since_login: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    password_changed_at: datetime | None = columns.created_at()
    must_change_password: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    tokens_valid_after: datetime | None = columns.timestamp()


class PasswordHistory(SQLModel, table=True):
    """The argon2 hashes of an account's last passwords (the current one included), so none is reused."""

    __tablename__ = "staff_password_history"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    account_id: int = columns.reference("staff_account.id", nullable=False, ondelete="CASCADE")
    password_hash: str = columns.text(nullable=False)
    created_at: datetime | None = columns.created_at()


class RevokedToken(SQLModel, table=True):
    """A staff token ended by logout before it expired; rows past ``expires_at`` are deleted (the token is dead)."""

    __tablename__ = "staff_revoked_token"

    jti: str = Field(sa_column=Column(Text, primary_key=True))
    username: str = columns.text(nullable=False)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    revoked_at: datetime | None = columns.created_at()


class ChannelClient(SQLModel, table=True):
    """A channel app (石i民, 石家庄人社) authenticated by client id and secret to use the mobile channel API."""

    __tablename__ = "channel_client"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    client_id: str = columns.text(nullable=False, unique=True)
    name: str = columns.text(nullable=False)
    secret_hash: str = columns.text(nullable=False)
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    # Issue 20 (docs/channel-contract.md): the HMAC key shared with the app — it signs the retiree assertions the app
    # sends, the hub signs its pushes with it — where the pushes go (None: the app polls), and the client's own limit.
    signing_secret: str | None = columns.text()
    webhook_url: str | None = columns.text()
    rate_limit_per_minute: int = Field(default=600, sa_column=Column(Integer, nullable=False, server_default="600"))
    created_at: datetime | None = columns.created_at()
