"""bootstrap(): builds what a hub process needs once, at start-up, so tests can hand it fakes instead."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.broker import create_broker
from hub.consumer import BatchProcessor, ConsumerGroup, EventApplier, OutboxUnitOfWork
from hub.db import SessionFactory, create_engine, create_session_factory
from hub.housekeeping import purge_history
from hub.outbox import Outbox, OutboxRelay
from hub.parking import ParkingLot
from hub.publisher import Publisher
from hub.redelivery import ParkedEventWorker
from hub.retry import Backoff
from hub.schemas import SchemaRegistry
from hub.settings import Settings
from hub.topics import CATALOG, Topic, TopicCatalog


@dataclass
class Hub:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    broker: KafkaBroker
    schemas: SchemaRegistry
    catalog: TopicCatalog
    outbox: Outbox
    publisher: Publisher
    consumer_groups: Sequence[ConsumerGroup] = field(default_factory=tuple)

    def group(self, name: str) -> ConsumerGroup:
        for group in self.consumer_groups:
            if group.name == name:
                return group
        known = ", ".join(g.name for g in self.consumer_groups) or "none"
        raise KeyError(f"no consumer group {name!r} (known: {known})")

    def parking_lot(self, group: ConsumerGroup) -> ParkingLot:
        return ParkingLot(
            group.name,
            retry_backoff=Backoff(self.settings.parked_retry_initial_seconds, self.settings.parked_retry_max_seconds),
            max_attempts=self.settings.parked_retry_attempts,
            on_dead_letter=group.on_dead_letter,
            dead_letter_topic=self.catalog.dead_letter_topic(group.name),
        )

    def applier(self, group: ConsumerGroup) -> EventApplier:
        return EventApplier(group, self.outbox, self.schemas, source=f"{self.settings.event_source}/{group.name}")

    def unit_of_work(self, session: AsyncSession, component: str) -> OutboxUnitOfWork:
        """For commands that do not come from an event (staff, channel apps): publish through the outbox."""
        return OutboxUnitOfWork(session, self.outbox, source=f"{self.settings.event_source}/{component}")

    def batch_processor(self, group: ConsumerGroup) -> BatchProcessor:
        return BatchProcessor(
            self.applier(group),
            self.sessions,
            self.parking_lot(group),
            inline_attempts=self.settings.inline_retry_attempts,
            inline_backoff=Backoff(self.settings.inline_retry_initial_seconds, self.settings.inline_retry_max_seconds),
        )

    def parked_event_worker(self, group: ConsumerGroup) -> ParkedEventWorker:
        return ParkedEventWorker(
            self.applier(group),
            self.sessions,
            self.parking_lot(group),
            self.settings.psycopg_dsn,
            poll_seconds=self.settings.parked_poll_seconds,
        )

    def outbox_relay(self) -> OutboxRelay:
        return OutboxRelay(
            self.sessions,
            self.publisher,
            self.settings.psycopg_dsn,
            batch_size=self.settings.outbox_batch_size,
            poll_seconds=self.settings.outbox_poll_seconds,
            housekeeping=lambda: purge_history(self.sessions, self.settings),
        )

    async def close(self) -> None:
        await self.broker.stop()
        await self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    consumer_groups: Sequence[ConsumerGroup],
    broker: KafkaBroker | None = None,
    engine: AsyncEngine | None = None,
    extra_topics: Iterable[Topic] = (),
    extra_schema_dirs: Iterable[Path] = (),
    client_suffix: str = "",
) -> Hub:
    """Wire one hub process from settings and the consumer groups it runs (the application's handler table, or a
    test's own groups); tests pass their own parts too. A process that consumes nothing passes ``()``."""
    settings = settings or Settings()
    engine = engine or create_engine(settings)
    broker = broker or create_broker(settings, client_suffix)
    schemas = SchemaRegistry([settings.schemas_dir, *extra_schema_dirs])
    catalog = TopicCatalog(
        CATALOG,
        consumer_groups=[g.name for g in consumer_groups],
        prefix=settings.kafka_topic_prefix,
        extra=extra_topics,
    )
    return Hub(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        broker=broker,
        schemas=schemas,
        catalog=catalog,
        outbox=Outbox(schemas, catalog),
        publisher=Publisher(broker, schemas, catalog),
        consumer_groups=tuple(consumer_groups),
    )
