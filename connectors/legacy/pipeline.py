"""One run of ``hub legacy import``: stage the export, validate and reconcile it, and (unless a dry run) merge it.

Every step is resumable: staging skips the tables already staged, reconciliation recomputes, the merge carries on
after the last chunk done. An import of the same export and mapping (the digest of their contents) resumes the
unfinished run instead of starting another, and a new import starts from the staged rows of the validated dry run of
that export, if there is one (copied in SQL, not read again); validation runs again against the registry of now.
A failure marks the run ``failed`` with its message and re-raises. Only one run of an export at a time
(domain/legacy/guard.py: an advisory lock that dies with its process); the staging rows are purged once no longer
needed, the report kept (domain/legacy/purge.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from connectors.legacy.export import table_path
from connectors.legacy.staging import reuse_dry_run, stage_export
from domain.legacy import guard, merge, purge, reconcile, service
from domain.legacy.models import LegacyRun, RunState
from domain.legacy.schema import Mapping, TableCode
from domain.shared.actor import Actor

log = logging.getLogger(__name__)
_BLOCK = 1 << 20


def export_digest(directory: Path, mapping: Mapping) -> str:
    """SHA-256 over the mapping and every mapped file's contents (streamed)."""
    digest = hashlib.sha256(mapping.digest.encode())
    for table in TableCode:
        path = table_path(directory, mapping, table)
        digest.update(table.value.encode())
        if path.is_file():
            with path.open("rb") as handle:
                while block := handle.read(_BLOCK):
                    digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    resumed: bool
    state: RunState
    chunks_done: int
    chunks_total: int


async def run_import(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    directory: Path,
    mapping: Mapping,
    *,
    dry_run: bool,
    today: date,
    chunk_size: int = 10_000,
    chunk_pause: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> RunOutcome:
    say = progress or (lambda message: log.info("%s", message))
    digest = export_digest(directory, mapping)
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    async with guard.exclusive(engine, digest):  # raises guard.ImportRunning if another run of it is in progress
        async with sessions() as session, session.begin():
            expired = await purge.purge_expired(session, datetime.now(UTC))
        if expired:
            say(f"staging of run(s) {', '.join(map(str, expired))} purged (imported, or dry runs past retention)")
        async with sessions() as session, session.begin():
            run, resumed = await service.start_run(
                session, actor, source=str(directory), digest=digest, dry_run=dry_run, chunk_size=chunk_size
            )
        assert run.id is not None
        run_id = run.id
        say(f"run {run_id}: {'resumed' if resumed else 'started'} ({'dry run' if dry_run else 'import'})")
        try:
            return await _run(sessions, actor, run, directory, mapping, today, chunk_pause, say, resumed)
        except Exception as error:
            async with sessions() as session, session.begin():
                await service.set_state(session, run_id, RunState.FAILED, error=str(error)[:2000])
            raise


async def _run(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    run: LegacyRun,
    directory: Path,
    mapping: Mapping,
    today: date,
    chunk_pause: float,
    say: Callable[[str], None],
    resumed: bool,
) -> RunOutcome:
    assert run.id is not None
    run_id = run.id
    if run.state in (RunState.STAGING, RunState.FAILED) and run.chunks_done == 0:
        async with sessions() as session, session.begin():
            await service.set_state(session, run_id, RunState.STAGING)
            if not run.dry_run and not resumed:
                dry = await reuse_dry_run(session, run_id, run.digest)
                if dry is not None:
                    say(f"run {run_id}: staged rows taken from dry run {dry} (same export and mapping)")
        staged = await stage_export(sessions, run_id, directory, mapping, today)
        say(f"run {run_id}: staged " + ", ".join(f"{t.value} {n}" for t, n in staged.items()))
        async with sessions() as session, session.begin():
            await reconcile.reconcile(session, run_id, mapping)
            await service.set_state(session, run_id, RunState.VALIDATED)
            total = await service.plan_chunks(session, run)
        say(f"run {run_id}: validated, report ready ({total} chunk(s) to import)")
    if run.dry_run:
        async with sessions() as session, session.begin():
            superseded = await purge.purge_superseded(session, run_id)
        if superseded:
            say(f"run {run_id}: staging of the older dry run(s) {', '.join(map(str, superseded))} purged")
        return RunOutcome(run_id, resumed, RunState.VALIDATED, 0, 0)
    async with sessions() as session, session.begin():
        run = await service.get_run(session, run_id)
        if run.chunks_done == 0:
            created = await merge.merge_units(session, actor, run_id, mapping)
            say(f"run {run_id}: institutions and employers created {created}")
        await service.set_state(session, run_id, RunState.IMPORTING)
        total, done = run.chunks_total, run.chunks_done
    for chunk in range(done, total):
        lo, hi = service.chunk_rows(run, chunk)
        async with sessions() as session, session.begin():
            people = await merge.merge_chunk(session, actor, run_id, mapping, lo, hi)
            await service.chunk_done(session, run_id, chunk)
        say(f"run {run_id}: chunk {chunk + 1}/{total} imported ({people} people)")
        if chunk_pause:
            await asyncio.sleep(chunk_pause)
    async with sessions() as session, session.begin():
        await service.set_state(session, run_id, RunState.IMPORTED)
    async with sessions() as session, session.begin():  # its own transaction (a crash here: the next run purges)
        purged = await purge.purge_after_import(session, run_id)
    say(f"run {run_id}: imported; staging of run(s) {', '.join(map(str, purged))} purged (the report stays)")
    return RunOutcome(run_id, resumed, RunState.IMPORTED, total, total)
