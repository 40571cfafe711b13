"""``hub legacy …``: the migration of the 2007 system (issue 17) — generate a synthetic export, import an export
(dry run first), print a run's reconciliation report, mark the migration complete (the go-live gate)."""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import time
from pathlib import Path
from typing import Annotated

import typer

from hub.settings import Settings

legacy_app = typer.Typer(help="Migration of the 2007 system's data (issue 17).", no_args_is_help=True)
_OPERATOR = "legacy-migration"
log = logging.getLogger(__name__)
CHUNK_PAUSE_ENV = "HUB_LEGACY_CHUNK_PAUSE"  # seconds between chunks: lets a test kill the import half-way


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@legacy_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Directory to write the export into")],
    people: Annotated[int, typer.Option(min=1, help="Retirees to generate")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same export")] = 2007,
    prefix: Annotated[str, typer.Option(help="Prefix of personal numbers and institution/employer codes")] = "L",
) -> None:
    """Write a synthetic GBK export of the old system, with its dirt (15-digit ID numbers, duplicates …)."""
    from connectors.legacy.generator import generate as write

    started = time.perf_counter()
    result = write(out, people, seed=seed, prefix=prefix)
    typer.echo(f"wrote {out}: " + ", ".join(f"{t} {n}" for t, n in result.rows.items()))
    typer.echo("dirt: " + ", ".join(f"{d.value} {n}" for d, n in result.dirt.items()))
    typer.echo(f"time {time.perf_counter() - started:.1f} s, peak memory {_peak_mb():.0f} MB")


@legacy_app.command("import")
def import_(
    directory: Annotated[Path, typer.Argument(help="The export directory (one CSV per LD/T table)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Stage and validate only: the report, no change")] = False,
    mapping: Annotated[Path | None, typer.Option(help="The YAML mapping (default legacy/mapping.yaml)")] = None,
    chunk: Annotated[int, typer.Option(min=1, max=200_000, help="People per transaction")] = 10_000,
) -> None:
    """Stage, validate and reconcile the export; without --dry-run also merge it (resumes an unfinished import)."""
    from connectors.legacy.export import ExportError
    from connectors.legacy.mapping import MappingError, load_mapping
    from connectors.legacy.pipeline import run_import
    from domain.legacy.guard import ImportRunning
    from domain.shared import calendar
    from domain.shared.actor import system_actor
    from hub.bootstrap import bootstrap

    try:
        loaded = load_mapping(mapping)
    except MappingError as error:
        typer.echo(f"LEGACY_MAPPING_INVALID: {error.message_zh}", err=True)
        raise typer.Exit(2) from error
    pause = float(os.environ.get(CHUNK_PAUSE_ENV, "0") or 0)

    async def main() -> int:
        hub = bootstrap(Settings(), consumer_groups=())
        try:
            outcome = await run_import(
                hub.sessions,
                system_actor(_OPERATOR),
                directory,
                loaded,
                dry_run=dry_run,
                today=calendar.today(),
                chunk_size=chunk,
                chunk_pause=pause,
                progress=typer.echo,
            )
            await _print_report(hub.sessions, outcome.run_id)
            return outcome.run_id
        finally:
            await hub.engine.dispose()

    started = time.perf_counter()
    try:
        run_id = asyncio.run(main())
    except ExportError as error:
        typer.echo(f"LEGACY_EXPORT_INVALID: {error.message_zh}", err=True)
        raise typer.Exit(2) from error
    except ImportRunning as error:
        log.error("%s: %s", error.code, error.english)
        typer.echo(f"{error.code}: {error.english}", err=True)
        raise typer.Exit(3) from error
    typer.echo(f"run {run_id}: time {time.perf_counter() - started:.1f} s, peak memory {_peak_mb():.0f} MB")


async def _print_report(sessions: object, run_id: int) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from domain.legacy import service
    from domain.legacy.models import RUN_STATE_LABELS

    assert isinstance(sessions, async_sessionmaker)
    factory: async_sessionmaker[AsyncSession] = sessions
    async with factory() as session:
        report = await service.report(session, run_id)
    run = report.run
    kind = "试运行" if run.dry_run else "导入"
    typer.echo(f"迁移批次 {run_id}（{kind}）：{RUN_STATE_LABELS[run.state]}，分块 {run.chunks_done}/{run.chunks_total}")
    typer.echo(f"{'表':<6}{'读取':>10}{'将新增':>10}{'将合并':>10}{'拒绝':>10}")
    for t in report.tables:
        typer.echo(f"{t.table_code:<6}{t.rows_read:>10}{t.would_import:>10}{t.would_merge:>10}{t.refused:>10}")
    typer.echo("按状态：" + "，".join(f"{s.status} {s.people}（合并 {s.merged}）" for s in report.statuses))
    for g in report.refusals:
        typer.echo(f"拒绝 {g.table_code} {g.code}（{g.label}）{g.rows} 行，例：{g.example}")
    typer.echo(f"与省平台数据不一致的字段：{report.differences} 处")


@legacy_app.command("report")
def report(run_id: Annotated[int, typer.Argument(help="The run id printed by hub legacy import")]) -> None:
    """Print a run's reconciliation report."""
    from domain.shared.errors import DomainError
    from hub.bootstrap import bootstrap

    async def main() -> None:
        hub = bootstrap(Settings(), consumer_groups=())
        try:
            await _print_report(hub.sessions, run_id)
        finally:
            await hub.engine.dispose()

    try:
        asyncio.run(main())
    except DomainError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error


@legacy_app.command("complete")
def complete(run_id: Annotated[int, typer.Argument(help="The import run reconciled with the province")]) -> None:
    """Mark the migration complete after an import: from then on the nightly suspension rules may run."""
    from domain.legacy import state
    from domain.shared.actor import system_actor
    from domain.shared.errors import DomainError
    from hub.bootstrap import bootstrap

    async def main() -> None:
        hub = bootstrap(Settings(), consumer_groups=())
        try:
            async with hub.sessions() as session, session.begin():
                await state.mark_complete(session, system_actor(_OPERATOR), run_id=run_id)
        finally:
            await hub.engine.dispose()

    try:
        asyncio.run(main())
    except DomainError as error:
        typer.echo(f"{error.code}: {error.message}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"migration marked complete after run {run_id}")


@legacy_app.command("purge")
def purge_() -> None:
    """Delete the staging rows no longer needed: imported runs, and dry runs older than the dictionary parameter
    legacy_staging_retention_days (the reports stay). Imports and dry runs also do this when they start, and the
    rules scheduler every night."""
    from app.jobs import purge_legacy_staging
    from hub.bootstrap import bootstrap

    async def main() -> list[int]:
        hub = bootstrap(Settings(), consumer_groups=())
        try:
            return await purge_legacy_staging(hub)
        finally:
            await hub.engine.dispose()

    runs = asyncio.run(main())
    typer.echo(f"staging purged for run(s) {', '.join(map(str, runs))}" if runs else "nothing to purge")
