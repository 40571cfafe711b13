"""``hub rules …``: the suspension rules of 4.5, once or every night."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import typer

from domain.shared import calendar
from hub.settings import Settings

rules_app = typer.Typer(help="The suspension rules of 4.5 (overdue certification, registration, transfer-in).")

RULES_METRICS_PORT = 9104


@rules_app.command("run")
def run(
    today: Annotated[
        str | None, typer.Option(help="Run as of this date, YYYY-MM-DD (default: the server's date)")
    ] = None,
    rule: Annotated[list[str] | None, typer.Option(help="Only these rules (default: all)")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only print what the run would do (the brake included); change nothing")
    ] = False,
) -> None:
    """Run the rules once and print how many retirees each suspended (and how many the brake held)."""
    from app.jobs import preview_suspension_rules, run_suspension_rules
    from domain.suspensions.gate import RulesBeforeMigration
    from domain.suspensions.overdue import Rule
    from hub.bootstrap import bootstrap

    try:
        as_of = date.fromisoformat(today) if today else calendar.today()
        chosen = tuple(Rule(r) for r in rule) if rule else tuple(Rule)
    except ValueError as error:
        typer.echo(f"refused: {error} (rules: {', '.join(r.value for r in Rule)})", err=True)
        raise typer.Exit(2) from None

    async def main() -> None:
        hub = bootstrap(Settings(), consumer_groups=())
        try:
            if dry_run:
                plan = await preview_suspension_rules(hub, as_of, rules=chosen)
            else:
                report = await run_suspension_rules(hub, as_of, rules=chosen)
        except RulesBeforeMigration as refusal:  # issue 17: the dry run stays open, applying does not
            typer.echo(f"refused: {refusal.code}: {refusal.message} ({refusal.detail['why']})", err=True)
            typer.echo("the dry run (--dry-run) still shows what the rules would do", err=True)
            raise typer.Exit(3) from None
        finally:
            await hub.engine.dispose()
        if dry_run:
            typer.echo(f"dry run as of {as_of}: nothing changed")
            for name, count in plan.per_rule.items():
                typer.echo(f"{name.value}: {count} due, {plan.held_rules.get(name, 0)} would be held")
            limits = plan.thresholds
            typer.echo(f"thresholds: {limits.city} city-wide, {limits.institution} per institution")
            for over in plan.institutions_over:
                typer.echo(f"  above the per-institution threshold: {over.name} ({over.institution_id}): {over.count}")
            if plan.decision.city_held:
                typer.echo("the rest of the night exceeds the city threshold: held as well")
            verdict = "the brake would hold" if plan.decision.holds_any else "the brake would not hold"
            typer.echo(f"{verdict}: {plan.would_hold} held, {plan.would_suspend} suspended")
            return
        for name, count in report.suspended.items():
            typer.echo(f"{name.value}: {count} suspended")
        if report.batch_id is not None:
            held = ", ".join(f"{r.value} {n}" for r, n in report.held.items())
            typer.echo(f"held by the brake as batch {report.batch_id}: {held} (a city-level operator decides)")
        typer.echo(f"certification reminders: {report.reminders} sent")
        typer.echo(f"as of {as_of}, in {report.seconds:.1f} s")

    asyncio.run(main())


@rules_app.command("schedule")
def schedule(
    at_hour: Annotated[int, typer.Option(min=0, max=23, help="Hour of the nightly run (server time)")] = 2,
    metrics_port: Annotated[int | None, typer.Option(help="Port of /metrics")] = None,
) -> None:
    """Run the rules at start-up and then every night (a long-running process, like the worker)."""
    from app.jobs import run_every_night
    from hub.bootstrap import bootstrap
    from hub.process import run_process

    settings = Settings()

    async def main(stop: asyncio.Event) -> None:
        hub = bootstrap(settings, consumer_groups=())
        try:
            await run_every_night(hub, at_hour, stop)
        finally:
            await hub.engine.dispose()

    run_process("rules", main, metrics_port=metrics_port or settings.metrics_port or RULES_METRICS_PORT)
