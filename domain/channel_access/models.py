"""What the hub keeps about the apps acting for retirees: each assertion used once, and each app a retiree uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class UsedAssertion(SQLModel, table=True):
    """An assertion (by the app's ``jti``) already exchanged for a retiree token: the same one again is a replay.

    Rows are needed only until the assertion would have expired anyway; housekeeping may delete older ones."""

    __tablename__ = "channel_used_assertion"
    __table_args__ = (Index("ix_channel_used_assertion_expires", "expires_at"),)

    client_id: str = Field(sa_column=Column(Text, primary_key=True))
    jti: str = Field(sa_column=Column(Text, primary_key=True))
    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = columns.created_at()


class ChannelBinding(SQLModel, table=True):
    """An app a retiree uses: written the first time the app vouches for them. Their notifications are pushed to
    these apps only — an app the retiree never used learns nothing about them."""

    __tablename__ = "channel_binding"
    __table_args__ = (Index("ix_channel_binding_client", "client_id"),)

    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), primary_key=True))
    client_id: str = Field(sa_column=Column(Text, primary_key=True))
    bound_at: datetime | None = columns.created_at()
    last_seen_at: datetime | None = columns.created_at()
