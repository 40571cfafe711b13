"""The topic catalog: every topic on the backbone, its partitions, retention, key and the event types it carries.

``hub topics create`` makes the cluster match this catalog; nothing else creates topics (auto-creation is off).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    partitions: int
    retention_ms: int
    key: str
    event_types: tuple[str, ...]
    description: str


# Twelve partitions on the person-keyed topics: room to run up to twelve consumers per group before repartitioning.
CATALOG: tuple[Topic, ...] = (
    Topic(
        "canonical.employers",
        3,
        30 * DAY_MS,
        "employer code",
        ("employer.synced",),
        "Employer base info from the provincial platform (2.1)",
    ),
    Topic(
        "canonical.retirees",
        12,
        30 * DAY_MS,
        "personal number",
        ("retiree.approved", "retiree.changed", "retiree.corrected"),
        "Newly approved retirees, person changes and base-info corrections from the province (2.2, 2.3, 1.5)",
    ),
    Topic(
        "canonical.payments",
        12,
        30 * DAY_MS,
        "personal number",
        ("payment_status.changed", "pension.adjusted"),
        "Payment-status changes and pension adjustments from the province (2.4, 2.5)",
    ),
    Topic(
        "canonical.certifications",
        12,
        30 * DAY_MS,
        "personal number",
        ("certification.recorded",),
        "Proof-of-life certifications from every source: province, face recognition, on-site, ministry (2.6, 2.7, 4.3)",
    ),
    Topic(
        "domain.person-status",
        12,
        90 * DAY_MS,
        "personal number",
        ("person_status.changed",),
        "The person status-change feed the registry sends to the provincial platform (6.22)",
    ),
    Topic(
        "domain.notifications",
        12,
        30 * DAY_MS,
        "personal number",
        ("certification.reminder_due", "registration.rejected"),
        "What the mobile channel turns into notifications to retirees: certification reminders (4.5), rejected "
        "registration applications (4.1); status changes come from domain.person-status",
    ),
    Topic(
        "domain.channel-pushes",
        12,
        7 * DAY_MS,
        "personal number",
        ("channel.notification",),
        "Notifications to push to the channel apps' webhooks, one per app (issue 20)",
    ),
)

DEAD_LETTER_PREFIX = "dlq."
DEAD_LETTER_PARTITIONS = 3
DEAD_LETTER_RETENTION_MS = 365 * DAY_MS


# Inbound feeds that read from a platform rather than from Kafka, and dead-letter the records they cannot map.
FEED_DEAD_LETTER_SOURCES = ("provincial-inbound",)


def dead_letter_topic(consumer_group: str, prefix: str = "") -> str:
    """Each consumer group has its own dead-letter topic, so one group's poison never mixes with another's."""
    return f"{prefix}{DEAD_LETTER_PREFIX}{consumer_group}"


class TopicCatalog:
    """The catalog plus the dead-letter topics of the consumer groups that run. ``prefix`` (the setting
    ``kafka_topic_prefix``) goes in front of the catalog's topics and the dead-letter topics; ``extra`` topics
    (a test's own, a plug-in's) keep the names they are given."""

    def __init__(
        self,
        topics: Iterable[Topic] = CATALOG,
        consumer_groups: Iterable[str] = (),
        *,
        prefix: str = "",
        extra: Iterable[Topic] = (),
    ) -> None:
        self.prefix = prefix
        self.topics = {f"{prefix}{topic.name}": replace(topic, name=f"{prefix}{topic.name}") for topic in topics}
        self.topics |= {topic.name: topic for topic in extra}
        for group in (*consumer_groups, *FEED_DEAD_LETTER_SOURCES):
            self.add_dead_letter_topic(group)
        self._topic_of_type = {
            event_type: topic.name for topic in self.topics.values() for event_type in topic.event_types
        }

    def add_dead_letter_topic(self, consumer_group: str) -> Topic:
        topic = Topic(
            self.dead_letter_topic(consumer_group),
            DEAD_LETTER_PARTITIONS,
            DEAD_LETTER_RETENTION_MS,
            "the original key",
            (),
            f"Dead letters of consumer group {consumer_group}",
        )
        self.topics[topic.name] = topic
        return topic

    def dead_letter_topic(self, consumer_group: str) -> str:
        return dead_letter_topic(consumer_group, self.prefix)

    def topic_for(self, event_type: str) -> str:
        try:
            return self._topic_of_type[event_type]
        except KeyError:
            raise KeyError(f"no topic in the catalog carries event type {event_type!r}") from None

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics.values())
