"""XLSX with XlsxWriter in constant-memory mode: each row goes to disk as it is written, so a 12,000-row roster never
sits in memory whole. Set up for printing: A4, fit to the page width, the header row repeated on every page, panes
frozen below it, "第 n 页 共 N 页" in the page footer. Numbers stay numbers (amounts with two decimals), dates dates.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from channels.printing.document import PrintedDocument, Row, clean_text, info_line, show

A4_PAPER = 9
MM_PER_CHARACTER = 2.0  # Excel's width unit is one digit of the default font: about 2 mm on paper
MONEY = "0.00"
INTEGER = "0"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
NO_DATA = "无数据"
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str) -> str:
    return _SHEET_NAME_FORBIDDEN.sub("", clean_text(title)).strip("'")[:31] or "Sheet1"


class _Formats:
    """One format per (kind of value, alignment), made on first use."""

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self.made: dict[tuple[str, str], Format] = {}

    def get(self, kind: str, align: str) -> Format:
        key = (kind, align)
        if key not in self.made:
            properties: dict[str, Any] = {"border": 1, "align": align, "valign": "vcenter", "font_size": 10}
            if kind != "text":
                properties["num_format"] = {"money": MONEY, "integer": INTEGER, "date": DATE, "datetime": DATETIME}[
                    kind
                ]
            self.made[key] = self.workbook.add_format(properties)
        return self.made[key]


def _write(sheet: Worksheet, formats: _Formats, row: int, column: int, value: object, align: str) -> None:
    if value is None:
        sheet.write_blank(row, column, None, formats.get("text", align))
    elif isinstance(value, bool):
        sheet.write_string(row, column, show(value), formats.get("text", align))
    elif isinstance(value, Decimal | float):
        sheet.write_number(row, column, float(value), formats.get("money", "right" if align == "left" else align))
    elif isinstance(value, int):
        sheet.write_number(row, column, value, formats.get("integer", align))
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, value.replace(tzinfo=None), formats.get("datetime", align))
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats.get("date", align))
    else:  # always a string, never a formula or a link, whatever it starts with
        sheet.write_string(row, column, show(value), formats.get("text", align))


async def render_xlsx(
    document: PrintedDocument,
    rows: AsyncIterator[Row],
    *,
    printed_by: str,
    printed_at: datetime,
    out: IO[bytes],
) -> int:
    """Write the workbook to a temporary file row by row as rows arrive, then copy it into ``out``; returns how many
    rows were written."""
    with tempfile.TemporaryDirectory(prefix="hub-print-") as folder:
        path = Path(folder) / "document.xlsx"
        workbook = Workbook(
            str(path),
            {
                "constant_memory": True,
                "tmpdir": folder,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        count = await _fill(workbook, document, rows, printed_by, printed_at)
        workbook.close()
        with path.open("rb") as written:
            shutil.copyfileobj(written, out, 1 << 16)
    return count


async def _fill(
    workbook: Workbook, document: PrintedDocument, rows: AsyncIterator[Row], printed_by: str, printed_at: datetime
) -> int:
    workbook.set_properties({"title": clean_text(document.title), "author": clean_text(printed_by)})
    sheet = workbook.add_worksheet(sheet_name(document.title))
    formats = _Formats(workbook)
    last_column = max(len(document.columns) - 1, 0)
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    plain = workbook.add_format({"font_size": 10, "align": "left", "valign": "vcenter"})
    header = workbook.add_format(
        {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#E0E0E0", "text_wrap": True}
    )
    for index, column in enumerate(document.columns):
        sheet.set_column(index, index, max(column.width, 1) / MM_PER_CHARACTER)

    row_number = 0

    def banner(text: str, style: Format, height: float) -> None:
        nonlocal row_number
        sheet.set_row(row_number, height)
        if last_column:
            sheet.merge_range(row_number, 0, row_number, last_column, text, style)
        else:
            sheet.write_string(row_number, 0, text, style)
        row_number += 1

    banner(clean_text(document.title), title, 28)
    if document.subtitle:
        banner(clean_text(document.subtitle), plain, 18)
    banner(info_line(document, printed_by, printed_at), plain, 18)
    header_row = row_number
    sheet.set_row(header_row, 20)
    for index, column in enumerate(document.columns):
        sheet.write_string(header_row, index, clean_text(column.title), header)
    row_number += 1
    sheet.freeze_panes(row_number, 0)
    sheet.repeat_rows(header_row)

    aligns = [column.align for column in document.columns]
    count = 0
    async for row in rows:
        for index, value in enumerate(row[: len(aligns)]):
            _write(sheet, formats, row_number, index, value, aligns[index])
        row_number += 1
        count += 1
    if count == 0:
        banner(NO_DATA, workbook.add_format({"align": "center", "border": 1}), 20)
    for line in document.footer_lines:
        banner(clean_text(line), plain, 18)

    sheet.set_paper(A4_PAPER)
    if document.landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.fit_to_pages(1, 0)  # one page wide, as many long as it takes
    sheet.center_horizontally()
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&C第 &P 页 共 &N 页")
    return count
