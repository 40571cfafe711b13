"""The ``hub`` command: every process of the hub and every operator task, one subcommand each."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from app.cli.auth_platform import auth_platform_app
from app.cli.channel import channel_app
from app.cli.imports import imports_app
from app.cli.legacy import legacy_app
from app.cli.moves import moves_app
from app.cli.provincial import provincial_app
from app.cli.registry import registry_app
from app.cli.rules import rules_app
from hub.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hub.dlq import DeadLetterFilter

T = TypeVar("T")

app = typer.Typer(
    help="Integration hub of the enterprise-retiree socialized management service system.", no_args_is_help=True
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics from the catalog.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters: list, replay, discard.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(topics_app, name="topics")
app.add_typer(dlq_app, name="dlq")
app.add_typer(registry_app, name="registry")
app.add_typer(rules_app, name="rules")
app.add_typer(auth_platform_app, name="auth-platform")
app.add_typer(provincial_app, name="provincial")
app.add_typer(moves_app, name="moves")
app.add_typer(imports_app, name="imports")
app.add_typer(channel_app, name="channel")
app.add_typer(legacy_app, name="legacy")

RELAY_METRICS_PORT, WORKER_METRICS_PORT, MONITOR_METRICS_PORT = 9101, 9102, 9103
MetricsPort = Annotated[
    int | None, typer.Option(help="Port of /metrics (default: HUB_METRICS_PORT or the process's own)")
]


def _metrics_port(option: int | None, settings: Settings, default: int) -> int:
    return option or settings.metrics_port or default


@app.command()
def api(host: Annotated[str | None, typer.Option()] = None, port: Annotated[int | None, typer.Option()] = None) -> None:
    """Serve the HTTP API (health, /metrics, channel and staff APIs)."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "app.api:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level="info",
    )


@app.command()
def openapi(
    out: Annotated[str | None, typer.Option(help="Write to this file instead of standard output")] = None,
) -> None:
    """Print the API's OpenAPI document (the console generates its TypeScript types from it)."""
    from app.api import create_app

    document = json.dumps(create_app(Settings()).openapi(), ensure_ascii=False, indent=1, sort_keys=True)
    if out is None:
        typer.echo(document)
    else:
        with open(out, "w", encoding="utf-8") as file:
            file.write(document + "\n")


@app.command()
def relay(metrics_port: MetricsPort = None) -> None:
    """Publish outbox rows to Kafka (one leader at a time, woken by LISTEN/NOTIFY)."""
    from hub.bootstrap import bootstrap
    from hub.process import run_process, start_broker

    settings = Settings()

    async def main(stop: asyncio.Event) -> None:
        hub = bootstrap(settings, consumer_groups=(), client_suffix="-relay")
        try:
            if await start_broker("relay", hub.broker, stop, subscribers=False):
                await hub.outbox_relay().run(stop)
        finally:
            await hub.close()

    run_process("relay", main, metrics_port=_metrics_port(metrics_port, settings, RELAY_METRICS_PORT))


@app.command()
def worker(
    group: Annotated[list[str] | None, typer.Option(help="Run only these consumer groups (default: all)")] = None,
    metrics_port: MetricsPort = None,
) -> None:
    """Run the consumer groups of the handler table (app/handlers.py), with their parked-event workers."""
    from app.bootstrap import bootstrap_application
    from hub.process import run_process
    from hub.worker import run_worker

    settings = Settings()

    async def main(stop: asyncio.Event) -> None:
        hub = bootstrap_application(settings, client_suffix="-worker")
        groups = [hub.group(name) for name in group] if group else list(hub.consumer_groups)
        await run_worker(hub, groups, stop)

    run_process("worker", main, metrics_port=_metrics_port(metrics_port, settings, WORKER_METRICS_PORT))


@app.command()
def monitor(metrics_port: MetricsPort = None) -> None:
    """Export consumer lag (messages and seconds), outbox backlog and parked events every few seconds."""
    from hub.db import create_engine, create_session_factory
    from hub.monitor import run_monitor
    from hub.process import run_process

    settings = Settings()

    async def main(stop: asyncio.Event) -> None:
        engine = create_engine(settings)
        try:
            await run_monitor(
                create_session_factory(engine),
                settings.kafka_bootstrap_servers,
                settings.monitor_interval_seconds,
                stop,
            )
        finally:
            await engine.dispose()

    run_process("monitor", main, metrics_port=_metrics_port(metrics_port, settings, MONITOR_METRICS_PORT))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply Alembic migrations up to REVISION (default head), waiting for the database first."""
    from app.migrate import upgrade
    from hub.db import create_engine, wait_for_database

    settings = Settings()

    async def wait() -> None:
        engine = create_engine(settings)
        try:
            await wait_for_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(wait())
    upgrade(settings, revision)
    if revision == "head":
        from domain.dictionary.service import ensure_builtin

        added = asyncio.run(_with_session(ensure_builtin))
        typer.echo(f"data dictionary: {added} built-in codes added")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    from app.migrate import downgrade

    downgrade(Settings(), revision)


@db_app.command("current")
def db_current() -> None:
    """Show the database's current revision."""
    from app.migrate import current

    current(Settings())


