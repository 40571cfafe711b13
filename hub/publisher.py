"""Publishing to Kafka: many sends in flight at once, in order, all acknowledged before returning."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from faststream.kafka import KafkaBroker

from hub import metrics
from hub.envelope import Envelope
from hub.schemas import SchemaRegistry
from hub.topics import TopicCatalog

OutgoingMessage = tuple[str, str, Mapping[str, str], bytes]  # topic, key, headers, value


class Publisher:
    """Sends through the broker's idempotent producer. Messages are handed to the producer in the given order, so
    each partition receives them in that order; the call returns only when Kafka has acknowledged every one."""

    def __init__(self, broker: KafkaBroker, schemas: SchemaRegistry, catalog: TopicCatalog) -> None:
        self._broker = broker
        self._schemas = schemas
        self._catalog = catalog

    async def publish_in_order(self, messages: Sequence[OutgoingMessage], *, source: str) -> None:
        pending: list[asyncio.Future[object]] = []
        try:
            for topic, key, headers, value in messages:
                # FastStream adds a correlation_id header of its own: make it the envelope's, not a random one.
                future = await self._broker.publish(
                    value,
                    topic,
                    key=key.encode(),
                    headers=dict(headers),
                    correlation_id=headers.get("ce_correlationid") or headers.get("ce_id"),
                    no_confirm=True,
                )
                pending.append(future)
            await asyncio.gather(*pending)
        finally:
            for future in pending:
                if not future.done():
                    future.cancel()
        counts: dict[str, int] = {}
        for topic, *_ in messages:
            counts[topic] = counts.get(topic, 0) + 1
        for topic, count in counts.items():
            metrics.events_published.labels(topic=topic, source=source).inc(count)

    async def publish_events(self, envelopes: Sequence[Envelope], *, source: str = "connector") -> None:
        """Validate and publish events straight to Kafka (connectors reading external feeds, which own their
        cursor and advance it only after this returns)."""
        for envelope in envelopes:
            self._schemas.validate(envelope)
        await self.publish_in_order(
            [(self._catalog.topic_for(e.type), e.key, e.headers(), e.body()) for e in envelopes],
            source=source,
        )
