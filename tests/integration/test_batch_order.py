"""Order per key across set-based runs (DESIGN: keys and order; hub/consumer.py ``BatchProcessor``).

A run of events of one set-based type holds one event per key, so an event that repeats a key of the run closes it.
If that run parks the key (its event failed), the event that closed it must wait behind the failed one, exactly as it
would had the group no set-based handler. Found by the differential tests of issue 12 (item 5): the event was applied
after its key's earlier event had failed.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import text

from hub.bootstrap import Hub, bootstrap
from hub.consumer import ConsumerGroup, OutboxUnitOfWork
from hub.delivery import Delivery
from hub.envelope import Envelope
from hub.kafka_admin import ensure_topics
from hub.settings import Settings
from tests.support import ledger
from tests.support.harness import unique

pytestmark = pytest.mark.integration


def _group(name: str, *, set_based: bool) -> ConsumerGroup:
    async def one(event: Envelope, uow: OutboxUnitOfWork) -> None:
        await ledger.record_entry(name, event, uow)

    async def many(events: Sequence[Envelope], uow: OutboxUnitOfWork) -> None:
        for event in events:  # any refusal fails the run, and the hub applies it one by one
            await ledger.record_entry(name, event, uow)

    return ConsumerGroup(name, {ledger.EVENT_TYPE: one}, batch_handlers={ledger.EVENT_TYPE: many} if set_based else {})


def _deliveries(topic: str, events: Sequence[Envelope]) -> list[Delivery]:
    """The records a worker would read from one partition of ``topic``."""
    return [
        Delivery(
            topic, 0, offset, event.subject, event.body(), tuple((k, v.encode()) for k, v in event.headers().items())
        )
        for offset, event in enumerate(events)
    ]


async def _outcome(hub: Hub, group: str) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    async with hub.sessions() as session:
        applied = await session.execute(
            text("SELECT account, sequence FROM it_ledger_entry WHERE consumer_group = :g ORDER BY id"), {"g": group}
        )
        parked = await session.execute(
            text("SELECT event_key, status FROM hub_parked_event WHERE consumer_group = :g ORDER BY id"), {"g": group}
        )
        return [(r[0], r[1]) for r in applied], [(r[0], r[1]) for r in parked]


@pytest.mark.parametrize("set_based", [False, True], ids=["one-by-one", "set-based"])
async def test_an_event_closing_a_run_waits_behind_its_keys_failure_in_that_run(
    settings: Settings, set_based: bool
) -> None:
    group_name, topic = unique("it-order"), unique("it.order")
    blocked, healthy = unique("blocked"), unique("healthy")
    group = _group(group_name, set_based=set_based)
    hub = bootstrap(
        settings,
        consumer_groups=[group],
        extra_topics=[ledger.ledger_topic(topic, 1)],
        extra_schema_dirs=[ledger.SCHEMAS],
    )
    # The group's dead-letter topic exists, as `hub topics create` makes it: the dead letter this test writes leaves
    # through the outbox, and a row for a missing topic would hold up the relay of every test sharing the database.
    wanted = (topic, hub.catalog.dead_letter_topic(group_name))
    await ensure_topics(settings.kafka_bootstrap_servers, [t for t in hub.catalog if t.name in wanted], 1)
    try:
        async with hub.sessions() as session, session.begin():
            await session.execute(text("INSERT INTO it_blocked_account VALUES (:a, '冻结账户')"), {"a": blocked})
        events = [ledger.entry(blocked, 1), ledger.entry(healthy, 1), ledger.entry(blocked, 2)]
        outcomes = await hub.batch_processor(group).process(_deliveries(topic, events))
        applied, parked = await _outcome(hub, group_name)
        # The blocked account's first entry is refused for good; its second waits behind it (a replay would apply
        # both in order), while the other account's entry flows — the same with and without the set-based path.
        assert applied == [(healthy, 1)]
        assert parked == [(blocked, "dead"), (blocked, "waiting")]
        assert outcomes == {"applied": 1, "dead_lettered": 1, "parked": 1}
    finally:
        async with hub.sessions() as session, session.begin():
            await session.execute(text("DELETE FROM it_blocked_account WHERE account = :a"), {"a": blocked})
        await hub.close()
