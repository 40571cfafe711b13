"""Running a hub process: logging, a stop event set by SIGTERM/SIGINT, the /metrics endpoint, and connecting to
Kafka in a way that outlives the broker being away at start-up."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from hub.metrics import serve_metrics
from hub.retry import call_until_done

if TYPE_CHECKING:
    from faststream.kafka import KafkaBroker

log = logging.getLogger("hub")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


async def start_broker(name: str, broker: KafkaBroker, stop: asyncio.Event, *, subscribers: bool = True) -> bool:
    """Connect ``broker`` (and start its subscribers unless ``subscribers`` is False), trying again with backoff
    while Kafka is unreachable, so a process started during an outage waits for it rather than exiting. False if
    stopped first. A half-started broker is stopped before the next try (faststream starts afresh then)."""

    async def attempt() -> None:
        try:
            await (broker.start() if subscribers else broker.connect())
        except BaseException:
            await asyncio.gather(broker.stop(), return_exceptions=True)
            raise

    await call_until_done(f"{name}: connecting to Kafka", attempt, stop)
    return not stop.is_set()


def run_process(name: str, main: Callable[[asyncio.Event], Awaitable[None]], *, metrics_port: int | None) -> None:
    """Run ``main(stop)`` until SIGTERM or SIGINT sets ``stop``; serve /metrics on ``metrics_port`` if given."""
    configure_logging()
    if metrics_port:
        serve_metrics(metrics_port)
        log.info("%s: metrics on http://127.0.0.1:%d/metrics", name, metrics_port)

    async def _run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        log.info("%s: started", name)
        await main(stop)
        log.info("%s: stopped", name)

    asyncio.run(_run())
