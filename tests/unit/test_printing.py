"""Printed documents (issue 15 item 5; the 3.2 roster, the 4.9 notice and the 5.1 ledgers print through it): the PDF's
text read back with pdfminer and compared with the data page by page, the XLSX read back with openpyxl, an empty
document, control characters, the download headers, the print's audit entry, and memory bounded at 12,000 rows."""

from __future__ import annotations

import asyncio
import io
import math
import threading
import tracemalloc
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote
from weakref import WeakKeyDictionary

import openpyxl
import pytest
from pdfminer.high_level import extract_text

from channels.printing import (
    AUDIT_ACTION,
    PrintColumn,
    PrintedDocument,
    PrintFormat,
    attachment_headers,
    print_response,
    render_pdf,
    render_xlsx,
)
from channels.printing import pdf as printing_pdf
from channels.printing import response as printing_response
from channels.printing import threads as printing_threads
from channels.printing import xlsx as printing_xlsx
from channels.printing.document import Cell, Row
from channels.printing.pdf import Layout
from channels.printing.response import MAX_ROWS, render
from domain.audit import trail
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode

pytestmark = pytest.mark.unit

PRINTED_AT = datetime(2026, 11, 27, 9, 30)
PRINTED_BY = "王经办"
ROSTER = PrintedDocument(
    title="退休人员档案移交花名册",
    institution="长安区社保中心",
    data_as_of=date(2026, 11, 26),
    columns=(
        PrintColumn("序号", 12, "center"),
        PrintColumn("个人编号", 26),
        PrintColumn("姓名", 20),
        PrintColumn("身份证号", 40),
        PrintColumn("出生日期", 24, "center"),
        PrintColumn("养老金", 24, "right"),
        PrintColumn("档案份数", 16, "right"),
    ),
    landscape=True,
    subtitle="移交批次 YJ2026-0001 · 缴费凭证 PZ-778",
    footer_lines=("移交单位经办人：　　　　接收单位经办人：",),
)


def roster_row(number: int) -> tuple[Cell, ...]:
    return (
        number,
        f"P{number:09d}",
        f"张{'三四五六七'[number % 5]}{number}",
        f"130102********{number % 10000:04d}",
        date(1940 + number % 30, 1 + number % 12, 1 + number % 28),
        Decimal(3000 + number) + Decimal("0.5"),
        1 + number % 3,
    )


async def stream(count: int) -> AsyncIterator[tuple[Cell, ...]]:
    for number in range(1, count + 1):
        yield roster_row(number)


def shown(value: Cell) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


async def pdf_of(document: PrintedDocument, rows: AsyncIterator[Sequence[Cell]], total: int) -> bytes:
    out = io.BytesIO()
    await render_pdf(document, rows, total_rows=total, printed_by=PRINTED_BY, printed_at=PRINTED_AT, out=out)
    return out.getvalue()


