"""Idempotent batch consumption: how every consumer group applies events.

For each batch taken off Kafka, in ONE database transaction:
  1. events whose key is parked (an earlier event of the same retiree failed) are parked behind it, keeping order;
  2. each other event is parsed, validated against its schema and applied by its handler inside a savepoint,
     together with the row that records its id — a redelivered event finds that row and changes nothing;
  3. a transient failure is retried a few times in place with backoff; if it persists the event is parked for a
     later retry, a permanent failure is dead-lettered at once — either way the key is parked and the rest of the
     batch flows.
Only after the transaction commits are the Kafka offsets committed. If the database itself fails, the whole batch
is rolled back and re-read after a backoff: nothing is lost, nothing is applied twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import metrics
from hub.db import SessionFactory
from hub.delivery import BatchAbandoned, DatabaseUnavailable, Delivery, Failure
from hub.envelope import Envelope
from hub.models import ProcessedEvent
from hub.outbox import Outbox
from hub.parking import ParkingLot
from hub.retry import Backoff
from hub.schemas import SchemaRegistry
from hub.topics import TopicCatalog

log = logging.getLogger(__name__)

Outcome = Literal["applied", "duplicate", "ignored", "parked", "dead_lettered"]


class OutboxUnitOfWork:
    """What a handler or a domain service gets: the open transaction, and the outbox to emit the events its change
    causes. Events published while handling an inbound event carry that event's correlation id and fact time.

    The concrete unit of work; it satisfies the domain's ``UnitOfWork`` protocol (domain/shared/uow.py), which is
    what domain code names (the hub imports no application package, so it is matched by shape)."""

    def __init__(
        self,
        session: AsyncSession,
        outbox: Outbox,
        *,
        cause: Envelope | None = None,
        causes: Mapping[str, Envelope] | None = None,
        source: str,
    ) -> None:
        self._session = session
        self._outbox = outbox
        self._cause = cause
        self._causes = causes or {}  # a set-based run's events, by id
        self._source = source

    def caused_by(self, event_id: str) -> OutboxUnitOfWork:
        cause = self._causes.get(event_id, self._cause)
        return OutboxUnitOfWork(self._session, self._outbox, cause=cause, causes=self._causes, source=self._source)

    @property
    def session(self) -> AsyncSession:
        return self._session

    async def emit(self, event: Envelope) -> None:
        await self._outbox.put(self._session, event)

    async def publish(
        self, event_type: str, subject: str, data: Mapping[str, Any], *, occurred_at: datetime | None = None
    ) -> str:
        if self._cause is not None:
            event = self._cause.caused(event_type, subject, data, source=self._source)
        else:
            event = Envelope.new(event_type, subject, data, source=self._source, time=occurred_at)
        await self.emit(event)
        return event.id

    async def publish_many(
        self, event_type: str, items: Sequence[tuple[str, Mapping[str, Any]]], *, occurred_at: datetime | None = None
    ) -> list[str]:
        events = [
            Envelope.new(event_type, subject, data, source=self._source, time=occurred_at) for subject, data in items
        ]
        await self._outbox.put_many(self._session, events)
        return [event.id for event in events]


Handler = Callable[[Envelope, OutboxUnitOfWork], Awaitable[None]]
# Applies several events of one type at once, with the same effect as applying them one by one in order. Its unit of
# work has no single cause: what it publishes for one event, it publishes through ``uow.caused_by(event_id)``.
BatchHandler = Callable[[Sequence[Envelope], OutboxUnitOfWork], Awaitable[None]]
DeadLetterHook = Callable[[AsyncSession, Delivery, Failure], Awaitable[None]]


class Gate(Protocol):
    """What may hold a group's consumption back, such as the circuit breaker of the platform it pushes to."""

    async def wait_for_passage(self) -> None: ...


@dataclass(frozen=True)
class ConsumerGroup:
    """A Kafka consumer group: a name and the handler of each event type it applies. ``gate`` pauses the group
    between batches (an outbound group waits while its platform's circuit is open); ``on_dead_letter`` runs in the
    transaction that dead-letters one of its events (to record the final failure where operators look for it)."""

    name: str
    handlers: Mapping[str, Handler]
    gate: Gate | None = None
    on_dead_letter: DeadLetterHook | None = None
    # The group whose commit ends the inbound leg of an exchange (hub_provincial_exchange_seconds, read_to_applied).
    ends_inbound_exchange: bool = False
    # Set-based handlers for event types that arrive in bulk (a full resync, the yearly adjustment): a run of
    # consecutive events of the type, one per key, is applied in one savepoint; if that fails for any reason the run
    # is applied one by one, which isolates the event at fault (parked or dead-lettered as always).
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)

    def topics(self, catalog: TopicCatalog) -> tuple[str, ...]:
        return tuple(sorted({catalog.topic_for(event_type) for event_type in self.handlers}))


