"""Backoff with exponential growth and jitter, shared by every retry in the hub (tenacity's wait strategy), and the
one mechanism by which every long-running loop outlives a lost database or broker (:class:`Retrier`,
:func:`poll_forever`, :func:`call_until_done`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Literal, TypeVar

import psycopg
from aiokafka.errors import KafkaError
from tenacity import RetryCallState, wait_exponential_jitter

from hub import metrics
from hub.delivery import DatabaseUnavailable
from hub.errors import classify

log = logging.getLogger(__name__)


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


# ---------------------------------------------------------------------------------------------------------------
# Long-running loops through outages: one mechanism for every process (issue 12, item 8)

T = TypeVar("T")

# OSErrors about local files or permissions are mistakes to fix, not a peer that went away.
_LOCAL_OS_ERRORS = (FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError)


def is_transient(error: BaseException) -> bool:
    """Whether a long-running loop should back off and try again: PostgreSQL or Kafka unreachable or restarting
    (psycopg/SQLAlchemy connection errors, retriable Kafka errors, sockets refused or reset, timeouts), or anything
    :func:`hub.errors.classify` calls transient. Everything else — a bug, a broken contract — is not, and surfaces."""
    if isinstance(error, BaseExceptionGroup):
        return all(is_transient(inner) for inner in error.exceptions)
    if isinstance(error, psycopg.OperationalError | DatabaseUnavailable):  # raw psycopg, or a consumer's batch
        return True
    if isinstance(error, KafkaError):
        return bool(error.retriable) or classify(error) == "transient"
    if isinstance(error, OSError) and not isinstance(error, _LOCAL_OS_ERRORS):
        return True  # refused, reset, unreachable, "Multiple exceptions: [Errno 111] ..."
    return classify(error) == "transient"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else ""


class Retrier:
    """One loop's way through outages: after a failure, :meth:`failed` logs what failed and when the next try is,
    counts it in ``hub_loop_failures_total`` and sleeps the backoff (waking at once on stop); :meth:`succeeded`
    logs the recovery. A failure that is not transient is raised again (``permanent="raise"``), or, for a loop
    that must not take its process down with it (a daily job, a consumer's batch), logged with its traceback and
    retried after the same backoff (``permanent="retry"``)."""

    def __init__(
        self,
        name: str,
        stop: asyncio.Event,
        backoff: Backoff | None = None,
        *,
        permanent: Literal["raise", "retry"] = "raise",
        transient: Callable[[BaseException], bool] = is_transient,
        sleep: Callable[[asyncio.Event, float], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self.stop = stop
        self.backoff = backoff or Backoff(1.0, 30.0)
        self.permanent = permanent
        self.transient = transient
        self._sleep = sleep or sleep_or_stop
        self.failures = 0
        self._since: datetime | None = None

    async def failed(self, error: BaseException) -> None:
        transient = self.transient(error)
        if not transient and self.permanent == "raise":
            raise error
        self.failures += 1
        self._since = self._since or datetime.now().astimezone()
        delay = self.backoff.delay(self.failures)
        next_try = datetime.now().astimezone() + timedelta(seconds=delay)
        metrics.loop_failures.labels(loop=self.name, error_type=type(error).__name__).inc()
        log.log(
            logging.WARNING if transient else logging.ERROR,
            "%s failed (%s: %s); %s failure in a row; next try in %.1fs at %s",
            self.name,
            type(error).__name__,
            _first_line(error),
            _ordinal(self.failures),
            delay,
            next_try.strftime("%H:%M:%S"),
            exc_info=None if transient else error,
        )
        await self._sleep(self.stop, delay)

    def succeeded(self) -> None:
        if self.failures:
            down = (datetime.now().astimezone() - self._since).total_seconds() if self._since else 0.0
            log.info("%s recovered after %d failures (%.1fs)", self.name, self.failures, down)
        self.failures, self._since = 0, None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


async def poll_forever(
    name: str,
    step: Callable[[], Awaitable[bool]],
    stop: asyncio.Event,
    *,
    idle_seconds: float,
    backoff: Backoff | None = None,
    permanent: Literal["raise", "retry"] = "raise",
) -> None:
    """Call ``step`` until ``stop``: at once again while it says there is more to do, after ``idle_seconds`` when
    it says it is caught up, after the backoff when it fails transiently (the same work is tried again). A failure
    that is not transient is raised, or with ``permanent="retry"`` logged with its traceback and retried."""
    retrier = Retrier(name, stop, backoff, permanent=permanent)
    while not stop.is_set():
        try:
            more = await step()
        except Exception as error:
            await retrier.failed(error)
            continue
        retrier.succeeded()
        if not more:
            await sleep_or_stop(stop, idle_seconds)


async def call_until_done(
    name: str, call: Callable[[], Awaitable[T]], stop: asyncio.Event, *, backoff: Backoff | None = None
) -> T | None:
    """``call`` (connecting to the broker at start-up, say) tried until it succeeds; None if stopped first."""
    retrier = Retrier(name, stop, backoff)
    while not stop.is_set():
        try:
            result = await call()
        except Exception as error:
            await retrier.failed(error)
            continue
        retrier.succeeded()
        return result
    return None
