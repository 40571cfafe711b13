"""The runs of the legacy migration and their reports (issue 17): creating or resuming a run, recording its
progress, and reading its reconciliation report (per table, per status, the refusals with their reasons, the
differences with the province's data). Reading is for the city level only: the report covers the whole city.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.legacy.models import LegacyRun, LegacyRunDifference, LegacyRunStatus, LegacyRunTable, RunState
from domain.legacy.schema import TABLE_LABELS, TableCode
from domain.legacy.validate import REFUSAL_LABELS, RefusalCode
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode, Forbidden, NotFound
from domain.staff.permissions import Permission, require

OPEN_STATES = (RunState.STAGING, RunState.VALIDATED, RunState.IMPORTING, RunState.FAILED)


def require_city(actor: Actor) -> None:
    require(actor, Permission.READ_REGISTRY)
    if not actor.is_city_level:
        raise Forbidden(ErrorCode.CITY_LEVEL_ONLY, "历史数据迁移报告仅市级经办机构可查看")


async def start_run(
    session: AsyncSession, actor: Actor, *, source: str, digest: str, dry_run: bool, chunk_size: int
) -> tuple[LegacyRun, bool]:
    """An import resumes the unfinished import of the same export and mapping (same digest); a dry run, and an
    import with nothing to resume, start a new run. Returns the run and whether it was resumed."""
    if not dry_run:
        resumable = await session.scalar(
            select(LegacyRun)
            .where(col(LegacyRun.digest) == digest, col(LegacyRun.dry_run).is_(False))
            .where(col(LegacyRun.state).in_([s.value for s in OPEN_STATES]))
            .order_by(col(LegacyRun.id).desc())
            .limit(1)
        )
        if resumable is not None:
            return resumable, True
    run = LegacyRun(source=source, digest=digest, dry_run=dry_run, chunk_size=chunk_size, created_by=actor.name)
    session.add(run)
    await session.flush()
    await trail.record(
        session, actor, "legacy.run", target=f"legacy_run:{run.id}", detail={"source": source, "dry_run": dry_run}
    )
    return run, False


async def set_state(session: AsyncSession, run_id: int, state: RunState, *, error: str | None = None) -> None:
    values: dict[str, Any] = {"state": state, "error": error, "updated_at": func.now()}
    if state in (RunState.IMPORTED, RunState.VALIDATED, RunState.FAILED):
        values["finished_at"] = func.now()
    await session.execute(update(LegacyRun).where(col(LegacyRun.id) == run_id).values(**values))


async def plan_chunks(session: AsyncSession, run: LegacyRun) -> int:
    """The number of chunks of the run's people (by AC01 row ranges), recorded on the run."""
    assert run.id is not None
    last = await session.scalar(
        text("SELECT coalesce(max(row_no), 1) FROM legacy_stage_person WHERE run_id = :run"), {"run": run.id}
    )
    total = (int(last or 1) - 1) // run.chunk_size + 1
    await session.execute(update(LegacyRun).where(col(LegacyRun.id) == run.id).values(chunks_total=total))
    return total


def chunk_rows(run: LegacyRun, chunk: int) -> tuple[int, int]:
    """AC01 rows of chunk ``chunk`` (0-based): data rows start at 2, under the header."""
    return 2 + chunk * run.chunk_size, 2 + (chunk + 1) * run.chunk_size


async def chunk_done(session: AsyncSession, run_id: int, chunk: int) -> None:
    await session.execute(
        update(LegacyRun).where(col(LegacyRun.id) == run_id).values(chunks_done=chunk + 1, updated_at=func.now())
    )


async def get_run(session: AsyncSession, run_id: int) -> LegacyRun:
    run = await session.get(LegacyRun, run_id)
    if run is None:
        raise NotFound(ErrorCode.LEGACY_RUN_NOT_FOUND, f"迁移批次 {run_id} 不存在")
    return run


@dataclass(frozen=True)
class RefusalGroup:
    table_code: str
    code: str
    label: str
    rows: int
    example: str


