"""Column helpers shared by the domain's tables, so every table spells time stamps and codes the same way."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Column, DateTime, Dialect, ForeignKey, Text, func
from sqlalchemy.types import TypeDecorator
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


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A text column whose values are the members of a :class:`StrEnum`: stored as the member's value (plain text, so
    no migration and raw SQL still reads strings), loaded as the member."""

    impl = Text
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def enum_text(enum: type[StrEnum], nullable: bool = True, *, default: StrEnum | None = None) -> Any:
    return Field(
        default=default,
        sa_column=Column(
            EnumText(enum), nullable=nullable, server_default=default.value if default is not None else None
        ),
    )


def reference(target: str, nullable: bool = True, *, index: bool = True, ondelete: str | None = None) -> Any:
    return Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )
