"""The hub's failure vocabulary: which errors are worth retrying and which are not."""

from __future__ import annotations

import asyncio
from typing import Literal

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NotEnoughReplicasError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

Classification = Literal["transient", "permanent"]


class HubError(Exception):
    """Base of the hub's own errors."""


class TransientError(HubError):
    """A failure that may go away by itself (a platform down, a timeout): retry with backoff."""


class PermanentError(HubError):
    """A failure that no retry will fix (bad data, a broken rule): dead-letter at once."""


class InvalidEvent(PermanentError):
    """An event whose envelope or data breaks its contract; the message says exactly what and where."""


class UnknownEventType(InvalidEvent):
    """An event type with no schema in schemas/."""


_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    TransientError,
    TimeoutError,
    asyncio.TimeoutError,
    ConnectionError,
    OperationalError,
    PoolTimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NotEnoughReplicasError,
)

# SQLSTATE classes that a retry can cure: serialization failures and deadlocks (40),
# resource shortages (53), operator intervention such as a restart (57), connection loss (08).
_TRANSIENT_SQLSTATE_CLASSES = ("40", "53", "57", "08")


def classify(error: BaseException) -> Classification:
    """Say whether a failure is worth retrying. Unknown errors are permanent: retrying a bug only delays the
    dead letter an operator needs to see."""
    if isinstance(error, PermanentError):
        return "permanent"
    if isinstance(error, _TRANSIENT_TYPES):
        return "transient"
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        if sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES or error.connection_invalidated:
            return "transient"
    return "permanent"
