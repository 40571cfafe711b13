"""Re-applies parked events: due retries, events waiting behind a resolved head, and replays operators asked for.

Only the head of each parked key (its oldest active row) is ever tried, so a retiree's events are applied in
their original order. Woken by NOTIFY on ``hub_parked`` (``hub dlq replay``) and by a short poll for due retries.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import psycopg
from sqlalchemy import select, text, update
from sqlmodel import col

from hub import metrics
from hub.consumer import EventApplier
from hub.db import SessionFactory
from hub.delivery import BatchAbandoned, Failure
from hub.models import PARKED_CHANNEL, ParkedEvent
from hub.parking import ParkingLot, stored_delivery
from hub.retry import Backoff, Retrier

log = logging.getLogger(__name__)

_DUE_HEADS = text(
    """
    SELECT id FROM (
        SELECT DISTINCT ON (topic, event_key) id, status, next_attempt_at
        FROM hub_parked_event
        WHERE consumer_group = :group AND status IN ('waiting', 'retrying', 'dead', 'replay')
        ORDER BY topic, event_key, id
    ) AS heads
    WHERE status IN ('waiting', 'replay') OR (status = 'retrying' AND next_attempt_at <= now())
    ORDER BY id
    LIMIT :limit
    """
)


class ParkedEventWorker:
    def __init__(
        self,
        applier: EventApplier,
        sessions: SessionFactory,
        parking: ParkingLot,
        dsn: str,
        *,
        poll_seconds: float = 1.0,
        batch_limit: int = 200,
    ) -> None:
        self._applier = applier
        self._group = applier.group.name
        self._sessions = sessions
        self._parking = parking
        self._dsn = dsn
        self._poll_seconds = poll_seconds
        self._batch_limit = batch_limit

    async def retry_due(self) -> int:
        """Try every due head once; return how many were resolved."""
        gate = self._applier.group.gate
        if gate is not None:  # the platform this group pushes to is down: its parked events wait with the rest
            await gate.wait_for_passage()
        async with self._sessions() as session:
            due = list(
                (await session.execute(_DUE_HEADS, {"group": self._group, "limit": self._batch_limit})).scalars()
            )
        resolved = 0
        for parked_id in due:
            resolved += await self._retry(parked_id)
        return resolved

    async def _retry(self, parked_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(ParkedEvent)
                    .where(
                        col(ParkedEvent.id) == parked_id, col(ParkedEvent.status).in_(("waiting", "retrying", "replay"))
                    )
                    .with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if row is None:
                return False  # another worker of the group has it, or it was resolved meanwhile
            delivery = stored_delivery(row)
            try:
                envelope = self._applier.parse(delivery)
                outcome = await self._applier.apply(session, envelope, delivery.topic)
            except BatchAbandoned:
                raise
            except Exception as error:
                failure = Failure(
                    error, attempts=row.attempts + 1, first_failed_at=row.first_failed_at or datetime.now(UTC)
                )
                metrics.events_failed.labels(topic=row.topic, group=self._group, error_type=type(error).__name__).inc()
                dead = await self._parking.record_failure(session, parked_id, delivery, failure)
                if dead:
                    metrics.dead_letters.labels(topic=row.topic, group=self._group).inc()
                else:
                    metrics.retries.labels(topic=row.topic, group=self._group).inc()
                log.warning("parked event %s of group %s failed again: %s", parked_id, self._group, error)
                return False
            await session.execute(
                update(ParkedEvent)
                .where(col(ParkedEvent.id) == parked_id)
                .values(status="resolved", resolved_at=text("now()"))
            )
        metrics.events_consumed.labels(topic=row.topic, group=self._group, outcome=outcome).inc()
        if outcome == "applied":
            metrics.end_to_end_latency.labels(flow=envelope.type).observe(
                max(0.0, (datetime.now(UTC) - envelope.time).total_seconds())
            )
        log.info("parked event %s of group %s %s", parked_id, self._group, outcome)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        # Through database outages, and past a bug (logged with its traceback, counted): parked events wait here.
        retrier = Retrier(f"parked-event worker of {self._group}", stop, Backoff(0.5, 30.0), permanent="retry")
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(self._dsn, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {PARKED_CHANNEL}")
                    while not stop.is_set():
                        while await self.retry_due():
                            pass
                        retrier.succeeded()
                        async for _ in connection.notifies(timeout=self._poll_seconds, stop_after=1):
                            pass
            except Exception as error:
                await retrier.failed(error)
