"""Whether the legacy migration is complete: the mark the go-live gate reads (domain/suspensions/gate.py).

An operator marks it with ``hub legacy complete RUN_ID`` once the run is imported and reconciled with the province;
the demo seed and the tests mark it with ``run_id=None``. Marking twice keeps the first mark (idempotent).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.legacy.models import LegacyRun, MigrationState, RunState
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, ErrorCode, NotFound


async def migration_complete(session: AsyncSession) -> bool:
    """True once the migration has been marked complete."""
    return (await session.scalar(select(col(MigrationState.id)).where(col(MigrationState.id) == 1))) is not None


async def mark_complete(session: AsyncSession, actor: Actor, *, run_id: int | None) -> None:
    """Mark the migration complete after run ``run_id`` (an import, finished); ``None`` marks it without a run.

    Refuses an unknown run (``LEGACY_RUN_NOT_FOUND``) and a dry run or an unfinished import
    (``LEGACY_RUN_NOT_IMPORTED``). Audited; a second mark changes nothing.
    """
    if run_id is not None:
        run = await session.get(LegacyRun, run_id)
        if run is None:
            raise NotFound(ErrorCode.LEGACY_RUN_NOT_FOUND, f"迁移批次 {run_id} 不存在")
        if run.dry_run or run.state != RunState.IMPORTED:
            raise Conflict(
                ErrorCode.LEGACY_RUN_NOT_IMPORTED,
                f"迁移批次 {run_id} 尚未完成导入（{'试运行' if run.dry_run else run.state.value}），不能确认迁移完成",
            )
    inserted = await session.scalar(
        insert(MigrationState)
        .values(id=1, run_id=run_id, completed_by=actor.name)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(col(MigrationState.id))
    )
    if inserted is not None:
        await trail.record(session, actor, "legacy.complete", target=f"legacy_run:{run_id}", detail={"run_id": run_id})
