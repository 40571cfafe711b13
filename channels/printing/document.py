"""What a printed document is: its columns, its heading, and how a cell's value is shown on paper.

Shared by the PDF and the XLSX renderer, so the two outputs of one document say the same thing in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

Align = Literal["left", "center", "right"]
Cell = str | int | Decimal | date | None
Row = Sequence[Cell]

# C0 and C1 control characters (and DEL): they have no glyph on paper and are not allowed in XLSX's XML.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WHITESPACE_CONTROL = re.compile(r"[\t\n\r]+")


class PrintFormat(StrEnum):
    PDF = "pdf"
    XLSX = "xlsx"


@dataclass(frozen=True)
class PrintColumn:
    """One column: its header, its width in millimetres on A4 (scaled to characters in XLSX), its alignment."""

    title: str
    width: float = 25
    align: Align = "left"


@dataclass(frozen=True)
class PrintedDocument:
    title: str
    institution: str
    data_as_of: date | datetime
    columns: tuple[PrintColumn, ...]
    landscape: bool = False
    subtitle: str | None = None
    footer_lines: tuple[str, ...] = ()


def clean_text(value: str) -> str:
    """A string as it may be printed: tabs and line breaks become one space, other control characters go, and
    so do spaces at either end."""
    return _CONTROL.sub("", _WHITESPACE_CONTROL.sub(" ", value)).strip()


def show_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def show(value: object) -> str:
    """A cell as text: amounts with two decimals, dates YYYY-MM-DD, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal | float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return show_date(value)
    return clean_text(str(value))


def info_line(document: PrintedDocument, printed_by: str, printed_at: datetime) -> str:
    return "　".join(
        (
            f"机构：{clean_text(document.institution)}",
            f"数据日期：{show_date(document.data_as_of)}",
            f"打印时间：{printed_at.strftime('%Y-%m-%d %H:%M')}",
            f"打印人：{clean_text(printed_by)}",
        )
    )
