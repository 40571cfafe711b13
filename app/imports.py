"""The ministry import worker (2.7, 2.8) and the committers wired per kind of file (the composition root).

``run_pending_imports(hub)`` takes the imports waiting for work one at a time: an ``uploaded`` one is staged, a
``staging`` one (left by a worker that stopped) is resumed after its last staged chunk, a ``committing`` one has its
remaining valid rows applied chunk by chunk by the committer of its kind. An import is claimed by locking its file
row (``FOR UPDATE SKIP LOCKED``) in a transaction held open while it is worked on: a second worker skips it, and a
worker that dies releases it with its connection, so the next pass carries on from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import text

from connectors.ministry_import import staging
from domain.ministry_imports import service
from domain.ministry_imports.commit import Committer, commit_certifications
from domain.ministry_imports.models import ImportKind, ImportState
from domain.shared import calendar
from domain.suspicious.compare import compare_import
from hub.bootstrap import Hub

log = logging.getLogger(__name__)

COMMITTERS: dict[ImportKind, Committer] = {
    ImportKind.CROSS_REGION_CERTIFICATIONS: commit_certifications,
    ImportKind.SUSPICIOUS_LIST: compare_import,
}
"""The committer of each kind of import. A kind without one cannot be committed (IMPORT_KIND_NOT_READY)."""

Progress = Callable[[int, str, int, int], Awaitable[None] | None]
"""(import id, phase "staging" or "committing", rows done, rows expected) after each chunk."""


@dataclass
class ImportsReport:
    staged: list[int] = field(default_factory=list)
    committed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


async def _call(progress: Progress | None, import_id: int, phase: str, done: int, expected: int) -> None:
    if progress is not None:
        outcome = progress(import_id, phase, done, expected)
        if outcome is not None:
            await outcome


async def commit_import(
    hub: Hub, import_id: int, *, chunk: int | None = None, progress: Progress | None = None
) -> bool:
    """Apply the valid rows of a ``committing`` import; True once it is committed."""
    async with hub.sessions() as session:
        row = (
            await session.execute(
                text("SELECT kind, state, valid_rows, processed_rows FROM ministry_import WHERE id = :id"),
                {"id": import_id},
            )
        ).one()
    if row.state != ImportState.COMMITTING:
        return bool(row.state == ImportState.COMMITTED)
    committer = COMMITTERS.get(ImportKind(row.kind))
    if committer is None:
        log.warning("ministry import %s: no committer for %s; left committing", import_id, row.kind)
        return False
    done = row.processed_rows
    while True:
        async with hub.sessions() as session, session.begin():
            uow = hub.unit_of_work(session, "ministry-imports")
            if chunk is not None and committer is commit_certifications:
                applied = await commit_certifications(uow, import_id, chunk=chunk)
            else:
                applied = await committer(uow, import_id)
            if applied:
                await service.add_progress(session, import_id, applied, applied)
            else:
                await service.finish_commit(session, import_id)
        if not applied:
            return True
        done += applied
        await _call(progress, import_id, "committing", done, row.valid_rows)


async def work_on(
    hub: Hub, import_id: int, *, chunk: int = staging.DEFAULT_CHUNK, progress: Progress | None = None
) -> ImportState:
    """Stage or commit one import (the caller holds its claim)."""
    async with hub.sessions() as session:
        state = ImportState(
            (
                await session.execute(text("SELECT state FROM ministry_import WHERE id = :id"), {"id": import_id})
            ).scalar_one()
        )
    if state in (ImportState.UPLOADED, ImportState.STAGING):

        async def staged(done: int, expected: int) -> None:
            await _call(progress, import_id, "staging", done, expected)

        result = await staging.stage(hub.sessions, import_id, today=calendar.today(), chunk=chunk, progress=staged)
        return result.state
    if state is ImportState.COMMITTING:
        await commit_import(hub, import_id, chunk=chunk, progress=progress)
        return ImportState.COMMITTED
    return state


async def work_on_claimed(
    hub: Hub, import_id: int, *, chunk: int = staging.DEFAULT_CHUNK, progress: Progress | None = None
) -> ImportState:
    """:func:`work_on` one given import (the CLI), waiting for a worker that holds it to let it go first."""
    async with hub.sessions() as claim, claim.begin():
        await claim.execute(
            text("SELECT import_id FROM ministry_import_file WHERE import_id = :id FOR UPDATE"), {"id": import_id}
        )
        return await work_on(hub, import_id, chunk=chunk, progress=progress)


async def run_pending_imports(
    hub: Hub, *, chunk: int = staging.DEFAULT_CHUNK, progress: Progress | None = None, limit: int = 100
) -> ImportsReport:
    """Work on every import waiting (uploaded, staging, committing), one at a time, each claimed while worked on."""
    report = ImportsReport()
    seen: set[int] = set()
    for _ in range(limit):
        async with hub.sessions() as claim, claim.begin():
            import_id = (await claim.execute(service.CLAIM, {"skip": sorted(seen)})).scalar_one_or_none()
            if import_id is None:
                break
            seen.add(import_id)
            try:
                state = await work_on(hub, import_id, chunk=chunk, progress=progress)
            except Exception as error:
                log.exception("ministry import %s: the worker stopped; the next pass carries on", import_id)
                report.failed[import_id] = f"{type(error).__name__}: {error}"
                continue
            if state is ImportState.COMMITTED:
                report.committed.append(import_id)
            elif state in (ImportState.STAGED, ImportState.FAILED):
                report.staged.append(import_id)
    return report


async def run_pending_imports_forever(hub: Hub, stop: asyncio.Event, every: float = 2.0) -> None:
    """Stage and commit the imports the console uploads, within seconds (started by the rules scheduler)."""
    while not stop.is_set():
        try:
            await run_pending_imports(hub)
        except Exception:  # the database away for a moment: the next round tries again
            log.exception("could not work on the ministry imports")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
