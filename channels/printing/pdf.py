"""PDF on A4 with ReportLab, laid out by hand on a canvas so rows stream: a fixed row height gives a fixed number of
rows per page, so "第 n 页 共 N 页" is known before the first page is drawn (N from the caller's row count), and only
one page of rows is held at a time. No platypus story of all rows.

The font is WenQuanYi Micro Hei from Debian's ``fonts-wqy-microhei`` (scripts/services.sh installs it), registered
once per process.
"""

from __future__ import annotations

import math
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from reportlab.lib.pagesizes import A4, landscape, portrait
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from channels.printing.document import PrintColumn, PrintedDocument, Row, clean_text, info_line, show
from channels.printing.threads import in_thread, pages_in_thread

FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT = "WenQuanYiMicroHei"
FONT_PACKAGE = "fonts-wqy-microhei"

MARGIN = 12 * mm
TITLE_SIZE = 16.0
SUBTITLE_SIZE = 10.0
INFO_SIZE = 8.0
HEADER_SIZE = 9.0
CELL_SIZE = 8.0
MIN_CELL_SIZE = 6.0
HEADER_HEIGHT = 7 * mm
ROW_HEIGHT = 6 * mm
PADDING = 1.2 * mm
FOOTER_LINE_HEIGHT = 5 * mm
PAGE_NUMBER_SPACE = 8 * mm
ELLIPSIS = "…"
NO_DATA = "无数据"


class FontMissing(RuntimeError):
    pass


_registered = False
_registering = threading.Lock()


def register_font() -> str:
    """Register the CJK font once per process (from whichever printing thread comes first); a clear error naming
    the package when it is not installed."""
    global _registered
    with _registering:
        if _registered:
            return FONT
        if not FONT_FILE.is_file():
            raise FontMissing(
                f"the CJK font {FONT_FILE} is missing: install Debian's {FONT_PACKAGE} "
                f"(apt-get install {FONT_PACKAGE}, or `bash scripts/services.sh start fonts`)"
            )
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
        _registered = True
    return FONT


@dataclass(frozen=True)
class Layout:
    """Where things go on every page of one document."""

    width: float
    height: float
    columns: tuple[tuple[PrintColumn, float], ...]  # each column with its width in points
    table_top: float  # the header row's top edge
    rows_per_page: int

    @classmethod
    def of(cls, document: PrintedDocument) -> Layout:
        width, height = landscape(A4) if document.landscape else portrait(A4)
        usable = width - 2 * MARGIN
        asked = sum(max(column.width, 1) for column in document.columns) * mm or usable
        scale = usable / asked  # the columns fill the line: shrunk when they ask too much, widened when too little
        columns = tuple((column, max(column.width, 1) * mm * scale) for column in document.columns)
        top = height - MARGIN - TITLE_SIZE - 3 * mm
        if document.subtitle:
            top -= SUBTITLE_SIZE + 2 * mm
        top -= INFO_SIZE + 3 * mm
        bottom = MARGIN + PAGE_NUMBER_SPACE + len(document.footer_lines) * FOOTER_LINE_HEIGHT
        rows_per_page = max(1, int((top - HEADER_HEIGHT - bottom) // ROW_HEIGHT))
        return cls(width, height, columns, top, rows_per_page)

    def pages(self, total_rows: int) -> int:
        return max(1, math.ceil(total_rows / self.rows_per_page))


def fit(text: str, width: float, size: float) -> tuple[str, float, float]:
    """The text, font size and drawn width that fit a cell: shrunk down to MIN_CELL_SIZE, then cut with "…"."""
    measured = pdfmetrics.stringWidth(text, FONT, size)
    if measured <= width:
        return text, size, measured
    smaller = max(MIN_CELL_SIZE, size * width / measured)
    measured = pdfmetrics.stringWidth(text, FONT, smaller)
    if measured <= width:
        return text, smaller, measured
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:middle] + ELLIPSIS, FONT, smaller) <= width:
            low = middle
        else:
            high = middle - 1
    shown = text[:low] + ELLIPSIS
    return shown, smaller, pdfmetrics.stringWidth(shown, FONT, smaller)


def _draw_cell(
    text: PDFTextObject, value: str, x: float, width: float, baseline: float, align: str, size: float
) -> None:
    """One cell into the page's text object (one text object per page: far cheaper than a drawString per cell)."""
    if not value:
        return
    shown, shown_size, shown_width = fit(value, width - 2 * PADDING, size)
    if align == "right":
        left = x + width - PADDING - shown_width
    elif align == "center":
        left = x + (width - shown_width) / 2
    else:
        left = x + PADDING
    text.setFont(FONT, shown_size)
    text.setTextOrigin(left, baseline)
    text.textOut(shown)