_PROCESSED = ProcessedEvent.__table__  # type: ignore[attr-defined]
# Built once (a Core statement, compiled once and cached): it runs for every event.
_RECORD_PROCESSED = pg_insert(_PROCESSED).on_conflict_do_nothing().returning(_PROCESSED.c.event_id)


class EventApplier:
    """Applies one event exactly once for a group: a savepoint holding the processed-id row and the handler's work."""

    def __init__(self, group: ConsumerGroup, outbox: Outbox, schemas: SchemaRegistry, *, source: str) -> None:
        self.group = group
        self._outbox = outbox
        self._schemas = schemas
        self._source = source  # the CloudEvents source of the events this group's handlers publish

    def parse(self, delivery: Delivery) -> Envelope:
        envelope = Envelope.from_kafka(delivery.key.encode(), delivery.value, delivery.headers)
        self._schemas.validate(envelope)
        return envelope

    async def apply(self, session: AsyncSession, envelope: Envelope, topic: str) -> Outcome:
        handler = self.group.handlers.get(envelope.type)
        if handler is None:
            return "ignored"
        started = time.perf_counter()
        try:
            async with session.begin_nested():
                recorded = await session.execute(
                    _RECORD_PROCESSED, {"consumer_group": self.group.name, "event_id": envelope.id}
                )
                if recorded.first() is None:
                    return "duplicate"
                await handler(envelope, OutboxUnitOfWork(session, self._outbox, cause=envelope, source=self._source))
        except DBAPIError as error:
            if error.connection_invalidated or not session.is_active:
                raise DatabaseUnavailable(str(error)) from error
            raise
        metrics.event_processing.labels(topic=topic, group=self.group.name).observe(time.perf_counter() - started)
        return "applied"

    async def apply_many(
        self, session: AsyncSession, envelopes: Sequence[Envelope], topic: str
    ) -> list[Outcome] | None:
        """The set-based path for a run of events of one type: their processed-id rows in one statement, the new
        ones applied by the group's batch handler, all in one savepoint. None if it failed (nothing of it is kept:
        the caller applies the run one by one)."""
        handler = self.group.batch_handlers[envelopes[0].type]
        started = time.perf_counter()
        try:
            async with session.begin_nested():
                recorded = set(
                    (
                        await session.execute(  # executemany form, batched by the driver
                            _RECORD_PROCESSED,
                            [{"consumer_group": self.group.name, "event_id": e.id} for e in envelopes],
                        )
                    ).scalars()
                )
                fresh = {e.id: e for e in envelopes if e.id in recorded}  # a repeated id within the run: once
                if fresh:
                    uow = OutboxUnitOfWork(session, self._outbox, causes=fresh, source=self._source)
                    await handler(list(fresh.values()), uow)
            # Batch handlers write with set-based SQL, behind the identity map's back: a retiree loaded earlier in
            # this transaction must be read afresh by the next handler, not flushed back from a stale copy.
            session.expire_all()
        except DBAPIError as error:
            if error.connection_invalidated or not session.is_active:
                raise DatabaseUnavailable(str(error)) from error
            log.info("group %s: %d %s events one by one (%s)", self.group.name, len(envelopes), topic, error)
            return None
        except Exception as error:  # any refusal: the one-by-one path finds the event at fault and says why
            log.info("group %s: %d %s events one by one (%s)", self.group.name, len(envelopes), topic, error)
            return None
        each = (time.perf_counter() - started) / len(envelopes)
        outcomes: list[Outcome] = []
        for envelope in envelopes:
            if fresh.pop(envelope.id, None) is not None:
                metrics.event_processing.labels(topic=topic, group=self.group.name).observe(each)
                outcomes.append("applied")
            else:
                outcomes.append("duplicate")
        return outcomes


