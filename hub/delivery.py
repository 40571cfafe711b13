"""What the hub knows about one Kafka record and about a failure to apply it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub.errors import classify


@dataclass(frozen=True, slots=True)
class Delivery:
    """One Kafka record as the hub needs it, whatever client read it."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def from_record(cls, record: Any) -> Delivery:
        key = record.key.decode(errors="replace") if record.key is not None else ""
        return cls(record.topic, record.partition, record.offset, key, record.value, tuple(record.headers or ()))


class BatchAbandoned(Exception):
    """Stop the batch: nothing of it is committed, and it is read again later instead of its events being parked."""


class DatabaseUnavailable(BatchAbandoned):
    """The transaction itself broke: the batch must be re-read, not its events parked."""


@dataclass
class Failure:
    error: BaseException
    attempts: int
    first_failed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def transient(self) -> bool:
        return classify(self.error) == "transient"