async def xlsx_of(document: PrintedDocument, rows: AsyncIterator[Sequence[Cell]]) -> openpyxl.Workbook:
    out = io.BytesIO()
    await render_xlsx(document, rows, printed_by=PRINTED_BY, printed_at=PRINTED_AT, out=out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def pages_of(pdf: bytes) -> list[set[str]]:
    """Each page's text as its set of lines (pdfminer puts one cell per line)."""
    text = extract_text(io.BytesIO(pdf))
    return [{line.strip() for line in page.splitlines() if line.strip()} for page in text.split("\f")[:-1]]


async def test_5_printing_pdf_of_1000_rows_carries_every_cell_header_and_page_numbers_on_every_page() -> None:
    """Item 5 / 3.2: a 1,000-row roster as PDF; read back, every page has the title, institution, printer, the
    header row and "第 n 页 共 N 页", and every row's cells are on the page it belongs to."""
    pdf = await pdf_of(ROSTER, stream(1000), 1000)
    per_page = Layout.of(ROSTER).rows_per_page
    total = math.ceil(1000 / per_page)
    pages = pages_of(pdf)
    assert len(pages) == total > 1
    for index, lines in enumerate(pages):
        assert f"第 {index + 1} 页 共 {total} 页" in lines
        assert ROSTER.title in lines
        assert ROSTER.subtitle in lines
        assert {column.title for column in ROSTER.columns} <= lines
        info = next(line for line in lines if line.startswith("机构："))
        assert "长安区社保中心" in info and "数据日期：2026-11-26" in info
        assert "打印时间：2026-11-27 09:30" in info and f"打印人：{PRINTED_BY}" in info
        assert ROSTER.footer_lines[0] in lines
        for number in range(index * per_page + 1, min((index + 1) * per_page, 1000) + 1):
            missing = [shown(cell) for cell in roster_row(number) if shown(cell) not in lines]
            assert not missing, f"row {number} on page {index + 1}: {missing}"


async def test_5_printing_pdf_cuts_text_wider_than_its_column_with_an_ellipsis() -> None:
    """Text wider than its column is shrunk, then cut with "…": it never runs into the next column."""
    document = PrintedDocument("名册", "长安区", date(2026, 1, 1), (PrintColumn("备注", 10), PrintColumn("姓名", 190)))
    remark = "很长很长很长很长很长很长很长的备注文字"

    async def rows() -> AsyncIterator[tuple[Cell, ...]]:
        yield (remark, "李四")

    text = extract_text(io.BytesIO(await pdf_of(document, rows(), 1)))
    assert remark not in text
    cut = next(word for word in text.split() if word.endswith("…"))
    assert len(cut) > 1 and remark.startswith(cut[:-1])
    assert "李四" in text


async def test_5_printing_empty_document_is_one_page_saying_no_data() -> None:
    async def nothing() -> AsyncIterator[tuple[Cell, ...]]:
        return
        yield ()

    pages = pages_of(await pdf_of(ROSTER, nothing(), 0))
    assert len(pages) == 1
    assert "无数据" in pages[0] and "第 1 页 共 1 页" in pages[0] and "姓名" in pages[0]
    sheet = (await xlsx_of(ROSTER, nothing())).active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert "无数据" in values


async def test_5_printing_control_characters_are_never_printed() -> None:
    """A name entered with a control character (a pasted tab, a stray \\x07) prints without it, in both formats."""

    async def rows() -> AsyncIterator[tuple[Cell, ...]]:
        yield (1, "P000000001", "王\x07五", "130102********0001", date(1950, 1, 1), Decimal("1.00"), 1)
        yield (2, "P000000002", "赵\t六\n", "130102********0002", None, None, None)

    lines = pages_of(await pdf_of(ROSTER, rows(), 2))[0]
    assert "王五" in lines and "赵 六" in lines
    sheet = (await xlsx_of(ROSTER, rows())).active
    assert sheet is not None
    names = [row[2] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert names[:2] == ["王五", "赵 六"]


async def test_5_printing_xlsx_reads_back_with_values_types_frozen_header_and_print_setup() -> None:
    """Item 5 / 3.2: the XLSX: title and info rows, the header bold and bordered, panes frozen below it, the header
    repeated on every printed page, A4 landscape fit to width, numbers as numbers (amounts 0.00), dates as dates."""
    workbook = await xlsx_of(ROSTER, stream(1000))
    sheet = workbook.active
    assert sheet is not None
    assert sheet["A1"].value == ROSTER.title
    assert sheet["A2"].value == ROSTER.subtitle
    info = str(sheet["A3"].value)
    assert "长安区社保中心" in info and "2026-11-26" in info and PRINTED_BY in info
    assert [cell.value for cell in sheet[4]] == [column.title for column in ROSTER.columns]
    assert sheet["B4"].font.b and sheet["B4"].border.left.style == "thin"
    assert sheet.freeze_panes == "A5"
    assert sheet.print_title_rows == "$4:$4"
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0  # 1 is Excel's default
    fit = sheet.sheet_properties.pageSetUpPr
    assert fit is not None and fit.fitToPage
    footer = sheet.oddFooter
    assert footer is not None and "第 &P 页 共 &N 页" in str(footer.center.text)
    rows = list(sheet.iter_rows(min_row=5, max_row=1004, values_only=True))
    for number, row in enumerate(rows, start=1):
        expected: list[Any] = list(roster_row(number))
        expected[4] = datetime.combine(expected[4], datetime.min.time())  # openpyxl reads dates as datetimes
        expected[5] = float(expected[5])
        assert list(row) == expected
    assert sheet["F5"].number_format == "0.00" and sheet["E5"].number_format == "yyyy-mm-dd"
    assert sheet["A1005"].value == ROSTER.footer_lines[0]
    assert sheet.column_dimensions["D"].width == pytest.approx(20, abs=1)


def test_5_printing_download_name_keeps_chinese_with_an_ascii_fallback() -> None:
    headers = attachment_headers("退休人员花名册-YJ2026-0001.pdf")
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"YJ2026-0001.pdf\"; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == "退休人员花名册-YJ2026-0001.pdf"
    assert attachment_headers('高龄"台账\r\n.xlsx')["Content-Disposition"].startswith(
        'attachment; filename="document.xlsx"'
    )


async def test_5_printing_response_is_audited_and_streamed_as_an_attachment(monkeypatch: pytest.MonkeyPatch) -> None:
    """print_response writes one "document.printed" audit entry (who, what, how many rows, over which scope) in the
    caller's session and answers with the file in chunks."""
    recorded: list[tuple[Actor, str, dict[str, Any]]] = []

    async def record(session: object, actor: Actor, action: str, **fields: Any) -> None:
        recorded.append((actor, action, fields))

    monkeypatch.setattr(trail, "record", record)
    actor = Actor(name="wangjb", kind="staff", role="community", institution_id=7, institution_path="/1/2/7/")
    answer = await print_response(
        object(),  # type: ignore[arg-type]
        actor,
        PrintFormat.XLSX,
        ROSTER,
        stream(50),
        total_rows=50,
        filename="花名册",
        audit_subject={"batch": "YJ2026-0001"},
    )
    assert answer.media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C.xlsx" in answer.headers["content-disposition"]
    body = b"".join([chunk async for chunk in answer.body_iterator])  # type: ignore[misc]
    assert len(body) == int(answer.headers["content-length"])
    assert openpyxl.load_workbook(io.BytesIO(body)).active is not None
    ((who, action, fields),) = recorded
    assert who is actor and action == AUDIT_ACTION
    assert fields["detail"] == {
        "title": ROSTER.title,
        "format": "xlsx",
        "rows": 50,
        "filename": "花名册.xlsx",
        "institution": ROSTER.institution,
        "scope": "/1/2/7/",
        "subject": {"batch": "YJ2026-0001"},
    }


@pytest.mark.parametrize("fmt", list(PrintFormat))
async def test_5_printing_12000_rows_render_in_bounded_memory(fmt: PrintFormat) -> None:
    """The rows stream: a 12,000-row roster's Python allocations peak well under 60 MB (a bound, not a timing)."""
    out = io.BytesIO() if fmt is PrintFormat.XLSX else _Discard()
    tracemalloc.start()
    try:
        if fmt is PrintFormat.PDF:
            await render_pdf(ROSTER, stream(12_000), total_rows=12_000, printed_by="x", printed_at=PRINTED_AT, out=out)
        else:
            await render_xlsx(ROSTER, stream(12_000), printed_by="x", printed_at=PRINTED_AT, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * 1024 * 1024, f"{fmt}: peak {peak / 1e6:.1f} MB"


class _Discard(io.BytesIO):
    """A PDF output that keeps nothing, so the bound measures the renderer, not the finished file."""

    def write(self, buffer: Any, /) -> int:
        return len(buffer)


@pytest.mark.parametrize("fmt", list(PrintFormat))
async def test_5_printing_more_rows_than_a_document_takes_is_refused_before_anything_is_read(
    fmt: PrintFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A city-wide ledger of 290,000 people would be 12,000 pages: refused with PRINT_TOO_LARGE (narrow the scope),
    nothing read, nothing audited."""
    recorded: list[str] = []

    async def record(session: object, actor: Actor, action: str, **fields: Any) -> None:
        recorded.append(action)

    async def never() -> AsyncIterator[tuple[Cell, ...]]:
        raise AssertionError("no row may be read")
        yield ()

    monkeypatch.setattr(trail, "record", record)
    actor = Actor(name="wangjb", kind="staff", role="operator", institution_path="/1/")
    total = MAX_ROWS[fmt] + 1
    with pytest.raises(DomainError) as refused:
        await print_response(
            object(),  # type: ignore[arg-type]
            actor,
            fmt,
            ROSTER,
            never(),
            total_rows=total,
            filename="台账",
            audit_subject={},
        )
    assert refused.value.code is ErrorCode.PRINT_TOO_LARGE
    assert f"共 {total} 行" in refused.value.message and "缩小范围" in refused.value.message
    assert recorded == []


@pytest.mark.parametrize("fmt", list(PrintFormat))
async def test_printing_draws_in_a_printing_thread_with_at_most_two_pages_of_rows_held(
    fmt: PrintFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drawing never runs on the event loop's thread, and the rows stream: the event loop reads at most one page
    ahead of the page being drawn."""
    loop_thread = threading.current_thread().name
    drawn_in: set[str] = set()
    drawn = 0
    most_ahead = 0
    page_rows = Layout.of(ROSTER).rows_per_page if fmt is PrintFormat.PDF else printing_xlsx.PAGE_ROWS
    draw = printing_pdf._Pages.draw if fmt is PrintFormat.PDF else printing_xlsx._Sheet.write_rows

    def counting(self: Any, rows: Sequence[Row]) -> None:
        nonlocal drawn
        drawn_in.add(threading.current_thread().name)
        draw(self, rows)
        drawn += len(rows)

    if fmt is PrintFormat.PDF:
        monkeypatch.setattr(printing_pdf._Pages, "draw", counting)
    else:
        monkeypatch.setattr(printing_xlsx._Sheet, "write_rows", counting)

    async def watched(count: int) -> AsyncIterator[tuple[Cell, ...]]:
        nonlocal most_ahead
        async for row in stream(count):
            most_ahead = max(most_ahead, int(row[0] or 0) - drawn)  # type: ignore[arg-type]
            yield row

    total = 5 * page_rows + 7
    printed = await render(
        fmt, ROSTER, watched(total), total_rows=total, printed_by=PRINTED_BY, printed_at=PRINTED_AT, out=io.BytesIO()
    )
    assert printed == drawn == total
    assert drawn_in and loop_thread not in drawn_in and all(name.startswith("hub-print") for name in drawn_in)
    assert page_rows < most_ahead <= 2 * page_rows


async def test_printing_a_burst_beyond_the_slots_renders_one_at_a_time_and_every_print_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(printing_threads, "_concurrency", 1)
    monkeypatch.setattr(printing_threads, "_slots", WeakKeyDictionary())
    rendering = most = 0
    original = printing_xlsx.render_xlsx

    async def watched(*args: Any, **kwargs: Any) -> int:
        nonlocal rendering, most
        rendering += 1
        most = max(most, rendering)
        try:
            return await original(*args, **kwargs)
        finally:
            rendering -= 1

    monkeypatch.setattr(printing_response, "render_xlsx", watched)
    printed = await asyncio.gather(
        *(
            render(
                PrintFormat.XLSX,
                ROSTER,
                stream(600),
                total_rows=600,
                printed_by=PRINTED_BY,
                printed_at=PRINTED_AT,
                out=io.BytesIO(),
            )
            for _ in range(3)
        )
    )
    assert printed == [600, 600, 600] and most == 1