class BatchProcessor:
    """Applies one batch of deliveries for a consumer group in one transaction (see the module docstring)."""

    def __init__(
        self,
        applier: EventApplier,
        sessions: SessionFactory,
        parking: ParkingLot,
        *,
        inline_attempts: int = 3,
        inline_backoff: Backoff | None = None,
    ) -> None:
        self._applier = applier
        self._group = applier.group.name
        self._sessions = sessions
        self._parking = parking
        self._inline_attempts = inline_attempts
        self._inline_backoff = inline_backoff or Backoff(0.2, 2.0)

    async def process(self, deliveries: Sequence[Delivery]) -> dict[Outcome, int]:
        outcomes: list[tuple[Delivery, Outcome, Envelope | None]] = []
        batched = self._applier.group.batch_handlers
        async with self._sessions() as session, session.begin():
            parked_keys = await self._parking.active_keys(session, {(d.topic, d.key) for d in deliveries})
            run: list[tuple[Delivery, Envelope]] = []  # consecutive events of one batched type, one per key
            run_keys: set[str] = set()

            async def apply_run() -> None:
                outcomes.extend(await self._process_run(session, run, parked_keys))
                run.clear()
                run_keys.clear()

            async def parked_behind(delivery: Delivery) -> bool:
                """Park the delivery behind its key if the key is parked — asked again after every run applied,
                since a run can park the key of an event that follows it (order per key holds either way)."""
                if (delivery.topic, delivery.key) not in parked_keys:
                    return False
                await self._parking.park_behind(session, delivery)
                outcomes.append((delivery, "parked", None))
                return True

            for delivery in deliveries:
                if await parked_behind(delivery):
                    continue
                try:
                    envelope = self._applier.parse(delivery)
                except Exception as error:
                    await apply_run()
                    if await parked_behind(delivery):
                        continue
                    await self._parking.park_failure(session, delivery, Failure(error, attempts=1), dead=True)
                    parked_keys.add((delivery.topic, delivery.key))
                    outcomes.append((delivery, "dead_lettered", None))
                    continue
                if envelope.type in batched:
                    if run and (run[0][1].type != envelope.type or delivery.key in run_keys):
                        await apply_run()
                        if await parked_behind(delivery):
                            continue
                    run.append((delivery, envelope))
                    run_keys.add(delivery.key)
                    continue
                await apply_run()
                if await parked_behind(delivery):
                    continue
                outcomes.append((delivery, *await self._process_one(session, delivery, envelope, parked_keys)))
            await apply_run()
        return self._record_metrics(outcomes)

    async def _process_run(
        self, session: AsyncSession, run: Sequence[tuple[Delivery, Envelope]], parked_keys: set[tuple[str, str]]
    ) -> list[tuple[Delivery, Outcome, Envelope | None]]:
        if not run:
            return []
        if len(run) > 1:
            applied = await self._applier.apply_many(session, [envelope for _, envelope in run], run[0][0].topic)
            if applied is not None:
                return [
                    (delivery, outcome, envelope) for (delivery, envelope), outcome in zip(run, applied, strict=True)
                ]
        return [
            (delivery, *await self._process_one(session, delivery, envelope, parked_keys)) for delivery, envelope in run
        ]

    async def _process_one(
        self, session: AsyncSession, delivery: Delivery, envelope: Envelope, parked_keys: set[tuple[str, str]]
    ) -> tuple[Outcome, Envelope | None]:
        outcome, applied = await self._apply_with_retries(session, delivery, envelope)
        if outcome in ("parked", "dead_lettered"):
            parked_keys.add((delivery.topic, delivery.key))
        return outcome, applied

    async def _apply_with_retries(
        self, session: AsyncSession, delivery: Delivery, envelope: Envelope
    ) -> tuple[Outcome, Envelope | None]:
        failure: Failure | None = None
        for attempt in range(1, self._inline_attempts + 1):
            try:
                return await self._applier.apply(session, envelope, delivery.topic), envelope
            except BatchAbandoned:
                raise
            except Exception as error:
                failure = failure or Failure(error, attempts=0)
                failure.error, failure.attempts = error, attempt
                metrics.events_failed.labels(
                    topic=delivery.topic, group=self._group, error_type=type(error).__name__
                ).inc()
                if not failure.transient or attempt == self._inline_attempts:
                    break
                metrics.retries.labels(topic=delivery.topic, group=self._group).inc()
                await asyncio.sleep(self._inline_backoff.delay(attempt))
        assert failure is not None
        dead = not failure.transient
        await self._parking.park_failure(session, delivery, failure, dead=dead)
        return ("dead_lettered" if dead else "parked"), envelope

    def _record_metrics(self, outcomes: Iterable[tuple[Delivery, Outcome, Envelope | None]]) -> dict[Outcome, int]:
        counts: dict[Outcome, int] = {}
        now = datetime.now(UTC)
        for delivery, outcome, envelope in outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
            metrics.events_consumed.labels(topic=delivery.topic, group=self._group, outcome=outcome).inc()
            if outcome == "dead_lettered":
                metrics.dead_letters.labels(topic=delivery.topic, group=self._group).inc()
            if outcome == "applied" and envelope is not None:
                metrics.end_to_end_latency.labels(flow=envelope.type).observe(
                    max(0.0, (now - envelope.time).total_seconds())
                )
                if envelope.read_at is not None and self._applier.group.ends_inbound_exchange:
                    metrics.provincial_exchange.labels(flow=envelope.type, leg="read_to_applied").observe(
                        max(0.0, (now - envelope.read_at).total_seconds())
                    )
        return counts
