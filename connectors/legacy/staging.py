"""Staging an export: each table's file streamed through the domain's row checks (domain/legacy/validate.py) and
COPied into its UNLOGGED staging table, one transaction per table together with its ``legacy_run_table`` row.

A run interrupted while staging resumes at the first table without a ``legacy_run_table`` row (that table's partial
rows, if any, are deleted first), so no row is staged twice. Memory stays flat: one row at a time, psycopg's COPY
buffer, never a table in a list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.legacy.export import read_table
from domain.legacy import validate
from domain.legacy.schema import Mapping, TableCode

log = logging.getLogger(__name__)

_PROBLEM = "problem_code, problem_column, problem_message"
_TARGETS: dict[TableCode, tuple[str, str, bool]] = {
    # table -> (staging table, its columns after run_id[, table_code], row_no; whether it has table_code)
    TableCode.AF08: ("legacy_stage_unit", "code, name, parent_code", True),
    TableCode.AF02: ("legacy_stage_unit", "code, name, parent_code", True),
    TableCode.AB01: ("legacy_stage_unit", "code, name, parent_code", True),
    TableCode.AC01: (
        "legacy_stage_person",
        "personal_number, id_number, id_upgraded, name, sex, birth_date, employer_code",
        False,
    ),
    TableCode.IC10: (
        "legacy_stage_archive",
        "personal_number, retirement_date, retirement_category, community_code, registered_on, status, "
        "payment_status, monthly_pension",
        False,
    ),
    TableCode.AC60: ("legacy_stage_event", "personal_number, kind, on_date, reason", True),
    TableCode.AEF1: ("legacy_stage_event", "personal_number, kind, on_date, reason", True),
}
_STAGED = text("SELECT table_code FROM legacy_run_table WHERE run_id = :run")
Checker = Callable[[int, dict[str, str]], tuple[object, ...]]


def _checker(mapping: Mapping, table: TableCode, today: date) -> Checker:
    if table in (TableCode.AF08, TableCode.AF02, TableCode.AB01):
        return lambda n, f: validate.unit_row(mapping, table, n, f)
    if table == TableCode.AC01:
        return lambda n, f: validate.person_row(mapping, n, f, today)
    if table == TableCode.IC10:
        return lambda n, f: validate.archive_row(mapping, n, f, today)
    return lambda n, f: validate.event_row(mapping, table, n, f, today)


async def _copy(session: AsyncSession, statement: str, rows: Iterator[tuple[object, ...]]) -> int:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    count = 0
    async with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            await copy.write_row(row)
            count += 1
    return count


async def stage_table(
    session: AsyncSession, run_id: int, directory: Path, mapping: Mapping, table: TableCode, today: date
) -> int:
    """Stage one table in the session's transaction; returns the rows read."""
    target, columns, keyed = _TARGETS[table]
    where = "run_id = :run" + (" AND table_code = :table" if keyed else "")
    await session.execute(text(f"DELETE FROM {target} WHERE {where}"), {"run": run_id, "table": table.value})
    check = _checker(mapping, table, today)
    prefix: tuple[object, ...] = (run_id, table.value) if keyed else (run_id,)
    head = "run_id, table_code, row_no" if keyed else "run_id, row_no"
    rows = ((*prefix, number, *check(number, fields)) for number, fields in read_table(directory, mapping, table))
    read = await _copy(session, f"COPY {target} ({head}, {columns}, {_PROBLEM}) FROM STDIN", rows)
    await session.execute(
        text(
            "INSERT INTO legacy_run_table (run_id, table_code, rows_read) VALUES (:run, :table, :read) "
            "ON CONFLICT (run_id, table_code) DO UPDATE SET rows_read = EXCLUDED.rows_read"
        ),
        {"run": run_id, "table": table.value, "read": read},
    )
    return read


async def stage_export(
    sessions: async_sessionmaker[AsyncSession], run_id: int, directory: Path, mapping: Mapping, today: date
) -> dict[TableCode, int]:
    """Stage every table not staged yet for this run (see the module's docstring)."""
    async with sessions() as session:
        staged = await session.execute(_STAGED, {"run": run_id})
        done = set(staged.scalars().all())
    read: dict[TableCode, int] = {}
    for table in TableCode:
        if table.value in done:
            continue
        async with sessions() as session, session.begin():
            read[table] = await stage_table(session, run_id, directory, mapping, table, today)
        async with sessions() as session, session.begin():
            await session.execute(text(f"ANALYZE {_TARGETS[table][0]}"))  # fresh statistics for the set-based checks
        log.info("legacy run %s: staged %s (%s rows)", run_id, table.value, read[table])
    return read


_STAGES = ("legacy_stage_person", "legacy_stage_archive", "legacy_stage_unit", "legacy_stage_event")
_LATEST_DRY_RUN = text(
    "SELECT max(id) FROM legacy_run WHERE digest = :digest AND dry_run AND state = 'validated' AND id <> :run "
    "AND staging_purged_at IS NULL"
)


async def reuse_dry_run(session: AsyncSession, run_id: int, digest: str) -> int | None:
    """Give a new import the staged rows of the latest validated dry run of the same export and mapping (copied in
    SQL: the files are not read and checked again); returns that dry run's id, or None if there is none."""
    dry = await session.scalar(_LATEST_DRY_RUN, {"digest": digest, "run": run_id})
    if dry is None:
        return None
    for table in _STAGES:
        columns = [
            c
            for c in (
                await session.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                        "AND column_name <> 'run_id' ORDER BY ordinal_position"
                    ),
                    {"t": table},
                )
            ).scalars()
        ]
        names = ", ".join(columns)
        await session.execute(text(f"DELETE FROM {table} WHERE run_id = :run"), {"run": run_id})
        await session.execute(
            text(f"INSERT INTO {table} (run_id, {names}) SELECT :run, {names} FROM {table} WHERE run_id = :dry"),
            {"run": run_id, "dry": dry},
        )
        await session.execute(text(f"ANALYZE {table}"))
    await session.execute(
        text(
            "INSERT INTO legacy_run_table (run_id, table_code, rows_read) "
            "SELECT :run, table_code, rows_read FROM legacy_run_table WHERE run_id = :dry "
            "ON CONFLICT (run_id, table_code) DO UPDATE SET rows_read = EXCLUDED.rows_read"
        ),
        {"run": run_id, "dry": dry},
    )
    return int(dry)
