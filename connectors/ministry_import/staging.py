"""Staging one ministry import: the stored file streamed through the reader, each row validated by the domain
(domain/ministry_imports/rules.py) and COPied into ``ministry_import_row`` chunk by chunk, each chunk in its own
transaction together with the import's progress; then the set-based end of staging (service.finish_staging).

A run interrupted anywhere (a worker killed) leaves whole chunks only; the next run resumes after the last staged row,
so no row is lost or staged twice. A whole-file problem (an empty file, a missing column, bytes of no known encoding)
makes the import ``failed`` with the reader's Chinese message.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from connectors.ministry_import.columns import CROSS_REGION_CERTIFICATIONS, SUSPICIOUS_LIST, FileSpec
from connectors.ministry_import.reader import ImportFileError, ImportReader, SourceRow, read_rows
from domain.ministry_imports import service
from domain.ministry_imports.models import ImportKind, ImportState, MinistryImport, MinistryImportFile
from domain.ministry_imports.rules import Column, RawRow, StagedRow, validate

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 5000
SPECS: dict[ImportKind, FileSpec] = {
    ImportKind.CROSS_REGION_CERTIFICATIONS: CROSS_REGION_CERTIFICATIONS,
    ImportKind.SUSPICIOUS_LIST: SUSPICIOUS_LIST,
}
_COLUMNS = (
    "import_id, row_number, name, id_number, id_number_18, personal_number, fields, problems, outcome, record_key"
)

Progress = Callable[[int, int], Awaitable[None] | None]
"""Called after each chunk with (rows processed, rows expected — an estimate while staging)."""


@dataclass(frozen=True)
class StageResult:
    import_id: int
    state: ImportState
    rows: int
    error: str | None = None


def _raw(row: SourceRow) -> RawRow:
    return RawRow(
        row_number=row.row,
        fields={f.value: v for f, v in row.fields.items()},
        dates={f.value: d for f, d in row.dates.items()},
        problems=[
            {
                "column": p.column,
                "field": p.field.value if p.field is not None else None,
                "code": p.code.value,
                "message": p.message_zh,
                **({"value": p.value} if p.value is not None else {}),
            }
            for p in row.problems
        ],
    )


async def copy_rows(session: AsyncSession, import_id: int, rows: Sequence[StagedRow]) -> None:
    """COPY staged rows into ``ministry_import_row`` in the session's transaction (psycopg 3)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    async with driver.cursor() as cursor, cursor.copy(f"COPY ministry_import_row ({_COLUMNS}) FROM STDIN") as copy:
        for r in rows:
            await copy.write_row(
                (
                    import_id,
                    r.row_number,
                    r.name,
                    r.id_number,
                    r.id_number_18,
                    r.personal_number,
                    json.dumps(r.fields, ensure_ascii=False),
                    json.dumps(r.problems, ensure_ascii=False) if r.problems else "[]",
                    r.outcome.value,
                    r.record_key,
                )
            )


async def _report(progress: Progress | None, done: int, expected: int) -> None:
    if progress is None:
        return
    outcome = progress(done, expected)
    if outcome is not None:
        await outcome


def _estimate(reader: ImportReader, content: bytes) -> int:
    if reader.size_hint is not None:
        return max(reader.size_hint - reader.header_row, 0)
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    return max(lines - reader.header_row, 0)


async def stage(
    sessions: async_sessionmaker[AsyncSession],
    import_id: int,
    *,
    today: date,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> StageResult:
    """Stage an ``uploaded`` import, or resume one left ``staging``."""
    async with sessions() as session, session.begin():
        item = await session.get(MinistryImport, import_id)
        if item is None or item.state not in (ImportState.UPLOADED, ImportState.STAGING):
            state = item.state if item is not None else ImportState.FAILED
            return StageResult(import_id, state, 0)
        kind, name = item.kind, item.file_name
        content = (
            await session.execute(
                select(col(MinistryImportFile.content)).where(col(MinistryImportFile.import_id) == import_id)
            )
        ).scalar_one()
        already = await service.staged_so_far(session, import_id)
        if item.state is ImportState.UPLOADED and already:  # left by an earlier attempt: start again
            await session.execute(text("DELETE FROM ministry_import_row WHERE import_id = :id"), {"id": import_id})
            already = 0
        claimed = await session.execute(
            text(
                "UPDATE ministry_import SET state = 'staging', processed_rows = :n"
                " WHERE id = :id AND state IN ('uploaded', 'staging') RETURNING id"
            ),
            {"id": import_id, "n": already},
        )
        if claimed.first() is None:  # abandoned meanwhile
            return StageResult(import_id, ImportState.ABANDONED, 0)
    handle = io.BytesIO(content)
    handle.name = name
    try:
        reader = read_rows(handle, SPECS[kind])
    except ImportFileError as error:
        return await _failed(sessions, import_id, error.message_zh, [])
    columns = {f.value: Column(header, letter) for f, (header, letter) in reader.field_columns().items()}
    expected = _estimate(reader, content)
    del content
    async with sessions() as session, session.begin():
        await session.execute(
            text("UPDATE ministry_import SET total_rows = :n WHERE id = :id"), {"n": expected, "id": import_id}
        )
    done = already
    started = time.monotonic()
    pending: list[StagedRow] = []
    try:
        for row in reader:
            if row.row <= already:
                continue
            pending.append(validate(kind, _raw(row), columns, today=today))
            if len(pending) >= chunk:
                done += await _write(sessions, import_id, pending)
                pending = []
                await _report(progress, done, expected)
    except ImportFileError as error:
        return await _failed(sessions, import_id, error.message_zh, _warnings(reader))
    if pending:
        done += await _write(sessions, import_id, pending)
        await _report(progress, done, max(expected, done))
    log.info(
        "ministry import %s: %d rows read, validated and copied in %.1f s", import_id, done, time.monotonic() - started
    )
    async with sessions() as session, session.begin():
        await service.finish_staging(
            session, import_id, kind, {f: c.header for f, c in columns.items()}, _warnings(reader)
        )
    log.info("ministry import %s staged: %d rows", import_id, done)
    return StageResult(import_id, ImportState.STAGED, done)


def _warnings(reader: ImportReader) -> list[dict[str, str]]:
    return [{"code": w.code.value, "message": w.message_zh} for w in reader.warnings]


async def _write(sessions: async_sessionmaker[AsyncSession], import_id: int, rows: Sequence[StagedRow]) -> int:
    async with sessions() as session, session.begin():
        await copy_rows(session, import_id, rows)
        await service.add_progress(session, import_id, len(rows))
    return len(rows)


async def _failed(
    sessions: async_sessionmaker[AsyncSession], import_id: int, message: str, warnings: list[dict[str, str]]
) -> StageResult:
    async with sessions() as session, session.begin():
        await service.fail(session, import_id, message, warnings)
    log.info("ministry import %s failed: %s", import_id, message)
    return StageResult(import_id, ImportState.FAILED, 0, message)
