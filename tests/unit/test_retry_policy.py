"""Retry classification and backoff (DESIGN: retries and dead letters)."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from sqlalchemy.exc import IntegrityError, OperationalError

from hub.errors import InvalidEvent, PermanentError, TransientError, classify
from hub.retry import Backoff

pytestmark = pytest.mark.unit


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error",
    [
        TransientError("platform down"),
        TimeoutError(),
        ConnectionRefusedError(),
        KafkaConnectionError(),
        KafkaTimeoutError(),
        OperationalError("SELECT 1", {}, _PgError("08006")),
    ],
)
def test_transient_failures_are_retried(error: BaseException) -> None:
    assert classify(error) == "transient"


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("rule broken"),
        InvalidEvent("bad field"),
        ValueError("bug"),
        KeyError("bug"),
        IntegrityError("INSERT", {}, _PgError("23505")),
    ],
)
def test_permanent_failures_are_not_retried(error: BaseException) -> None:
    assert classify(error) == "permanent"


def test_serialization_failure_and_deadlock_are_transient() -> None:
    from sqlalchemy.exc import DBAPIError

    assert classify(DBAPIError("UPDATE", {}, _PgError("40001"))) == "transient"
    assert classify(DBAPIError("UPDATE", {}, _PgError("40P01"))) == "transient"


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    backoff = Backoff(initial=1.0, maximum=30.0)
    for failures, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0)]:
        delays = [backoff.delay(failures) for _ in range(200)]
        assert all(base <= d <= base + 1.0 for d in delays), (failures, min(delays), max(delays))
        assert max(delays) - min(delays) > 0.1  # jitter spreads the retries


def test_backoff_is_capped() -> None:
    assert all(Backoff(initial=1.0, maximum=30.0).delay(20) <= 30.0 for _ in range(50))
