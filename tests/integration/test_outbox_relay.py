"""The outbox relay against the real broker: a topic the broker does not have holds back only its own rows
(DESIGN: the outbox is the only way domain events leave, so one bad topic must not silence the others)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from hub.settings import Settings
from tests.support.harness import LedgerRig, unique
from tests.support.ledger import entry

pytestmark = pytest.mark.integration


async def test_rows_for_a_missing_topic_wait_while_other_topics_flow(settings: Settings) -> None:
    rig = LedgerRig(settings)
    await rig.create_topics()
    hub = rig.hub("-relay")
    missing, missing_id = unique("it.never-created"), str(uuid.uuid4())
    events = [entry(f"acct-{n}", n) for n in range(5)]
    try:
        async with hub.sessions() as session, session.begin():
            # The missing topic's row comes first, so it is ahead of the good rows in id order.
            await hub.outbox.put_raw(
                session,
                topic=missing,
                key="k",
                headers={},
                payload=b"{}",
                event_id=missing_id,
                event_type="it.orphan",
                occurred_at=datetime.now(UTC),
            )
            for event in events:
                await hub.outbox.put(session, event)
        await hub.broker.connect()
        relay = hub.outbox_relay()
        await relay.drain()

        async with hub.sessions() as session:
            sent: dict[str, bool] = dict(
                (
                    await session.execute(
                        text("SELECT event_id, sent_at IS NOT NULL FROM hub_outbox WHERE event_id = ANY(:ids)"),
                        {"ids": [missing_id, *(e.id for e in events)]},
                    )
                ).all()
            )
        assert all(sent[e.id] for e in events), "rows behind the missing topic's row must still be published"
        assert sent[missing_id] is False, "a row whose topic does not exist must stay unsent, not be dropped"
        assert relay.held_topics() == [missing]

        # While held, the relay does not try the missing topic again (each try costs a metadata timeout).
        async with hub.sessions() as session, session.begin():
            await hub.outbox.put(session, later := entry("acct-late", 99))
        await relay.drain()
        async with hub.sessions() as session:
            late_sent = (
                await session.execute(
                    text("SELECT sent_at IS NOT NULL FROM hub_outbox WHERE event_id = :id"), {"id": later.id}
                )
            ).scalar_one()
        assert late_sent
    finally:
        async with hub.sessions() as session, session.begin():
            await session.execute(text("DELETE FROM hub_outbox WHERE event_id = :id"), {"id": missing_id})
        await hub.close()
