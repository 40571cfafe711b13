"""No two runs of the same export at once (issue 17): a PostgreSQL session-level advisory lock keyed on the export's
digest, taken on a connection of its own before the run is started or resumed and held until it ends.

A second ``hub legacy import`` of the same export (or a dry run of it) while one runs is refused with
``LEGACY_IMPORT_RUNNING``, naming the run in progress. The lock belongs to the database session, not to a row: a
process killed anywhere (SIGKILL, a lost machine) loses its connection and PostgreSQL releases the lock with it, so
a crashed run never blocks the next one; the next one resumes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.shared.errors import Conflict, ErrorCode

LOCK_SPACE = 17_0000  # the first key of the two-key advisory lock: this runs; the second is the digest's hash

_TRY = text("SELECT pg_try_advisory_lock(:space, hashtext(:digest))")
_UNLOCK = text("SELECT pg_advisory_unlock(:space, hashtext(:digest))")
_RUNNING = text(
    "SELECT id, dry_run FROM legacy_run WHERE digest = :digest AND state IN ('staging', 'validated', 'importing') "
    "ORDER BY id DESC LIMIT 1"
)


class ImportRunning(Conflict):
    """Another run of the same export holds the lock."""

    def __init__(self, digest: str, run_id: int | None, dry_run: bool) -> None:
        which = f"（{'试运行' if dry_run else '导入'}批次 {run_id}）" if run_id is not None else ""
        super().__init__(
            ErrorCode.LEGACY_IMPORT_RUNNING,
            f"同一导出（摘要 {digest[:12]}）的迁移正在另一进程中进行{which}，不能同时再次导入；请等其结束后再试"
            "（中断的导入再次运行即从断点继续）",
            run_id=run_id,
        )
        self.digest = digest
        self.run_id = run_id
        self.english = (
            f"another run of this export (digest {digest[:12]}) is in progress"
            + (f" (run {run_id}{', a dry run' if dry_run else ''})" if run_id is not None else "")
            + " in another process: wait for it to finish, then run again (an interrupted import resumes)"
        )


@asynccontextmanager
async def exclusive(engine: AsyncEngine, digest: str) -> AsyncIterator[None]:
    """Hold the export's lock for the ``async with`` block, or raise :class:`ImportRunning` at once."""
    params = {"space": LOCK_SPACE, "digest": digest}
    async with engine.connect() as connection:
        guard = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if not await guard.scalar(_TRY, params):
            running = (await guard.execute(_RUNNING, {"digest": digest})).first()
            if running is None:
                raise ImportRunning(digest, None, False)
            raise ImportRunning(digest, int(running.id), bool(running.dry_run))
        try:
            yield
        finally:
            await guard.execute(_UNLOCK, params)