@topics_app.command("create")
def topics_create() -> None:
    """Create the catalog's topics (and each consumer group's dead-letter topic); grow partitions; set retention."""
    from app.bootstrap import bootstrap_application
    from hub.kafka_admin import ensure_topics

    settings = Settings()
    hub = bootstrap_application(settings)
    changes = asyncio.run(
        ensure_topics(settings.kafka_bootstrap_servers, hub.catalog, settings.kafka_replication_factor)
    )
    for change in changes:
        typer.echo(f"{change.topic}: {change.action}")


@topics_app.command("list")
def topics_list() -> None:
    """Print the topic catalog."""
    from app.bootstrap import bootstrap_application

    for topic in bootstrap_application(Settings()).catalog:
        typer.echo(f"{topic.name}\t{topic.partitions} partitions\tkey: {topic.key}\t{topic.description}")


def _filter(
    ids: list[int] | None,
    group: str | None,
    topic: str | None,
    key: str | None,
    error_type: str | None,
    since: datetime | None,
) -> DeadLetterFilter:
    from hub.dlq import DeadLetterFilter

    return DeadLetterFilter(tuple(ids or ()), group, topic, key, error_type, since)


IdsOption = Annotated[list[int] | None, typer.Option("--id", help="Dead-letter id (repeatable)")]
GroupOption = Annotated[str | None, typer.Option(help="Consumer group")]
TopicOption = Annotated[str | None, typer.Option(help="Original topic")]
KeyOption = Annotated[str | None, typer.Option(help="Key (retiree personal number)")]
ErrorOption = Annotated[str | None, typer.Option("--error-type", help="Error type, e.g. InvalidEvent")]
SinceOption = Annotated[datetime | None, typer.Option(help="Dead-lettered at or after this time")]


async def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from hub.db import create_engine, create_session_factory

    engine = create_engine(Settings())
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


@dlq_app.command("list")
def dlq_list(
    ids: IdsOption = None,
    group: GroupOption = None,
    topic: TopicOption = None,
    key: KeyOption = None,
    error_type: ErrorOption = None,
    since: SinceOption = None,
    limit: Annotated[int, typer.Option()] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """List dead letters (newest last) with their reason and how many events wait behind each."""
    from hub.dlq import list_dead_letters, waiting_behind
    from hub.models import ParkedEvent

    where = _filter(ids, group, topic, key, error_type, since)

    async def work(session: AsyncSession) -> list[tuple[ParkedEvent, int]]:
        rows = await list_dead_letters(session, where, limit)
        return [(row, await waiting_behind(session, row)) for row in rows]

    rows = asyncio.run(_with_session(work))
    for row, behind in rows:
        record = {
            "id": row.id,
            "group": row.consumer_group,
            "key": row.event_key,
            "event_type": row.event_type,
            "event_id": row.event_id,
            "topic": row.topic,
            "partition": row.partition,
            "offset": row.offset,
            "attempts": row.attempts,
            "error_type": row.error_type,
            "error": row.error_message,
            "first_failed_at": row.first_failed_at.isoformat() if row.first_failed_at else None,
            "dead_lettered_at": row.dead_lettered_at.isoformat() if row.dead_lettered_at else None,
            "waiting_behind": behind,
        }
        if as_json:
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            typer.echo(
                f"#{row.id} [{row.consumer_group}] key={row.event_key} {row.event_type} "
                f"{row.topic}/{row.partition}@{row.offset} attempts={row.attempts} "
                f"{row.error_type}: {row.error_message} (waiting behind: {behind})"
            )
    if not rows:
        typer.echo("no dead letters match")


@dlq_app.command("replay")
def dlq_replay(
    ids: IdsOption = None,
    group: GroupOption = None,
    topic: TopicOption = None,
    key: KeyOption = None,
    error_type: ErrorOption = None,
    since: SinceOption = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the workers to apply them (0: don't wait)")] = 0.0,
) -> None:
    """Apply dead letters again (after the cause is fixed), by id or by filter."""
    from hub.dlq import request_replay

    where = _filter(ids, group, topic, key, error_type, since)
    marked = asyncio.run(_with_session(lambda session: request_replay(session, where)))
    typer.echo(f"replay requested for {len(marked)} dead letter(s): {', '.join(map(str, marked)) or '-'}")
    if wait > 0 and marked:
        deadline = asyncio.run(_await_outcome(marked, wait))
        for parked_id, status in sorted(deadline.items()):
            typer.echo(f"#{parked_id}: {status}")
        if any(status != "resolved" for status in deadline.values()):
            raise typer.Exit(1)


async def _await_outcome(ids: list[int], wait_seconds: float) -> dict[int, str]:
    from hub.dlq import statuses

    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        current = await _with_session(lambda session: statuses(session, ids))
        if all(s in ("resolved", "dead") for s in current.values()) or loop.time() > deadline:
            return current
        await asyncio.sleep(0.5)


@dlq_app.command("discard")
def dlq_discard(
    ids: IdsOption = None,
    group: GroupOption = None,
    topic: TopicOption = None,
    key: KeyOption = None,
    error_type: ErrorOption = None,
    since: SinceOption = None,
) -> None:
    """Give up on dead letters after review; the events of their keys waiting behind them then flow."""
    from hub.dlq import discard

    where = _filter(ids, group, topic, key, error_type, since)
    marked = asyncio.run(_with_session(lambda session: discard(session, where)))
    typer.echo(f"discarded {len(marked)} dead letter(s): {', '.join(map(str, marked)) or '-'}")


if __name__ == "__main__":
    app()
