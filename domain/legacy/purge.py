"""Purging the staging rows of the legacy migration (issue 17), keeping every run's report.

The staging tables (``legacy_stage_*``) hold one row per source row: about 6 GB for the city's export. They are
deleted, set-based, as soon as they are no longer needed:

- an import, once ``imported`` (in the transaction that marks it so), together with the dry runs of the same export
  (superseded: the import has their rows);
- a dry run, once a newer dry run of the same export (same digest, or the same directory re-exported) is validated;
- any dry run older than the dictionary parameter ``legacy_staging_retention_days`` (1–365, default 30), checked at
  the start of every run and by ``hub legacy purge``; an import still ``importing`` or ``failed`` keeps its rows (it
  resumes from them).

What stays: the run, its report per table (``legacy_run_table``), per status (``legacy_run_status``), its refused
rows with their reasons (``legacy_run_refusal``, copied when the run is validated) and the differences with the
province (``legacy_run_difference``). A purged dry run is never reused by an import (it stages the files again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.dictionary.service import parameter_int

RETENTION_PARAMETER = "legacy_staging_retention_days"
STAGES = ("legacy_stage_person", "legacy_stage_archive", "legacy_stage_unit", "legacy_stage_event")

_KEEP_REFUSALS = """
INSERT INTO legacy_run_refusal (run_id, table_code, row_no, problem_code, problem_column, problem_message)
SELECT :run, table_code, row_no, problem_code, problem_column, problem_message FROM (
    SELECT table_code, row_no, problem_code, problem_column, problem_message FROM legacy_stage_unit WHERE run_id = :run
    UNION ALL SELECT 'AC01', row_no, problem_code, problem_column, problem_message
    FROM legacy_stage_person WHERE run_id = :run
    UNION ALL SELECT 'IC10', row_no, problem_code, problem_column, problem_message
    FROM legacy_stage_archive WHERE run_id = :run
    UNION ALL SELECT table_code, row_no, problem_code, problem_column, problem_message
    FROM legacy_stage_event WHERE run_id = :run
) r WHERE problem_code IS NOT NULL
"""


async def keep_refusals(session: AsyncSession, run_id: int) -> None:
    """Copy the run's refused rows out of staging (again, if the run is validated again)."""
    await session.execute(text("DELETE FROM legacy_run_refusal WHERE run_id = :run"), {"run": run_id})
    await session.execute(text(_KEEP_REFUSALS), {"run": run_id})


async def purge_runs(session: AsyncSession, run_ids: list[int]) -> int:
    """Delete the staging rows of ``run_ids`` and stamp them purged; returns the staging rows deleted (-1: the
    staging tables were truncated, no other run having rows there)."""
    if not run_ids:
        return 0
    # No other run has staging rows (checked under the lock, which waits for and then holds off any run being
    # started): TRUNCATE, instant whatever the size, instead of deleting millions of rows one by one.
    await _lock(session)
    others = await session.scalar(
        text("SELECT count(*) FROM legacy_run WHERE staging_purged_at IS NULL AND NOT (id = ANY(:runs))"),
        {"runs": run_ids},
    )
    if not others:
        await session.execute(text(f"TRUNCATE {', '.join(STAGES)}"))
        await _stamp(session, run_ids)
        return -1
    deleted = 0
    for table in STAGES:
        result = await session.execute(text(f"DELETE FROM {table} WHERE run_id = ANY(:runs)"), {"runs": run_ids})
        deleted += int(getattr(result, "rowcount", 0) or 0)
    await _stamp(session, run_ids)
    return deleted


async def _stamp(session: AsyncSession, run_ids: list[int]) -> None:
    await session.execute(
        text("UPDATE legacy_run SET staging_purged_at = now() WHERE id = ANY(:runs) AND staging_purged_at IS NULL"),
        {"runs": run_ids},
    )


async def _lock(session: AsyncSession) -> None:
    """Purges one at a time, and no run started meanwhile: SHARE ROW EXCLUSIVE conflicts with itself and with the
    row writes of starting a run. Taken first in the purge's own transaction, so no two purges wait on each other."""
    await session.execute(text("LOCK TABLE legacy_run IN SHARE ROW EXCLUSIVE MODE"))


async def _ids(session: AsyncSession, sql: str, **params: object) -> list[int]:
    return [int(i) for i in (await session.execute(text(sql), params)).scalars()]


async def purge_after_import(session: AsyncSession, run_id: int) -> list[int]:
    """An import is imported: purge it and the dry runs of the same export. Returns the runs purged."""
    await _lock(session)
    runs = await _ids(
        session,
        """
        SELECT d.id FROM legacy_run r JOIN legacy_run d ON d.id = r.id OR (d.digest = r.digest AND d.dry_run)
        WHERE r.id = :run AND d.staging_purged_at IS NULL AND d.state <> 'staging' ORDER BY d.id
        """,
        run=run_id,
    )
    if run_id not in runs:
        runs.append(run_id)
    await purge_runs(session, runs)
    return runs


async def purge_superseded(session: AsyncSession, run_id: int) -> list[int]:
    """A dry run is validated: purge the older finished dry runs of the same export (digest or directory)."""
    await _lock(session)
    runs = await _ids(
        session,
        """
        SELECT d.id FROM legacy_run r JOIN legacy_run d ON d.id < r.id AND (d.digest = r.digest OR d.source = r.source)
        WHERE r.id = :run AND d.dry_run AND d.state IN ('validated', 'failed') AND d.staging_purged_at IS NULL
        ORDER BY d.id
        """,
        run=run_id,
    )
    await purge_runs(session, runs)
    return runs


async def purge_expired(session: AsyncSession, now: datetime) -> list[int]:
    """Purge the finished dry runs older than the retention parameter, and any imported run not purged yet (its
    purge interrupted). Returns the runs purged."""
    await _lock(session)
    days = await parameter_int(session, RETENTION_PARAMETER)
    runs = await _ids(
        session,
        """
        SELECT id FROM legacy_run WHERE staging_purged_at IS NULL AND (
            state = 'imported'
            OR (dry_run AND state IN ('validated', 'failed') AND coalesce(finished_at, created_at) < :before))
        ORDER BY id
        """,
        before=now - timedelta(days=days),
    )
    await purge_runs(session, runs)
    return runs
