"""``hub registry …``: operator tasks of the registry — load demo data, verify the audit trail's hash chain."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hub.settings import Settings

registry_app = typer.Typer(help="The registry: demo data, audit-trail verification.", no_args_is_help=True)


@registry_app.command("seed")
def seed(
    retirees: Annotated[int, typer.Option(help="How many synthetic retirees to load")] = 20_000,
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data)")] = 20261123,
    employers: Annotated[int, typer.Option(help="How many employers")] = 2_000,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Skip if the registry already has retirees")] = False,
) -> None:
    """Load the institution tree (1 city, 20 districts, 200 streets, 1,400 communities), employers, retirees and
    one demo account per role. Refused in production."""
    from seed.go_live import Marked, mark_migration_complete_now
    from seed.loader import load

    settings = Settings()
    if settings.environment == "production":
        typer.echo("refused: demo data and demo accounts are never loaded in production", err=True)
        raise typer.Exit(2)
    if if_empty and _has_retirees(settings):
        typer.echo("the registry already has retirees: nothing loaded")
        # issue 17: a demo registry seeded before the go-live gate is marked too (not one a legacy import ran on)
        marked = mark_migration_complete_now(settings, "demo-seed", unless_importing=True)
        if marked == Marked.MARKED:
            typer.echo("demo registry: legacy migration marked complete, the nightly rules run (docs/go-live.md)")
        elif marked == Marked.IMPORTING:
            typer.echo("a legacy import ran here: mark it complete with `hub legacy complete RUN_ID` (docs/go-live.md)")
        _print_demo_accounts()
        return
    report = load(settings.psycopg_dsn, retiree_count=retirees, seed=seed_value, employer_count=employers)
    typer.echo(
        f"loaded {report.institutions} institutions, {report.employers} employers, {report.retirees} retirees "
        f"({report.registered} registered) in {report.seconds:.1f} s"
    )
    mark_migration_complete_now(settings, "demo-seed")  # issue 17: a demo registry has nothing to migrate
    typer.echo("demo registry: legacy migration marked complete, the nightly rules run (docs/go-live.md)")
    _print_demo_accounts()


def _has_retirees(settings: Settings) -> bool:
    import psycopg

    with psycopg.connect(settings.psycopg_dsn) as connection:
        return connection.execute("SELECT EXISTS (SELECT 1 FROM retiree)").fetchone() == (True,)


def _print_demo_accounts() -> None:
    from seed.loader import DEMO_ACCOUNTS, DEMO_CHANNEL_CLIENT, DEMO_PASSWORD

    typer.echo(f"demo accounts (password {DEMO_PASSWORD}): " + ", ".join(a.username for a in DEMO_ACCOUNTS))
    typer.echo(f"demo channel client: {DEMO_CHANNEL_CLIENT[0]} / {DEMO_CHANNEL_CLIENT[2]}")


@registry_app.command("verify-audit")
def verify_audit() -> None:
    """Recompute the audit trail's hash chain; exit 1 and name the first broken entry if it was tampered with."""
    from domain.audit.trail import verify_chain
    from hub.db import create_engine, create_session_factory

    async def run() -> None:
        engine = create_engine(Settings())
        try:
            async with create_session_factory(engine)() as session:
                report = await verify_chain(session)
        finally:
            await engine.dispose()
        if report.intact:
            typer.echo(f"audit trail intact: {report.entries} entries")
            return
        typer.echo(f"audit trail BROKEN at entry {report.first_broken_id}: {report.reason}", err=True)
        raise typer.Exit(1)

    asyncio.run(run())
