"""XLSX with XlsxWriter in constant-memory mode: each row goes to disk as it is written, so a 12,000-row roster never
sits in memory whole. Set up for printing: A4, fit to the page width, the header row repeated on every page, panes
frozen below it, "第 n 页 共 N 页" in the page footer. Numbers stay numbers (amounts with two decimals), dates dates.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from channels.printing.document import PrintedDocument, Row, clean_text, info_line, show
from channels.printing.threads import in_thread, pages_in_thread

A4_PAPER = 9
MM_PER_CHARACTER = 2.0  # Excel's width unit is one digit of the default font: about 2 mm on paper
MONEY = "0.00"
INTEGER = "0"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
NO_DATA = "无数据"
PAGE_ROWS = 500  # rows handed to the writing thread at a time
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
    rows were written. The writing runs in a printing thread (channels/printing/threads.py): the event loop only
    reads the rows, a page of them at a time."""
    with tempfile.TemporaryDirectory(prefix="hub-print-") as folder:
        path = Path(folder) / "document.xlsx"

        def start() -> _Sheet:
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
            return _Sheet(workbook, document, printed_by, printed_at)

        sheet = await in_thread(start)
        count = await pages_in_thread(rows, PAGE_ROWS, sheet.write_rows)

        def finish() -> None:
            sheet.finish(count)
            sheet.workbook.close()
            with path.open("rb") as written:
                shutil.copyfileobj(written, out, 1 << 16)

        await in_thread(finish)
    return count


class _Sheet:
    """The one worksheet of a printed document, written in three steps: the heading, pages of rows, the end."""

    def __init__(self, workbook: Workbook, document: PrintedDocument, printed_by: str, printed_at: datetime) -> None:
        self.workbook, self.document = workbook, document
        workbook.set_properties({"title": clean_text(document.title), "author": clean_text(printed_by)})
        self.sheet = sheet = workbook.add_worksheet(sheet_name(document.title))
        self.formats = _Formats(workbook)
        self.last_column = max(len(document.columns) - 1, 0)
        title = workbook.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.plain = workbook.add_format({"font_size": 10, "align": "left", "valign": "vcenter"})
        header = workbook.add_format(
            {
                "bold": True,
                "border": 1,
                "align": "center",
                "valign": "vcenter",
                "bg_color": "#E0E0E0",
                "text_wrap": True,
            }
        )
        for index, column in enumerate(document.columns):
            sheet.set_column(index, index, max(column.width, 1) / MM_PER_CHARACTER)
        self.row_number = 0
        self.banner(clean_text(document.title), title, 28)
        if document.subtitle:
            self.banner(clean_text(document.subtitle), self.plain, 18)
        self.banner(info_line(document, printed_by, printed_at), self.plain, 18)
        header_row = self.row_number
        sheet.set_row(header_row, 20)
        for index, column in enumerate(document.columns):
            sheet.write_string(header_row, index, clean_text(column.title), header)
        self.row_number += 1
        sheet.freeze_panes(self.row_number, 0)
        sheet.repeat_rows(header_row)
        self.aligns = [column.align for column in document.columns]

    def banner(self, text: str, style: Format, height: float) -> None:
        self.sheet.set_row(self.row_number, height)
        if self.last_column:
            self.sheet.merge_range(self.row_number, 0, self.row_number, self.last_column, text, style)
        else:
            self.sheet.write_string(self.row_number, 0, text, style)
        self.row_number += 1

    def write_rows(self, rows: Sequence[Row]) -> None:
        aligns, sheet, formats = self.aligns, self.sheet, self.formats
        for row in rows:
            for index, value in enumerate(row[: len(aligns)]):
                _write(sheet, formats, self.row_number, index, value, aligns[index])
            self.row_number += 1

    def finish(self, count: int) -> None:
        sheet, document = self.sheet, self.document
        if count == 0:
            self.banner(NO_DATA, self.workbook.add_format({"align": "center", "border": 1}), 20)
        for line in document.footer_lines:
            self.banner(clean_text(line), self.plain, 18)
        sheet.set_paper(A4_PAPER)
        if document.landscape:
            sheet.set_landscape()
        else:
            sheet.set_portrait()
        sheet.fit_to_pages(1, 0)  # one page wide, as many long as it takes
        sheet.center_horizontally()
        sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        sheet.set_footer("&C第 &P 页 共 &N 页")
