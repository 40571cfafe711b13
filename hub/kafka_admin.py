"""Making the cluster match the topic catalog (``hub topics create``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from hub.topics import Topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicChange:
    topic: str
    action: str  # created | partitions increased | retention updated | unchanged


async def ensure_topics(bootstrap_servers: str, topics: Iterable[Topic], replication_factor: int) -> list[TopicChange]:
    """Create missing topics, grow partition counts and set retention; never shrink or delete anything."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="retiree-hub-admin")
    await admin.start()
    try:
        wanted = {topic.name: topic for topic in topics}
        existing = set(await admin.list_topics())
        changes: list[TopicChange] = []
        missing = [t for name, t in wanted.items() if name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        t.name,
                        t.partitions,
                        replication_factor,
                        topic_configs={"retention.ms": str(t.retention_ms), "cleanup.policy": "delete"},
                    )
                    for t in missing
                ]
            )
            changes += [TopicChange(t.name, "created") for t in missing]
        present = [t for name, t in wanted.items() if name in existing]
        if present:
            described = await admin.describe_topics([t.name for t in present])
            partitions = {d["topic"]: len(d["partitions"]) for d in described}
            grow = {t.name: NewPartitions(t.partitions) for t in present if partitions.get(t.name, 0) < t.partitions}
            if grow:
                await admin.create_partitions(grow)
            await admin.alter_configs(
                [
                    ConfigResource(ConfigResourceType.TOPIC, t.name, {"retention.ms": str(t.retention_ms)})
                    for t in present
                ]
            )
            changes += [TopicChange(t.name, "partitions increased" if t.name in grow else "unchanged") for t in present]
        return changes
    finally:
        await admin.close()
