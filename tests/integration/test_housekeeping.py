"""Housekeeping forgets only what is past its retention (sent outbox rows, processed ids, settled parked events)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from hub.db import create_engine, create_session_factory
from hub.housekeeping import purge_history
from hub.settings import Settings

pytestmark = pytest.mark.integration


async def test_purge_keeps_recent_and_unsent_rows(settings: Settings) -> None:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    group, ids = f"hk-{uuid.uuid4().hex[:8]}", [str(uuid.uuid4()) for _ in range(4)]
    try:
        async with sessions() as session, session.begin():
            for event_id, sent_days_ago in zip(ids, (None, 1, 8, 30), strict=True):
                sent = "NULL" if sent_days_ago is None else f"now() - interval '{sent_days_ago} days'"
                await session.execute(
                    text(
                        "INSERT INTO hub_outbox (event_id, event_type, topic, key, headers, payload, occurred_at, "
                        f"sent_at) VALUES (:id, 't', 'x', 'k', '{{}}', '', now(), {sent})"
                    ),
                    {"id": event_id},
                )
            for event_id, days in zip(ids, (1, 99, 101, 200), strict=True):
                await session.execute(
                    text(
                        "INSERT INTO hub_processed_event (consumer_group, event_id, processed_at) "
                        f"VALUES (:g, :id, now() - interval '{days} days')"
                    ),
                    {"g": group, "id": event_id},
                )
        await purge_history(sessions, settings)
        async with sessions() as session:
            outbox_left = (
                await session.execute(text("SELECT event_id FROM hub_outbox WHERE event_id = ANY(:ids)"), {"ids": ids})
            ).scalars()
            processed_left = (
                await session.execute(
                    text("SELECT event_id FROM hub_processed_event WHERE consumer_group = :g"), {"g": group}
                )
            ).scalars()
            assert set(outbox_left) == set(ids[:2])  # unsent, and sent a day ago
            assert set(processed_left) == set(ids[:2])  # within the 100-day retention
    finally:
        # The unsent row names no real topic: left behind, it would hold up every relay that runs after this test.
        async with sessions() as session, session.begin():
            await session.execute(text("DELETE FROM hub_outbox WHERE event_id = ANY(:ids)"), {"ids": ids})
        await engine.dispose()


def test_processed_ids_must_outlive_every_topic() -> None:
    with pytest.raises(ValueError, match="must exceed the longest topic retention"):
        Settings(processed_event_retention_days=20)