@dataclass(frozen=True)
class Report:
    run: LegacyRun
    tables: list[LegacyRunTable]
    statuses: list[LegacyRunStatus]
    refusals: list[RefusalGroup]
    differences: int


_REFUSAL_GROUPS = """
SELECT table_code, problem_code, count(*) AS rows, min(problem_message) AS example
FROM legacy_run_refusal WHERE run_id = :run
GROUP BY table_code, problem_code ORDER BY table_code, count(*) DESC
"""


async def report(session: AsyncSession, run_id: int) -> Report:
    """The run's reconciliation report (callers check the actor: :func:`read_report`)."""
    run = await get_run(session, run_id)
    order = {code.value: n for n, code in enumerate(TableCode)}
    tables = sorted(
        (await session.execute(select(LegacyRunTable).where(col(LegacyRunTable.run_id) == run_id))).scalars(),
        key=lambda t: order.get(t.table_code, 99),
    )
    statuses = list(
        (
            await session.execute(
                select(LegacyRunStatus)
                .where(col(LegacyRunStatus.run_id) == run_id)
                .order_by(col(LegacyRunStatus.status))
            )
        ).scalars()
    )
    groups = [
        RefusalGroup(
            row.table_code, row.problem_code, REFUSAL_LABELS[RefusalCode(row.problem_code)], row.rows, row.example
        )
        for row in await session.execute(text(_REFUSAL_GROUPS), {"run": run_id})
    ]
    differences = await session.scalar(
        select(func.count()).select_from(LegacyRunDifference).where(col(LegacyRunDifference.run_id) == run_id)
    )
    return Report(run, tables, statuses, groups, int(differences or 0))


async def read_report(session: AsyncSession, actor: Actor, run_id: int) -> Report:
    require_city(actor)
    result = await report(session, run_id)
    await trail.record(session, actor, "legacy.report", target=f"legacy_run:{run_id}")
    return result


async def list_runs(session: AsyncSession, actor: Actor, limit: int = 50) -> list[LegacyRun]:
    require_city(actor)
    rows = await session.execute(select(LegacyRun).order_by(col(LegacyRun.id).desc()).limit(limit))
    return list(rows.scalars())


@dataclass(frozen=True)
class Refusal:
    table_code: str
    row_no: int
    code: str
    label: str
    column: str | None
    message: str


async def refusals(
    session: AsyncSession, actor: Actor, run_id: int, *, table: TableCode | None, offset: int, limit: int
) -> tuple[int, list[Refusal]]:
    """The refused rows of a run, in table and row order (one page)."""
    require_city(actor)
    await get_run(session, run_id)
    rows_sql = """
        SELECT table_code, row_no, problem_code, problem_column, problem_message FROM legacy_run_refusal
        WHERE run_id = :run AND (CAST(:table AS text) IS NULL OR table_code = :table)
    """
    params = {"run": run_id, "table": table.value if table else None}
    total = await session.scalar(text(f"SELECT count(*) FROM ({rows_sql}) c"), params)
    page = await session.execute(
        text(f"{rows_sql} ORDER BY table_code, row_no OFFSET :offset LIMIT :limit"),
        {**params, "offset": offset, "limit": limit},
    )
    items = [
        Refusal(
            r.table_code,
            r.row_no,
            r.problem_code,
            REFUSAL_LABELS[RefusalCode(r.problem_code)],
            r.problem_column,
            r.problem_message,
        )
        for r in page
    ]
    return int(total or 0), items


async def differences(
    session: AsyncSession, actor: Actor, run_id: int, *, offset: int, limit: int
) -> tuple[int, list[LegacyRunDifference]]:
    require_city(actor)
    await get_run(session, run_id)
    where = col(LegacyRunDifference.run_id) == run_id
    total = await session.scalar(select(func.count()).select_from(LegacyRunDifference).where(where))
    rows = await session.execute(
        select(LegacyRunDifference).where(where).order_by(col(LegacyRunDifference.id)).offset(offset).limit(limit)
    )
    return int(total or 0), list(rows.scalars())


def table_label(code: str) -> str:
    return TABLE_LABELS.get(TableCode(code), code) if code in set(TableCode) else code
