"""``hub moves …``: the community splits and merges of 4.8 (机构拆分合并)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hub.settings import Settings

moves_app = typer.Typer(help="Community splits and merges (4.8): apply the recorded moves.", no_args_is_help=True)


@moves_app.command("run")
def run(
    chunk: Annotated[int, typer.Option(min=1, max=50_000, help="People per transaction")] = 2000,
) -> None:
    """Apply every pending, interrupted or failed move, chunk by chunk; stopped anywhere, run it again to carry on."""
    from app.jobs import run_community_moves
    from hub.bootstrap import bootstrap

    async def main() -> None:
        hub = bootstrap(Settings(), consumer_groups=())
        try:
            report = await run_community_moves(hub, chunk=chunk)
        finally:
            await hub.engine.dispose()
        typer.echo(
            f"{report.moves} move(s): {report.moved} moved, {report.skipped} skipped in {report.chunks} chunk(s); "
            f"completed: {', '.join(map(str, report.completed)) or '-'}"
        )
        for move_id, error in report.failed.items():
            typer.echo(f"move {move_id} failed: {error}", err=True)
        if report.failed:
            raise typer.Exit(1)

    asyncio.run(main())
