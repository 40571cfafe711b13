"""The one mechanism by which long-running loops outlive a lost database or broker (hub/retry.py, issue 12 item 8):
what counts as transient, backing off with a log line naming what failed and when the next try is, a metric per
failure, and programming errors still surfacing. Fakes only, no services."""

from __future__ import annotations

import asyncio
import logging

import psycopg
import pytest
from aiokafka.errors import CommitFailedError, KafkaConnectionError, NodeNotReadyError
from prometheus_client import REGISTRY
from sqlalchemy.exc import IntegrityError, OperationalError

from hub.delivery import DatabaseUnavailable
from hub.retry import Backoff, Retrier, call_until_done, is_transient, poll_forever

pytestmark = pytest.mark.unit

FAST = Backoff(0.01, 0.04)


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _database_down() -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, psycopg.OperationalError('connection failed: connection to server at "127.0.0.1" refused')
    )


@pytest.mark.parametrize(
    "error",
    [
        _database_down(),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        DatabaseUnavailable("the batch's transaction broke"),
        KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]"),
        NodeNotReadyError(),
        ConnectionRefusedError(111, "Connect call failed"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 54329)"),
        TimeoutError(),
        ExceptionGroup("both readers", [KafkaConnectionError(), ConnectionResetError()]),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_lost_database_or_broker_is_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        KeyError("personal_number"),
        AttributeError("'NoneType' object has no attribute 'id'"),
        FileNotFoundError(2, "No such file", "schemas/x.json"),
        PermissionError(13, "Permission denied"),
        IntegrityError("INSERT", {}, _PgError("23505")),
        CommitFailedError(),
        ExceptionGroup("mixed", [KafkaConnectionError(), ValueError("a bug")]),
    ],
    ids=lambda e: type(e).__name__,
)
def test_programming_errors_are_not_transient(error: BaseException) -> None:
    assert not is_transient(error)


def _failures(loop: str, error_type: str) -> float:
    return REGISTRY.get_sample_value("hub_loop_failures_total", {"loop": loop, "error_type": error_type}) or 0.0


async def test_a_loop_backs_off_through_an_outage_logs_each_failure_and_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="hub.retry")
    stop = asyncio.Event()
    calls: list[str] = []
    outcomes: list[BaseException | bool] = [_database_down(), KafkaConnectionError("broker away"), True, False]
    before = _failures("fake sender", "OperationalError")

    async def step() -> bool:
        outcome = outcomes.pop(0) if outcomes else False
        calls.append(type(outcome).__name__)
        if isinstance(outcome, BaseException):
            raise outcome
        if not outcomes:
            stop.set()
        return outcome

    await asyncio.wait_for(poll_forever("fake sender", step, stop, idle_seconds=0.01, backoff=FAST), 5)

    assert calls == ["OperationalError", "KafkaConnectionError", "bool", "bool"]  # the same work tried again
    assert _failures("fake sender", "OperationalError") == before + 1
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("fake sender failed (OperationalError: (psycopg.OperationalError) connection failed")
    assert "1st failure in a row; next try in 0.0s at " in messages[0]
    assert "2nd failure in a row" in messages[1]
    assert messages[2].startswith("fake sender recovered after 2 failures")
    assert [r.levelno for r in caplog.records[:2]] == [logging.WARNING, logging.WARNING]


async def test_a_programming_error_surfaces_and_ends_the_loop() -> None:
    stop = asyncio.Event()

    async def step() -> bool:
        raise KeyError("personal_number")

    with pytest.raises(KeyError):
        await asyncio.wait_for(poll_forever("buggy", step, stop, idle_seconds=0.01, backoff=FAST), 5)


async def test_a_loop_that_must_not_stop_logs_a_programming_error_with_its_traceback_and_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    slept: list[float] = []

    async def sleep(_: asyncio.Event, seconds: float) -> None:
        slept.append(seconds)

    retrier = Retrier("nightly job", stop, Backoff(30.0, 3600.0), permanent="retry", sleep=sleep)
    try:
        raise ValueError("a bug in the rule")
    except ValueError as error:
        await retrier.failed(error)
    assert 30.0 <= slept[0] <= 60.0
    record = caplog.records[-1]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "nightly job failed (ValueError: a bug in the rule)" in record.getMessage()


async def test_a_reader_that_must_not_stop_carries_on_past_a_bug_and_reads_the_same_page_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The provincial readers' loop (permanent="retry"): a bug in one page is logged with its traceback, then the
    same position is read again, and the loop goes on."""
    stop = asyncio.Event()
    pages: list[str] = []

    async def step() -> bool:
        pages.append("page 7")
        if len(pages) == 1:
            raise KeyError("nextCursor")
        stop.set()
        return False

    await asyncio.wait_for(
        poll_forever("provincial changes reader", step, stop, idle_seconds=0.01, backoff=FAST, permanent="retry"), 5
    )
    assert pages == ["page 7", "page 7"]
    failures = [r for r in caplog.records if "provincial changes reader failed" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR and failures[0].exc_info is not None


async def test_a_call_is_tried_until_it_succeeds_or_the_process_stops() -> None:
    stop = asyncio.Event()
    attempts = [ConnectionRefusedError(111, "refused"), ConnectionRefusedError(111, "refused")]

    async def connect() -> str:
        if attempts:
            raise attempts.pop()
        return "connected"

    assert await asyncio.wait_for(call_until_done("connecting", connect, stop, backoff=FAST), 5) == "connected"

    async def never() -> str:
        stop.set()
        raise KafkaConnectionError("broker away")

    assert await asyncio.wait_for(call_until_done("connecting", never, stop, backoff=FAST), 5) is None
