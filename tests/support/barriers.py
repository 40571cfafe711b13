"""A barrier for "nothing more will happen" assertions (no duplicate, nothing applied twice, nothing pushed again).

Sleeping a quiet period and then asserting that a count did not change passes falsely whenever the period was too
short. Instead, wait (with a deadline) until a consumer group has handled everything published so far: its committed
offsets reach the end offsets its topics have now, and nothing of it is parked for a retry. A group commits only
after the database commits (hub/worker.py), so an event handled twice would already show when the barrier opens.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from hub.bootstrap import Hub
from tests.support.harness import wait_until

# Parked events still on their way: retried or replayed soon, or waiting behind one that is (not behind a dead
# letter, which holds its key until an operator acts).
_PARKED_IN_FLIGHT = text(
    """
    SELECT count(*) FROM hub_parked_event p
    WHERE p.consumer_group = ANY(:groups)
      AND (
        p.status IN ('retrying', 'replay')
        OR (p.status = 'waiting' AND NOT EXISTS (
              SELECT 1 FROM hub_parked_event d
              WHERE d.consumer_group = p.consumer_group AND d.topic = p.topic AND d.event_key = p.event_key
                AND d.status = 'dead'))
      )
    """
)
_UNSENT = text("SELECT count(*) FROM hub_outbox WHERE sent_at IS NULL AND topic = ANY(:topics) AND id <= :mark")
_LAST_OUTBOX_ROW = text("SELECT coalesce(max(id), 0) FROM hub_outbox")


async def wait_until_handled(
    hub: Hub,
    *,
    group: str | None = None,
    topics: Sequence[str] = (),
    relayed: bool = False,
    seconds: float = 60.0,
) -> None:
    """Until every event published so far to the consumer groups' topics has been handled.

    The groups are ``hub``'s own, each on its topics; or ``group`` on ``topics`` (a group another process runs).
    ``relayed``: the events went through the outbox, so first wait until the relay has sent every row written so
    far for those topics (a row it published but did not mark sent would be published again).
    """
    subscriptions: dict[str, Sequence[str]]
    if group is not None:
        subscriptions = {group: tuple(topics)}
    else:
        subscriptions = {g.name: g.topics(hub.catalog) for g in hub.consumer_groups}
    every_topic = sorted({topic for names in subscriptions.values() for topic in names})
    if relayed:
        await _outbox_sent(hub, every_topic, seconds)
    await _committed_to_end(hub, subscriptions, every_topic, seconds)
    await _nothing_parked(hub, list(subscriptions), seconds)


async def _outbox_sent(hub: Hub, topics: list[str], seconds: float) -> None:
    async with hub.sessions() as session:
        mark = (await session.execute(_LAST_OUTBOX_ROW)).scalar_one()

    async def sent() -> bool:
        async with hub.sessions() as session:
            unsent: int = (await session.execute(_UNSENT, {"topics": topics, "mark": mark})).scalar_one()
        return unsent == 0

    await wait_until(sent, seconds, f"the relay to send the outbox's rows for {topics}")


async def _committed_to_end(
    hub: Hub, subscriptions: dict[str, Sequence[str]], topics: list[str], seconds: float
) -> None:
    servers = hub.settings.kafka_bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=servers, client_id="retiree-hub-test-barrier")
    reader = AIOKafkaConsumer(bootstrap_servers=servers, group_id=None, client_id="retiree-hub-test-barrier")
    await admin.start()
    await reader.start()
    try:
        await reader.topics()  # fetches the cluster's metadata, so partitions_for_topic knows every topic
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(reader.partitions_for_topic(topic) or ())
        ]
        ends: dict[TopicPartition, int] = await reader.end_offsets(partitions)
        behind: dict[str, dict[TopicPartition, tuple[int, int]]] = {}

        async def caught_up() -> bool:
            behind.clear()
            for group, names in subscriptions.items():
                wanted = [tp for tp in partitions if tp.topic in names and ends[tp] > 0]
                committed = await admin.list_consumer_group_offsets(group, partitions=wanted)
                for tp in wanted:
                    offset = committed[tp].offset if tp in committed else -1
                    if offset < ends[tp]:
                        behind.setdefault(group, {})[tp] = (offset, ends[tp])
            return not behind

        try:
            await wait_until(caught_up, seconds, "the consumer groups to commit the end of their topics")
        except AssertionError as error:
            raise AssertionError(f"{error}; (committed, end) still behind: {behind}") from None
    finally:
        await reader.stop()
        await admin.close()


async def _nothing_parked(hub: Hub, groups: list[str], seconds: float) -> None:
    async def settled() -> bool:
        async with hub.sessions() as session:
            in_flight: int = (await session.execute(_PARKED_IN_FLIGHT, {"groups": groups})).scalar_one()
        return in_flight == 0

    await wait_until(settled, seconds, f"the parked events of {groups} to be retried")
