"""Daily jobs (hub/schedule.py): the nightly suspension rules (4.5) and the nightly provincial reconciliation
(issue 4) run at their hour of server time, and a failed run is retried soon rather than a day later."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from hub import schedule
from hub.schedule import run_daily, seconds_until

pytestmark = pytest.mark.unit


def test_the_next_run_is_today_when_the_hour_is_still_ahead() -> None:
    assert seconds_until(3, datetime(2026, 11, 23, 2, 59, 30)) == 30


def test_the_next_run_is_tomorrow_once_the_hour_has_begun() -> None:
    assert seconds_until(3, datetime(2026, 11, 23, 3, 0, 0)) == 24 * 3600
    assert seconds_until(3, datetime(2026, 11, 23, 3, 0, 1)) == 24 * 3600 - 1


def test_the_next_run_crosses_the_end_of_a_leap_february() -> None:
    assert seconds_until(2, datetime(2028, 2, 29, 23, 0, 0)) == 3 * 3600


async def test_a_failed_run_is_retried_after_a_backoff_and_the_next_waits_for_the_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sleeps: list[float] = []
    stop = asyncio.Event()
    runs: list[int] = []

    async def fake_sleep(_: asyncio.Event, seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            stop.set()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise ConnectionError("the platform is away")

    monkeypatch.setattr(schedule, "sleep_or_stop", fake_sleep)
    await run_daily("test", job, 3, stop, clock=lambda: datetime(2026, 11, 23, 1, 0, 0))

    assert runs == [0, 1]
    assert sleeps[0] == 2 * 3600  # waited for 3 o'clock
    assert 30 <= sleeps[1] <= 60  # the failed run retried after the first backoff, not a day later
    assert sleeps[2] == 2 * 3600  # the successful run waits for the next 3 o'clock


async def test_at_start_runs_the_job_before_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()
    order: list[str] = []

    async def fake_sleep(_: asyncio.Event, seconds: float) -> None:
        order.append("sleep")
        stop.set()

    async def job() -> None:
        order.append("job")

    monkeypatch.setattr(schedule, "sleep_or_stop", fake_sleep)
    await run_daily("test", job, 3, stop, at_start=True)
    assert order == ["job", "sleep"]
