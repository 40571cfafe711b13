"""Metrics (issue: consumer lag per group and partition in messages and seconds; events consumed; end-to-end
latency) measured against the real broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from hub.kafka_admin import ensure_topics
from hub.monitor import LagProbe
from hub.settings import Settings
from tests.support.harness import Background, LedgerRig, wait_until
from tests.support.ledger import entry

pytestmark = pytest.mark.integration


async def test_lag_probe_reports_messages_and_age_of_the_oldest_uncommitted(settings: Settings) -> None:
    rig = LedgerRig(settings, partitions=1)
    await rig.create_topics()
    hub = rig.hub("-publisher")
    await hub.broker.connect()
    try:
        await hub.publisher.publish_events([entry("lag", n) for n in range(10)])
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, group_id=rig.group, enable_auto_commit=False
        )
        partition = TopicPartition(rig.topic, 0)
        consumer.assign([partition])
        await consumer.start()
        try:
            await consumer.commit({partition: 3})
        finally:
            await consumer.stop()
        await asyncio.sleep(1.0)

        probe = LagProbe(settings.kafka_bootstrap_servers)
        await probe.start()
        try:
            lags = [lag for lag in await probe.sample() if lag.group == rig.group]
        finally:
            await probe.stop()
        assert len(lags) == 1
        assert (lags[0].topic, lags[0].partition, lags[0].messages) == (rig.topic, 0, 7)
        assert 0.9 <= lags[0].seconds < 60
    finally:
        await hub.close()


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_consumption_is_counted_and_end_to_end_latency_observed(settings: Settings) -> None:
    rig = LedgerRig(settings)
    await rig.create_topics()
    hub, background = rig.hub("-publisher"), Background()
    await hub.broker.connect()
    labels = {"topic": rig.topic, "group": rig.group, "outcome": "applied"}
    latency_before = _sample("hub_end_to_end_latency_seconds_count", {"flow": "ledger.entry_recorded"})
    background.start_worker(rig.hub("-worker"))
    try:
        await hub.publisher.publish_events([entry(f"m-{n}", n) for n in range(25)])

        async def counted() -> bool:
            return _sample("hub_events_consumed_total", labels) >= 25

        await wait_until(counted, 60, "25 applied events to be counted")
        assert _sample("hub_events_published_total", {"topic": rig.topic, "source": "connector"}) >= 25
        assert _sample("hub_end_to_end_latency_seconds_count", {"flow": "ledger.entry_recorded"}) - latency_before >= 25
        assert _sample("hub_event_processing_seconds_count", {"topic": rig.topic, "group": rig.group}) >= 25
    finally:
        await background.close()
        await hub.close()


async def test_topics_create_is_idempotent_and_grows_partitions(settings: Settings) -> None:
    rig = LedgerRig(settings, partitions=2)
    topic = rig.hub().catalog.topics[rig.topic]
    first = await ensure_topics(settings.kafka_bootstrap_servers, [topic], 1)
    again = await ensure_topics(settings.kafka_bootstrap_servers, [topic], 1)
    wider = LedgerRig(settings, rig.topic, partitions=4).hub().catalog.topics[rig.topic]
    grown = await ensure_topics(settings.kafka_bootstrap_servers, [wider], 1)
    assert [c.action for c in first] == ["created"]
    assert [c.action for c in again] == ["unchanged"]
    assert [c.action for c in grown] == ["partitions increased"]
