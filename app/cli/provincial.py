"""``hub provincial …``: the exchange with the provincial platform (issue 4)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from hub.settings import Settings

if TYPE_CHECKING:
    from connectors.provincial.service import InboundReaders
    from hub.bootstrap import Hub

provincial_app = typer.Typer(help="The provincial platform: inbound feeds, reconciliation.", no_args_is_help=True)

POLL_METRICS_PORT = 9106


def _readers(hub: Hub) -> InboundReaders:
    """The connector's readers, handed the parts of the hub they use."""
    from connectors.provincial.feeds import FeedOutput
    from connectors.provincial.service import InboundReaders

    return InboundReaders.build(hub.settings, hub.sessions, FeedOutput(hub.publisher, hub.schemas, hub.catalog))


@provincial_app.command("poll")
def poll(
    once: Annotated[bool, typer.Option(help="Read both feeds until caught up, print the counts and exit")] = False,
    metrics_port: Annotated[int | None, typer.Option(help="Port of /metrics")] = None,
) -> None:
    """Read the SOAP change feed and the exchange database into Kafka, and reconcile the whole range every night at
    HUB_PROVINCIAL_RECONCILE_AT_HOUR, until stopped (or read once)."""
    from connectors.provincial.service import reconcile_every_night
    from hub.bootstrap import bootstrap
    from hub.process import run_process, start_broker

    settings = Settings()

    async def read_until_caught_up() -> None:
        hub = bootstrap(settings, consumer_groups=(), client_suffix="-provincial")
        readers = _readers(hub)
        await hub.broker.start()
        try:
            records = 0
            while True:
                page = await readers.changes.read_page()
                records += page.records
                if not page.has_more:
                    break
            rows = 0
            while (read := await readers.exchange.read_page()) > 0:
                rows += read
            typer.echo(f"change records read: {records}; exchange rows read: {rows}")
        finally:
            await readers.close()
            await hub.close()

    if once:
        asyncio.run(read_until_caught_up())
        return

    async def main(stop: asyncio.Event) -> None:
        hub = bootstrap(settings, consumer_groups=(), client_suffix="-provincial")
        readers = _readers(hub)
        try:
            if not await start_broker("provincial-poll", hub.broker, stop):
                return
            tasks = [readers.run(stop, settings.provincial_poll_seconds)]
            if settings.provincial_reconcile_at_hour >= 0:
                tasks.append(
                    reconcile_every_night(
                        hub.sessions,
                        readers.client,
                        page=settings.provincial_reconcile_page,
                        at_hour=settings.provincial_reconcile_at_hour,
                        stop=stop,
                    )
                )
            await asyncio.gather(*tasks)
        finally:
            await readers.close()
            await hub.close()

    run_process("provincial-poll", main, metrics_port=metrics_port or settings.metrics_port or POLL_METRICS_PORT)


@provincial_app.command("reconcile")
def reconcile(
    first: Annotated[str, typer.Option("--from", help="First personal number of the range")] = "0",
    last: Annotated[str, typer.Option("--to", help="Last personal number of the range")] = "9" * 20,
    page: Annotated[
        int | None, typer.Option(help="Personal numbers per GetStatusDigest page (HUB_PROVINCIAL_RECONCILE_PAGE)")
    ] = None,
    repull: Annotated[bool, typer.Option(help="Re-pull whoever differs in base info or is missing")] = False,
    resend: Annotated[bool, typer.Option(help="Resend the status changes the platform has not acknowledged")] = False,
) -> None:
    """Compare the registry with the platform over a range and list every difference with its cause; exit 1 if any
    remain (after the repairs asked for)."""
    from connectors.provincial import reconcile as reconciliation
    from connectors.provincial.feeds import FeedOutput
    from connectors.provincial.service import client_from
    from hub.bootstrap import bootstrap
    from hub.process import configure_logging

    configure_logging("WARNING")
    settings = Settings()

    async def run() -> int:
        hub = bootstrap(settings, consumer_groups=(), client_suffix="-reconcile")
        client = client_from(settings)
        try:
            result = await reconciliation.reconcile(
                hub.sessions, client, first, last, page=page or settings.provincial_reconcile_page
            )
            for difference in result.differences:
                typer.echo(
                    f"{difference.personal_number}\t{difference.cause.value}\t{difference.action.value}\t"
                    f"{difference.detail}"
                )
            typer.echo(
                f"platform {result.platform_count}, registry {result.registry_count}, compared {result.compared}; "
                + ", ".join(f"{cause} {count}" for cause, count in result.by_cause().items())
            )
            if repull:
                await hub.broker.connect()
                output = FeedOutput(hub.publisher, hub.schemas, hub.catalog)
                numbers = result.personal_numbers(reconciliation.Action.REPULL)
                pulled = await reconciliation.repull(
                    output, client, numbers, source=f"{settings.event_source}/provincial"
                )
                typer.echo(f"re-pulled {pulled}")
            if resend:
                sent = await reconciliation.resend(
                    hub.sessions, hub.unit_of_work, result.personal_numbers(reconciliation.Action.RESEND)
                )
                typer.echo(f"resent {sent}")
            return 1 if result.differences else 0
        finally:
            await client.close()
            await hub.close()

    raise typer.Exit(asyncio.run(run()))
