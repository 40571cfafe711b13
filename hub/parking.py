"""Parked events: a retiree's failed event and every later event of the same retiree, held in order.

Parking a key, not a partition, is what lets one poison event stop only its own retiree: other keys in the same
partition keep flowing, and the parked key's events are applied in their original order once the head succeeds.
A head that fails for good is dead-lettered: its row turns ``dead`` and a copy goes to the group's dead-letter
topic through the outbox, with the reason in its headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from hub.delivery import Delivery, Failure
from hub.models import ACTIVE_PARKED_STATUSES, ParkedEvent
from hub.outbox import Outbox
from hub.retry import Backoff
from hub.topics import dead_letter_topic as default_dead_letter_topic

MAX_ERROR_MESSAGE = 2000


def _text_headers(headers: Iterable[tuple[str, bytes]]) -> list[list[str]]:
    return [
        [name, value.decode(errors="replace") if isinstance(value, bytes) else str(value)] for name, value in headers
    ]


def _header(headers: Iterable[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode(errors="replace")
    return None


def stored_delivery(row: Any) -> Delivery:
    """The delivery a parked row was made from, to be applied again."""
    return Delivery(
        row.topic,
        row.partition,
        row.offset,
        row.event_key,
        row.value,
        tuple((name, value.encode()) for name, value in row.headers),
    )


class ParkingLot:
    """Parks events of one consumer group and dead-letters them."""

    def __init__(
        self,
        group: str,
        *,
        retry_backoff: Backoff,
        max_attempts: int,
        on_dead_letter: Callable[[AsyncSession, Delivery, Failure], Awaitable[None]] | None = None,
        dead_letter_topic: str | None = None,
    ) -> None:
        self.group = group
        self.dead_letter_topic = dead_letter_topic or default_dead_letter_topic(group)
        self.retry_backoff = retry_backoff
        self.max_attempts = max_attempts
        self._on_dead_letter = on_dead_letter

    async def active_keys(self, session: AsyncSession, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (topic, key) pairs with an unsettled parked event. Order is per topic and key — Kafka orders nothing
        across topics — so an early event parked on one topic never holds back the same retiree on another."""
        wanted = list(set(keys))
        if not wanted:
            return set()
        rows = await session.execute(
            select(col(ParkedEvent.topic), col(ParkedEvent.event_key))
            .where(
                col(ParkedEvent.consumer_group) == self.group,
                col(ParkedEvent.event_key).in_({key for _, key in wanted}),
                col(ParkedEvent.status).in_(ACTIVE_PARKED_STATUSES),
            )
            .distinct()
        )
        return {(topic, key) for topic, key in rows} & set(wanted)

    async def park_behind(self, session: AsyncSession, delivery: Delivery) -> None:
        await session.execute(insert(ParkedEvent).values(**self._row(delivery), status="waiting", attempts=0))

    async def park_failure(
        self,
        session: AsyncSession,
        delivery: Delivery,
        failure: Failure,
        *,
        dead: bool,
    ) -> int:
        """Park a failed delivery: ``retrying`` after a transient failure, else ``dead`` and dead-lettered."""
        values = self._row(delivery) | self._failure_values(failure, dead=dead)
        inserted = await session.execute(insert(ParkedEvent).values(**values).returning(col(ParkedEvent.id)))
        parked_id = inserted.scalar_one()
        assert parked_id is not None  # a bigserial primary key
        if dead:
            await self.dead_letter(session, parked_id, delivery, failure)
        return parked_id

    async def record_failure(self, session: AsyncSession, parked_id: int, delivery: Delivery, failure: Failure) -> bool:
        """Record another failed attempt of a parked head; dead-letter it when retries are exhausted.
        Returns whether it is now dead."""
        dead = not failure.transient or failure.attempts >= self.max_attempts
        await session.execute(
            update(ParkedEvent)
            .where(col(ParkedEvent.id) == parked_id)
            .values(**self._failure_values(failure, dead=dead))
        )
        if dead:
            await self.dead_letter(session, parked_id, delivery, failure)
        return dead

    async def dead_letter(self, session: AsyncSession, parked_id: int, delivery: Delivery, failure: Failure) -> None:
        """Send a copy of the original record, with the reason in its headers, to the group's dead-letter topic."""
        headers = {name: value for name, value in _text_headers(delivery.headers)}
        headers |= {
            "dlq_id": str(parked_id),
            "dlq_consumer_group": self.group,
            "dlq_error_type": type(failure.error).__name__,
            "dlq_error_message": str(failure.error)[:MAX_ERROR_MESSAGE],
            "dlq_original_topic": delivery.topic,
            "dlq_original_partition": str(delivery.partition),
            "dlq_original_offset": str(delivery.offset),
            "dlq_attempts": str(failure.attempts),
            "dlq_first_failure_time": failure.first_failed_at.isoformat(),
        }
        await Outbox.put_raw(
            session,
            topic=self.dead_letter_topic,
            key=delivery.key,
            headers=headers,
            payload=delivery.value or b"",
            event_id=f"dead-letter:{self.group}:{parked_id}:{failure.attempts}",
            event_type=_header(delivery.headers, "ce_type") or "unknown",
            occurred_at=datetime.now(UTC),
        )
        if self._on_dead_letter is not None:
            await self._on_dead_letter(session, delivery, failure)

    def _row(self, delivery: Delivery) -> dict[str, Any]:
        return {
            "consumer_group": self.group,
            "event_key": delivery.key,
            "topic": delivery.topic,
            "partition": delivery.partition,
            "offset": delivery.offset,
            "event_id": _header(delivery.headers, "ce_id"),
            "event_type": _header(delivery.headers, "ce_type"),
            "headers": _text_headers(delivery.headers),
            "value": delivery.value,
        }

    def _failure_values(self, failure: Failure, *, dead: bool) -> dict[str, Any]:
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "status": "dead" if dead else "retrying",
            "attempts": failure.attempts,
            "error_type": type(failure.error).__name__,
            "error_message": str(failure.error)[:MAX_ERROR_MESSAGE],
            "first_failed_at": failure.first_failed_at,
            "last_failed_at": now,
            "next_attempt_at": None if dead else now + timedelta(seconds=self.retry_backoff.delay(failure.attempts)),
        }
        if dead:
            values["dead_lettered_at"] = now
        return values
