"""Column helpers shared by the domain's tables, so every table spells time stamps and codes the same way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Text, func
from sqlmodel import Field


def created_at() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()))


def timestamp(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def text(nullable: bool = True, *, unique: bool = False, index: bool = False, default: str | None = None) -> Any:
    return Field(
        default=default,
        sa_column=Column(Text, nullable=nullable, unique=unique, index=index, server_default=default),
    )


def reference(target: str, nullable: bool = True, *, index: bool = True, ondelete: str | None = None) -> Any:
    return Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )
