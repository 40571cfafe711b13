"""The institution tree, stored with a materialised path so that "everything under X" is one indexed prefix scan."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Column, ColumnElement, ForeignKey, Index, Text, true
from sqlmodel import Field, SQLModel, col

from domain.shared import columns


class Level(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


LEVEL_LABELS = {Level.CITY: "市级", Level.DISTRICT: "县区经办机构", Level.STREET: "街道/乡镇", Level.COMMUNITY: "社区"}
CHILD_LEVEL = {Level.CITY: Level.DISTRICT, Level.DISTRICT: Level.STREET, Level.STREET: Level.COMMUNITY}


class Institution(SQLModel, table=True):
    """One node of the tree. ``path`` is the ids from the root down, '/1/5/37/': a subtree is ``path LIKE '/1/5/%'``."""

    __tablename__ = "institution"
    __table_args__ = (Index("ix_institution_path", "path", postgresql_ops={"path": "text_pattern_ops"}),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    code: str = columns.text(nullable=False, unique=True)
    name: str = columns.text(nullable=False)
    level: str = columns.text(nullable=False)
    parent_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("institution.id"), nullable=True, index=True)
    )
    path: str = Field(default="", sa_column=Column(Text, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    created_at: datetime | None = columns.created_at()
    updated_at: datetime | None = columns.timestamp()
    # Where retirees find it and how they call it (issue 20: "the community I belong to with its address and phone").
    address: str | None = columns.text()
    phone: str | None = columns.text()


def in_subtree(path: str) -> ColumnElement[bool]:
    """``institution.path LIKE '<path>%'``: paths hold only digits and slashes, so no escaping is needed and the
    text_pattern_ops index serves the prefix."""
    return col(Institution.path).like(f"{path}%")
