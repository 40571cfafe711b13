"""Daily jobs in long-running processes: the nightly suspension rules (4.5), the nightly reconciliation with the
provincial platform (issue 4). Server time, like the rules' "server's date"."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from hub.retry import Backoff, Retrier, sleep_or_stop

log = logging.getLogger(__name__)


def seconds_until(at_hour: int, now: datetime) -> float:
    """Seconds from ``now`` to the next ``at_hour``:00 (tomorrow's if that hour has begun)."""
    next_run = now.replace(hour=at_hour, minute=0, second=0, microsecond=0)
    if next_run <= now:
        next_run += timedelta(days=1)
    return (next_run - now).total_seconds()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    await sleep_or_stop(stop, seconds)


async def run_daily(
    name: str,
    job: Callable[[], Awaitable[object]],
    at_hour: int,
    stop: asyncio.Event,
    *,
    at_start: bool = False,
    clock: Callable[[], datetime] = datetime.now,
) -> None:
    """Run ``job`` every day at ``at_hour`` o'clock (and once at start-up if ``at_start``), until ``stop``.

    A failed run is retried with backoff (up to an hour apart) rather than waiting a
    whole day: a database or platform that was away at 3 o'clock is usually back a few minutes later. A run that
    fails for another reason (a bug) is logged with its traceback and retried the same way, so one broken job never
    takes down the process it shares with others (the poller runs the nightly reconciliation)."""
    if not at_start:
        await sleep_or_stop(stop, seconds_until(at_hour, clock()))
    retrier = Retrier(name, stop, Backoff(30.0, 3600.0), permanent="retry", sleep=_sleep)
    while not stop.is_set():
        try:
            await job()
        except Exception as error:
            await retrier.failed(error)
            continue
        retrier.succeeded()
        await sleep_or_stop(stop, seconds_until(at_hour, clock()))
