"""A circuit breaker per external platform, whose open state pauses the consumer group that pushes to it.

After ``failure_threshold`` consecutive failures to reach the platform the circuit opens: pushes stop, the group's
batches wait at :meth:`CircuitBreaker.wait_for_passage` instead of each event failing and parking. After
``reset_seconds`` one trial is let through (half-open); its success closes the circuit, its failure opens it again
for longer (doubling up to ``max_reset_seconds``). An outage therefore backs work up in Kafka and loses none of it.

The well-known Python breakers (pybreaker, aiobreaker, purgatory) guard a call; none offers the "wait until a trial
may pass" that pausing a consumer needs, hence this small class.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Literal

from hub import metrics
from hub.delivery import BatchAbandoned
from hub.errors import TransientError

log = logging.getLogger(__name__)

State = Literal["closed", "open", "half_open"]
_STATE_VALUE: dict[State, int] = {"closed": 0, "open": 1, "half_open": 2}


class CircuitOpen(BatchAbandoned, TransientError):
    """The platform is known to be down: abandon the batch (nothing committed) and wait for the circuit."""


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 3,
        reset_seconds: float = 5.0,
        max_reset_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._threshold = failure_threshold
        self._initial_reset = reset_seconds
        self._max_reset = max_reset_seconds
        self._reset = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._state: State = "closed"
        self._publish_state()

    @property
    def state(self) -> State:
        if self._state == "open" and self._clock() >= self._opened_at + self._reset:
            self._set("half_open")
        return self._state

    def allows_call(self) -> bool:
        return self.state != "open"

    def check(self) -> None:
        """Raise :class:`CircuitOpen` unless a call may go through now."""
        if not self.allows_call():
            raise CircuitOpen(f"circuit {self.name} is open after {self._failures} failures; waiting for the platform")

    def record_success(self) -> None:
        if self._state != "closed":
            log.info("circuit %s closed: the platform answers again", self.name)
        self._failures = 0
        self._reset = self._initial_reset
        self._set("closed")

    def record_failure(self) -> None:
        self._failures += 1
        if self._state == "half_open":
            self._reset = min(self._reset * 2, self._max_reset)
            self._open()
        elif self._state == "closed" and self._failures >= self._threshold:
            self._open()

    async def wait_for_passage(self) -> None:
        """Return when a call may go through: at once while closed, after the reset delay while open."""
        while self.state == "open":
            remaining = self._opened_at + self._reset - self._clock()
            await asyncio.sleep(max(0.05, min(remaining, 1.0)))

    def _open(self) -> None:
        self._opened_at = self._clock()
        if self._state != "open":
            metrics.circuit_opened.labels(breaker=self.name).inc()
            log.warning(
                "circuit %s opened after %d failures; next trial in %.1fs", self.name, self._failures, self._reset
            )
        self._set("open")

    def _set(self, state: State) -> None:
        self._state = state
        self._publish_state()

    def _publish_state(self) -> None:
        metrics.circuit_state.labels(breaker=self.name).set(_STATE_VALUE[self._state])

    def seconds_until_trial(self) -> float:
        """How long until a call may go through: 0 unless the circuit is open."""
        if self.state != "open":
            return 0.0
        return max(0.0, self._opened_at + self._reset - self._clock())


class BreakerPerKey:
    """One :class:`CircuitBreaker` per key (e.g. per channel app), made on first use by ``make`` (the breaker class
    with the family's settings bound, e.g. ``functools.partial(CircuitBreaker, failure_threshold=5)``) and named
    ``<prefix>:<key>`` (its metrics labelled so), so one platform being down opens only its own circuit."""

    def __init__(self, prefix: str, make: Callable[[str], CircuitBreaker] = CircuitBreaker) -> None:
        self.prefix = prefix
        self._make = make
        self._breakers: dict[str, CircuitBreaker] = {}

    def __call__(self, key: str) -> CircuitBreaker:
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = self._make(f"{self.prefix}:{key}")
            self._breakers[key] = breaker
        return breaker

    def known(self) -> dict[str, CircuitBreaker]:
        """The breakers made so far, by key."""
        return dict(self._breakers)

    def all_open(self) -> bool:
        """Whether every platform tried so far is known to be down (False before any was tried)."""
        return bool(self._breakers) and not any(b.allows_call() for b in self._breakers.values())

    async def wait_while_all_open(self) -> None:
        """Return when some platform may be called: at once unless every breaker made so far is open (then nothing
        could be pushed anyway, and the caller pauses as behind a single breaker)."""
        while self.all_open():
            remaining = min(b.seconds_until_trial() for b in self._breakers.values())
            await asyncio.sleep(max(0.05, min(remaining, 1.0)))
