"""``hub imports …``: ministry batch files (2.7 跨地区认证数据, 2.8 疑似名单) through the same staged pipeline as the
console — load (upload + stage, optionally commit) with a progress line on stderr, and the list of imports."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from hub.settings import Settings

imports_app = typer.Typer(
    help="Ministry batch imports (2.7, 2.8): load a file, list the imports.", no_args_is_help=True
)


def _progress_line(started: float) -> Callable[[int, str, int, int], None]:
    def show(import_id: int, phase: str, done: int, expected: int) -> None:
        percent = f"{min(done * 100 // expected, 100):3d}%" if expected else "   "
        elapsed = time.monotonic() - started
        sys.stderr.write(f"\rimport {import_id} {phase:<10} {percent} {done:>9,} / {expected:,} rows  {elapsed:6.1f} s")
        sys.stderr.flush()

    return show


@imports_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or Excel file")],
    kind: Annotated[str, typer.Option(help="cross_region_certifications | suspicious_list")],
    commit: Annotated[bool, typer.Option("--commit", help="Commit the valid rows once staged")] = False,
    chunk: Annotated[int, typer.Option(min=100, max=100_000, help="Rows per transaction")] = 5000,
) -> None:
    """Upload FILE as a new import, stage it (progress on stderr), print the counts; with --commit apply it too."""
    from app.imports import COMMITTERS, work_on_claimed
    from domain.ministry_imports import service
    from domain.ministry_imports.models import ImportKind, ImportState, MinistryImport
    from domain.shared.actor import system_actor
    from hub.bootstrap import bootstrap

    try:
        import_kind = ImportKind(kind)
    except ValueError:
        raise typer.BadParameter(f"unknown kind {kind!r}: {', '.join(k.value for k in ImportKind)}") from None
    actor = system_actor(f"cli:{getpass.getuser()}")

    async def main() -> None:
        hub = bootstrap(Settings(), consumer_groups=())
        started = time.monotonic()
        show = _progress_line(started)
        try:
            content = file.read_bytes()
            async with hub.sessions() as session, session.begin():
                uploaded = await service.upload(
                    session,
                    actor,
                    kind=import_kind,
                    file_name=file.name,
                    content=content,
                    digest=hashlib.sha256(content).hexdigest(),
                )
            item = uploaded.ministry_import
            assert item.id is not None
            import_id = item.id
            if uploaded.duplicate_of is not None:
                when = f"{item.uploaded_at:%Y-%m-%d %H:%M}" if item.uploaded_at else ""
                typer.echo(f"此文件已于{when}导入，批次 {import_id}（{item.state.value}），未做任何更改")
                return
            del content
            await work_on_claimed(hub, import_id, chunk=chunk, progress=show)
            if commit:
                async with hub.sessions() as session, session.begin():
                    found = await session.get(MinistryImport, import_id)
                    if found is not None and found.state is ImportState.STAGED:
                        await service.request_commit(session, actor, import_id, ready=frozenset(COMMITTERS))
                await work_on_claimed(hub, import_id, chunk=chunk, progress=show)
            sys.stderr.write("\n")
            async with hub.sessions() as session:
                done = await session.get(MinistryImport, import_id)
            assert done is not None
            typer.echo(
                f"import {import_id}: {done.state.value}; rows {done.total_rows}, valid {done.valid_rows}, "
                f"exceptions {done.exception_rows}, duplicates {done.duplicate_rows}, applied {done.applied_rows} "
                f"({time.monotonic() - started:.1f} s)"
            )
            if done.error:
                typer.echo(done.error, err=True)
                raise typer.Exit(1)
        finally:
            await hub.engine.dispose()

    asyncio.run(main())


@imports_app.command("list")
def listing(limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """The latest imports, newest first, with their state and counts."""
    from domain.ministry_imports import service
    from domain.shared.actor import system_actor
    from hub.bootstrap import bootstrap

    async def main() -> None:
        hub = bootstrap(Settings(), consumer_groups=())
        try:
            async with hub.sessions() as session:
                page = await service.listing(session, system_actor("imports-cli"), size=limit)
        finally:
            await hub.engine.dispose()
        for m in page.items:
            typer.echo(
                f"{m.id:>6}  {m.kind.value:<28} {m.state.value:<10} rows {m.total_rows:>7} valid {m.valid_rows:>7} "
                f"exceptions {m.exception_rows:>6} duplicates {m.duplicate_rows:>6} applied {m.applied_rows:>7}  "
                f"{m.file_name}"
            )

    asyncio.run(main())
