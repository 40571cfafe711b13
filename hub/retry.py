"""Backoff with exponential growth and jitter, shared by every retry in the hub (tenacity's wait strategy)."""

from __future__ import annotations

import asyncio
import contextlib

from tenacity import RetryCallState, wait_exponential_jitter


class Backoff:
    """Delay before attempt ``n + 1`` after ``n`` failures: ``initial * 2**(n-1)`` plus up to ``initial`` of
    jitter, capped at ``maximum``. The jitter spreads the retries of many consumers so they do not all hit a
    recovering platform at once."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._wait = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)

    def delay(self, failures: int) -> float:
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = max(1, failures)
        return float(self._wait(state))


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the process is asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
