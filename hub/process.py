"""Running a hub process: logging, a stop event set by SIGTERM/SIGINT, and the /metrics endpoint."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from hub.metrics import serve_metrics

log = logging.getLogger("hub")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


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