class _Pages:
    def __init__(self, canvas: Canvas, document: PrintedDocument, layout: Layout, total: int, info: str) -> None:
        self.canvas, self.document, self.layout, self.total, self.info = canvas, document, layout, total, info
        self.number = 0

    def draw(self, rows: Sequence[Row]) -> None:
        self.number += 1
        canvas, layout, document = self.canvas, self.layout, self.document
        top = layout.height - MARGIN
        canvas.setFont(FONT, TITLE_SIZE)
        canvas.drawCentredString(layout.width / 2, top - TITLE_SIZE, clean_text(document.title))
        y = top - TITLE_SIZE - 3 * mm
        if document.subtitle:
            canvas.setFont(FONT, SUBTITLE_SIZE)
            canvas.drawCentredString(layout.width / 2, y - SUBTITLE_SIZE, clean_text(document.subtitle))
            y -= SUBTITLE_SIZE + 2 * mm
        info, info_size, _ = fit(self.info, layout.width - 2 * MARGIN, INFO_SIZE)
        canvas.setFont(FONT, info_size)
        canvas.drawString(MARGIN, y - INFO_SIZE, info)
        # the header row, on every page
        y = layout.table_top
        table_width = sum(width for _, width in layout.columns)
        canvas.setFillGray(0.88)
        canvas.rect(MARGIN, y - HEADER_HEIGHT, table_width, HEADER_HEIGHT, stroke=0, fill=1)
        canvas.setFillGray(0)
        text = canvas.beginText()
        x = MARGIN
        for column, width in layout.columns:
            _draw_cell(text, clean_text(column.title), x, width, y - HEADER_HEIGHT + 2.2 * mm, "center", HEADER_SIZE)
            x += width
        bottom = y - HEADER_HEIGHT - ROW_HEIGHT * max(len(rows), 1)
        for index, row in enumerate(rows):
            baseline = y - HEADER_HEIGHT - ROW_HEIGHT * (index + 1) + 1.9 * mm
            x = MARGIN
            for (column, width), value in zip(layout.columns, row, strict=False):
                align = "right" if isinstance(value, Decimal) and column.align == "left" else column.align
                _draw_cell(text, show(value), x, width, baseline, align, CELL_SIZE)
                x += width
        canvas.drawText(text)
        if not rows:
            canvas.setFont(FONT, CELL_SIZE + 2)
            canvas.drawCentredString(MARGIN + table_width / 2, bottom + 1.8 * mm, NO_DATA)
        # the grid: horizontal lines under the header and every row, vertical lines between columns
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, y, MARGIN + table_width, y)
        line_y = y - HEADER_HEIGHT
        for _ in range(max(len(rows), 1) + 1):
            canvas.line(MARGIN, line_y, MARGIN + table_width, line_y)
            line_y -= ROW_HEIGHT
        x = MARGIN
        canvas.line(x, y, x, bottom)
        for _, width in layout.columns:
            x += width
            canvas.line(x, y, x, bottom)
        # the footer lines and the page number
        canvas.setFont(FONT, INFO_SIZE + 1)
        footer_y = bottom - FOOTER_LINE_HEIGHT
        for line in self.document.footer_lines:
            canvas.drawString(MARGIN, footer_y, clean_text(line))
            footer_y -= FOOTER_LINE_HEIGHT
        canvas.setFont(FONT, INFO_SIZE + 1)
        total = max(self.total, self.number)  # rows beyond the caller's count still print
        canvas.drawCentredString(layout.width / 2, MARGIN, f"第 {self.number} 页 共 {total} 页")
        canvas.showPage()


async def render_pdf(
    document: PrintedDocument,
    rows: AsyncIterator[Row],
    *,
    total_rows: int,
    printed_by: str,
    printed_at: datetime,
    out: IO[bytes],
) -> int:
    """Draw the document into ``out`` a page at a time as rows arrive; returns how many rows were printed. The
    drawing runs in a printing thread (channels/printing/threads.py): the event loop only reads the rows."""

    def start() -> tuple[Canvas, _Pages]:
        register_font()
        layout = Layout.of(document)
        canvas = Canvas(out, pagesize=(layout.width, layout.height), pageCompression=1, invariant=False)
        canvas.setTitle(clean_text(document.title))
        canvas.setAuthor(clean_text(printed_by))
        canvas.setCreator("retiree-hub")
        info = info_line(document, printed_by, printed_at)
        return canvas, _Pages(canvas, document, layout, layout.pages(total_rows), info)

    canvas, pages = await in_thread(start)
    count = await pages_in_thread(rows, pages.layout.rows_per_page, pages.draw)

    def finish() -> None:
        if count == 0:
            pages.draw([])
        canvas.save()

    await in_thread(finish)
    return count
