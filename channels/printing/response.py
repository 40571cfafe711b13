"""Printing a document as an HTTP answer: audited, rendered into a spooled temporary file while the rows stream from
the database (the drawing in a printing thread, never on the event loop; at most ``HUB_PRINT_CONCURRENCY`` prints at
once), then sent in chunks as an attachment with an RFC 5987 file name (Chinese names survive)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import IO, Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import StreamingResponse

from channels.printing.document import PrintedDocument, PrintFormat, Row, clean_text
from channels.printing.pdf import render_pdf
from channels.printing.threads import print_slot
from channels.printing.xlsx import render_xlsx
from domain.audit import trail
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode

PDF_MEDIA_TYPE = "application/pdf"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {PrintFormat.PDF: PDF_MEDIA_TYPE, PrintFormat.XLSX: XLSX_MEDIA_TYPE}
AUDIT_ACTION = "document.printed"
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # a larger document goes to a temporary file on disk
CHUNK = 64 * 1024
# The most rows one document takes: the largest community (12,268 people) prints whole; a city-wide ledger of 290,000
# would be 12,000 pages (and a minute of a worker's time), so it is refused with a hint to narrow the scope.
MAX_ROWS = {PrintFormat.PDF: 20_000, PrintFormat.XLSX: 100_000}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def print_responses(*formats: PrintFormat) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a printing endpoint, so the OpenAPI document shows the binary content types."""
    chosen = formats or tuple(PrintFormat)
    return {200: {"description": "打印文件", "content": {MEDIA_TYPES[f]: _BINARY for f in chosen}}}


def attachment_headers(filename: str) -> dict[str, str]:
    """Content-Disposition for a download: an ASCII fallback name and the real (Chinese) name, RFC 5987/6266."""
    name = clean_text(filename).replace('"', "").replace("/", "_").replace("\\", "_").strip() or "document"
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    ascii_stem = _NOT_ASCII_SAFE.sub("_", stem).strip("_.-") or "document"
    ascii_extension = _NOT_ASCII_SAFE.sub("", extension)
    fallback = f"{ascii_stem}.{ascii_extension}" if ascii_extension else ascii_stem
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"}


def _with_extension(filename: str, fmt: PrintFormat) -> str:
    return filename if filename.lower().endswith(f".{fmt.value}") else f"{filename}.{fmt.value}"


async def render(
    fmt: PrintFormat,
    document: PrintedDocument,
    rows: AsyncIterator[Row],
    *,
    total_rows: int,
    printed_by: str,
    printed_at: datetime,
    out: IO[bytes],
) -> int:
    """Render in a printing thread once one of the process's print slots is free (channels/printing/threads.py):
    a burst of prints queues instead of taking every core from the API."""
    async with print_slot():
        if fmt is PrintFormat.PDF:
            return await render_pdf(
                document, rows, total_rows=total_rows, printed_by=printed_by, printed_at=printed_at, out=out
            )
        return await render_xlsx(document, rows, printed_by=printed_by, printed_at=printed_at, out=out)


def _chunks(spooled: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spooled.read(CHUNK):
            yield chunk
    finally:
        spooled.close()


async def print_response(
    session: AsyncSession,
    actor: Actor,
    fmt: PrintFormat,
    document: PrintedDocument,
    rows: AsyncIterator[Row],
    *,
    total_rows: int,
    filename: str,
    audit_subject: dict[str, object],
    printed_by: str | None = None,
    printed_at: datetime | None = None,
    max_rows: int | None = None,
) -> StreamingResponse:
    """Render ``rows`` (streamed, never a list) into a spooled temporary file, write the print's audit entry in
    ``session`` (the caller commits), and answer with the file streamed as an attachment. More than ``max_rows``
    (by default :data:`MAX_ROWS` of the format) is refused before anything is read or written."""
    fmt = PrintFormat(fmt)
    limit = MAX_ROWS[fmt] if max_rows is None else max_rows
    if total_rows > limit:
        verb = "打印" if fmt is PrintFormat.PDF else "导出"
        raise DomainError(
            ErrorCode.PRINT_TOO_LARGE,
            f"共 {total_rows} 行，超过一次{verb}的上限 {limit} 行：请选择下级机构缩小范围后再{verb}",
            rows=total_rows,
            limit=limit,
        )
    who = printed_by or actor.name
    at = printed_at or datetime.now(calendar.BUSINESS_TZ)
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by _chunks
    try:
        printed = await render(fmt, document, rows, total_rows=total_rows, printed_by=who, printed_at=at, out=spooled)
        size = spooled.tell()
        spooled.seek(0)
    except BaseException:
        spooled.close()
        raise
    filename = _with_extension(filename, fmt)
    # Written after rendering: the audit chain's lock is held from here to the caller's commit, not while drawing.
    await trail.record(
        session,
        actor,
        AUDIT_ACTION,
        target=clean_text(document.title),
        detail={
            "title": clean_text(document.title),
            "format": fmt.value,
            "rows": printed,
            "filename": filename,
            "institution": clean_text(document.institution),
            "scope": actor.query_path,
            "subject": audit_subject,
        },
    )
    headers = {**attachment_headers(filename), "Content-Length": str(size)}
    return StreamingResponse(_chunks(spooled), media_type=MEDIA_TYPES[fmt], headers=headers)
