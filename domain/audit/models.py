"""An audit entry, chained to the one before it by a SHA-256 hash so that an edit or a deletion shows. A bulk
job's entry names every retiree of its chunk in ``retiree_ids``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from domain.shared import columns


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_retiree", "retiree_id", postgresql_where=text("retiree_id IS NOT NULL")),
        Index("ix_audit_entry_actor_at", "actor", "at"),
        Index(
            "ix_audit_entry_retiree_ids",
            "retiree_ids",
            postgresql_using="gin",
            postgresql_where=text("retiree_ids IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = columns.text(nullable=False)
    actor_role: str | None = columns.text()
    institution_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action: str = columns.text(nullable=False)
    retiree_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    target: str | None = columns.text()
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    retiree_ids: list[int] | None = Field(default=None, sa_column=Column(ARRAY(BigInteger), nullable=True))
    source_ip: str | None = columns.text()
    prev_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
