"""Where the inbound feeds stand, and what they do with a record or a reply they cannot use.

Both readers follow one order, which is what makes a crash harmless: read, publish the events and wait for Kafka's
acknowledgement, then — in one database transaction — store the new position and dead-letter the refused records.
A crash before the commit re-reads the same records, which map to the same event ids, which the registry's
consumer applies once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from connectors.provincial.models import FeedPosition
from hub import metrics
from hub.delivery import Delivery, Failure
from hub.envelope import Envelope
from hub.models import ParkedEvent
from hub.parking import ParkingLot
from hub.publisher import Publisher
from hub.retry import Backoff
from hub.schemas import SchemaRegistry
from hub.topics import TopicCatalog

INBOUND_GROUP = "provincial-inbound"


@dataclass(frozen=True)
class Refusal:
    """A record (or reply) that could not become a valid event: kept whole, with the reason."""

    feed: str
    record_id: str  # the event id the record would have had, so a re-read never dead-letters it twice
    key: str
    raw: bytes
    error: Exception
    headers: tuple[tuple[str, bytes], ...] = ()


def dead_letter_parking(catalog: TopicCatalog) -> ParkingLot:
    # Nothing retries an inbound refusal by itself: the platform must correct the record (or an operator replays it
    # after a mapping fix, replay.py), so the parking lot only ever writes dead rows.
    return ParkingLot(
        INBOUND_GROUP,
        retry_backoff=Backoff(1.0, 1.0),
        max_attempts=1,
        dead_letter_topic=catalog.dead_letter_topic(INBOUND_GROUP),
    )


class FeedOutput:
    """Validates, publishes and dead-letters for the inbound readers."""

    def __init__(self, publisher: Publisher, schemas: SchemaRegistry, catalog: TopicCatalog) -> None:
        self._publisher = publisher
        self._schemas = schemas
        self._catalog = catalog
        self._parking = dead_letter_parking(catalog)

    @property
    def catalog(self) -> TopicCatalog:
        return self._catalog

    def valid(self, envelope: Envelope) -> None:
        """Raise InvalidEvent naming the field if the mapped event breaks its schema."""
        self._schemas.validate(envelope)

    async def publish(self, envelopes: Sequence[Envelope], feed: str) -> None:
        await self._publisher.publish_in_order(
            [(self._catalog.topic_for(e.type), e.key, e.headers(), e.body()) for e in envelopes],
            source=f"provincial/{feed}",
        )
        metrics.provincial_records_read.labels(feed=feed, outcome="published").inc(len(envelopes))

    async def dead_letter(self, session: AsyncSession, refusals: Sequence[Refusal]) -> None:
        if not refusals:
            return
        known = set(
            (
                await session.execute(
                    select(col(ParkedEvent.event_id)).where(
                        col(ParkedEvent.consumer_group) == INBOUND_GROUP,
                        col(ParkedEvent.event_id).in_([r.record_id for r in refusals]),
                    )
                )
            ).scalars()
        )
        for refusal in refusals:
            if refusal.record_id in known:
                continue
            known.add(refusal.record_id)
            delivery = Delivery(
                topic=f"provincial.{refusal.feed}",
                partition=0,
                offset=0,
                key=refusal.key,
                value=refusal.raw,
                headers=(("ce_id", refusal.record_id.encode()), *refusal.headers),
            )
            await self._parking.park_failure(session, delivery, Failure(refusal.error, attempts=1), dead=True)
            metrics.provincial_records_read.labels(feed=refusal.feed, outcome="dead_lettered").inc()
            metrics.dead_letters.labels(topic=delivery.topic, group=INBOUND_GROUP).inc()


async def load_position(session: AsyncSession, feed: str) -> FeedPosition:
    position = await session.get(FeedPosition, feed)
    return position or FeedPosition(feed=feed, position="", high_mark=None, records_read=0)


async def store_position(
    session: AsyncSession, feed: str, position: str, *, records: int, high_mark: int | None = None
) -> None:
    now = datetime.now(UTC)
    statement = pg_insert(FeedPosition).values(
        feed=feed, position=position, high_mark=high_mark, records_read=records, updated_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[col(FeedPosition.feed)],
            set_={
                "position": statement.excluded.position,
                "high_mark": statement.excluded.high_mark,
                "records_read": col(FeedPosition.records_read) + records,
                "updated_at": now,
            },
        )
    )
