"""Code tables (category + code → Chinese label) and business parameters (deadlines and the like)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, Integer, PrimaryKeyConstraint, Text, false, true
from sqlmodel import Field, SQLModel

from domain.shared import columns


class CodeEntry(SQLModel, table=True):
    """One code of one code table, e.g. ('sex', '1', '男'). ``builtin`` codes are referenced by code and cannot be
    deleted; every code can be deactivated."""

    __tablename__ = "dictionary_code"
    __table_args__ = (PrimaryKeyConstraint("category", "code"),)

    category: str = columns.text(nullable=False)
    code: str = columns.text(nullable=False)
    label: str = columns.text(nullable=False)
    sort_order: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    builtin: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    updated_at: datetime | None = columns.timestamp()


class Parameter(SQLModel, table=True):
    """A business parameter staff may tune without a release, e.g. the registration deadline in days."""

    __tablename__ = "dictionary_parameter"

    name: str = Field(sa_column=Column(Text, primary_key=True))
    value: str = columns.text(nullable=False)
    description: str = columns.text(nullable=False)
    updated_at: datetime | None = columns.timestamp()
