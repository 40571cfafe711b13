"""The transactional outbox: the only way events leave the hub.

A change and the events it causes are written in one PostgreSQL transaction (:class:`Outbox.put`); the
:class:`OutboxRelay` publishes the rows to Kafka in id order, waits for the broker's acknowledgement and only then
marks them sent. A crash between the two republishes the rows; consumers drop the duplicates by event id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from aiokafka.errors import UnknownTopicOrPartitionError
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from hub.db import SessionFactory
from hub.envelope import Envelope
from hub.models import OUTBOX_CHANNEL, OutboxMessage
from hub.publisher import Publisher
from hub.retry import Backoff, Retrier, sleep_or_stop
from hub.schemas import SchemaRegistry
from hub.topics import TopicCatalog

log = logging.getLogger(__name__)

# Only one relay publishes at a time, so rows leave in id order and per-key order holds across relays.
RELAY_LOCK_ID = 0x68756221  # "hub!"


class Outbox:
    """Writes events into the outbox inside the caller's transaction, validating them first."""

    def __init__(self, schemas: SchemaRegistry, catalog: TopicCatalog) -> None:
        self._schemas = schemas
        self._catalog = catalog

    async def put(self, session: AsyncSession, envelope: Envelope, topic: str | None = None) -> None:
        self._schemas.validate(envelope)
        await self.put_raw(
            session,
            topic=topic or self._catalog.topic_for(envelope.type),
            key=envelope.key,
            headers=envelope.headers(),
            payload=envelope.body(),
            event_id=envelope.id,
            event_type=envelope.type,
            occurred_at=envelope.time,
        )

    async def put_many(self, session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        """Queue many events with one multi-row insert (bulk jobs); each is validated first, so one bad event
        refuses the whole batch before anything is written."""
        for envelope in envelopes:
            self._schemas.validate(envelope)
        if envelopes:
            await session.execute(
                insert(OutboxMessage),
                [
                    {
                        "event_id": e.id,
                        "event_type": e.type,
                        "topic": self._catalog.topic_for(e.type),
                        "key": e.key,
                        "headers": e.headers(),
                        "payload": e.body(),
                        "occurred_at": e.time,
                    }
                    for e in envelopes
                ],
            )

    @staticmethod
    async def put_raw(
        session: AsyncSession,
        *,
        topic: str,
        key: str,
        headers: Mapping[str, str],
        payload: bytes,
        event_id: str,
        event_type: str,
        occurred_at: datetime,
    ) -> None:
        """Queue an already-encoded message (dead letters carry the original bytes, valid or not)."""
        await session.execute(
            insert(OutboxMessage).values(
                event_id=event_id,
                event_type=event_type,
                topic=topic,
                key=key,
                headers=dict(headers),
                payload=payload,
                occurred_at=occurred_at,
            )
        )


class OutboxRelay:
    """Publishes unsent outbox rows, woken by LISTEN/NOTIFY, with a slow poll as a safety net."""

    def __init__(
        self,
        sessions: SessionFactory,
        publisher: Publisher,
        dsn: str,
        *,
        batch_size: int = 500,
        poll_seconds: float = 5.0,
        housekeeping: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._dsn = dsn
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._housekeeping = housekeeping
        self._backoff = Backoff(initial=0.5, maximum=30.0)
        # Topics the broker does not know (not created yet, or deleted by mistake): their rows wait, every other
        # topic keeps flowing. Order is per key within a topic, so holding a whole topic back breaks no order.
        self._missing_topic_backoff = Backoff(initial=30.0, maximum=300.0)
        self._held_topics: dict[str, tuple[float, int]] = {}  # topic -> (retry at, failures)

    def held_topics(self) -> list[str]:
        return sorted(self._held_topics)

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows in id order; return how many were sent."""
        now = asyncio.get_running_loop().time()
        held = [topic for topic, (retry_at, _) in self._held_topics.items() if retry_at > now]
        async with self._sessions() as session, session.begin():
            query = (
                select(
                    col(OutboxMessage.id),
                    col(OutboxMessage.topic),
                    col(OutboxMessage.key),
                    col(OutboxMessage.headers),
                    col(OutboxMessage.payload),
                )
                .where(col(OutboxMessage.sent_at).is_(None))
                .order_by(col(OutboxMessage.id))
                .limit(self._batch_size)
            )
            if held:
                query = query.where(col(OutboxMessage.topic).not_in(held))
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            by_topic: dict[str, list[Any]] = {}
            for row in rows:
                by_topic.setdefault(row.topic, []).append(row)
            sent: list[int] = []
            for topic, topic_rows in by_topic.items():
                try:
                    await self._publisher.publish_in_order(
                        [(row.topic, row.key, row.headers, row.payload) for row in topic_rows], source="outbox"
                    )
                except UnknownTopicOrPartitionError:
                    self._hold(topic, len(topic_rows))
                    continue
                self._held_topics.pop(topic, None)
                sent.extend(row.id for row in topic_rows)
            if sent:
                await session.execute(
                    update(OutboxMessage).where(col(OutboxMessage.id).in_(sent)).values(sent_at=text("now()"))
                )
        return len(sent)

    def _hold(self, topic: str, waiting: int) -> None:
        failures = self._held_topics.get(topic, (0.0, 0))[1] + 1
        delay = self._missing_topic_backoff.delay(failures)
        self._held_topics[topic] = (asyncio.get_running_loop().time() + delay, failures)
        log.error(
            "topic %s does not exist on the broker: %d outbox rows for it wait (run `hub topics create`); "
            "other topics keep flowing; next try in %.0fs",
            topic,
            waiting,
            delay,
        )

    async def drain(self) -> int:
        total = 0
        while True:
            holding = len(self._held_topics)
            sent = await self.publish_pending()
            total += sent
            # A topic newly held back leaves a short batch although more rows may be waiting behind it.
            if sent < self._batch_size and len(self._held_topics) <= holding:
                return total

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the relay lock, then publish whenever a NOTIFY arrives (or every poll interval) until stopped."""
        # The relay must outlive broker and database outages; a failure that is no outage (a bug) is logged with
        # its traceback and counted, and the relay carries on too, since nothing else publishes the outbox.
        retrier = Retrier("outbox relay", stop, self._backoff, permanent="retry")
        while not stop.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(self._dsn, autocommit=True) as connection:
                    await self._wait_for_leadership(connection, stop)
                    await connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
                    log.info("outbox relay is the leader and listening on %s", OUTBOX_CHANNEL)
                    retrier.succeeded()
                    await self._publish_loop(connection, stop)
            except Exception as error:
                await retrier.failed(error)

    async def _publish_loop(self, connection: psycopg.AsyncConnection[Any], stop: asyncio.Event) -> None:
        purge_every, since_purge = 3600.0, 3600.0
        while not stop.is_set():
            await self.drain()
            if self._housekeeping is not None and since_purge >= purge_every:
                await self._housekeeping()
                since_purge = 0.0
            started = asyncio.get_running_loop().time()
            # Any notification (or the poll timeout) means: look again.
            async for _ in connection.notifies(timeout=self._poll_seconds, stop_after=1):
                pass
            since_purge += asyncio.get_running_loop().time() - started

    async def _wait_for_leadership(self, connection: psycopg.AsyncConnection[Any], stop: asyncio.Event) -> None:
        while not stop.is_set():
            cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK_ID,))
            row = await cursor.fetchone()
            if row and row[0]:
                return
            await sleep_or_stop(stop, self._poll_seconds)
