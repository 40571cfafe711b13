"""``hub provincial …``: the exchange with the provincial platform (issue 4)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hub.settings import Settings

provincial_app = typer.Typer(help="The provincial platform: inbound feeds, reconciliation.", no_args_is_help=True)

POLL_METRICS_PORT = 9106


@provincial_app.command("poll")
def poll(
    once: Annotated[bool, typer.Option(help="Read both feeds until caught up, print the counts and exit")] = False,
    metrics_port: Annotated[int | None, typer.Option(help="Port of /metrics")] = None,
) -> None:
    """Read the SOAP change feed and the exchange database into Kafka, until stopped (or once)."""
    from connectors.provincial.service import InboundReaders
    from hub.bootstrap import bootstrap
    from hub.process import run_process

    settings = Settings()

    async def read_until_caught_up() -> None:
        hub = bootstrap(settings, consumer_groups=(), client_suffix="-provincial")
        readers = InboundReaders.build(hub)
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
        readers = InboundReaders.build(hub)
        try:
            await hub.broker.start()
            await readers.run(stop, settings.provincial_poll_seconds)
        finally:
            await readers.close()
            await hub.close()

    run_process("provincial-poll", main, metrics_port=metrics_port or settings.metrics_port or POLL_METRICS_PORT)
