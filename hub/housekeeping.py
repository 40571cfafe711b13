"""Forgetting what is no longer needed: sent outbox rows, old processed-event ids, settled parked events.

Run hourly by the relay leader, in chunks so no long lock is held. Processed-event ids are kept longer than any
topic's retention (checked in Settings), so a redelivery can never meet a forgotten id.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from hub.db import SessionFactory
from hub.settings import Settings

log = logging.getLogger(__name__)

CHUNK = 10_000

_PURGES = {
    "sent outbox rows": (
        "DELETE FROM hub_outbox WHERE id IN (SELECT id FROM hub_outbox "
        "WHERE sent_at < now() - make_interval(days => :days) LIMIT :chunk)"
    ),
    "processed-event ids": (
        "DELETE FROM hub_processed_event WHERE (consumer_group, event_id) IN (SELECT consumer_group, event_id "
        "FROM hub_processed_event WHERE processed_at < now() - make_interval(days => :days) LIMIT :chunk)"
    ),
    "settled parked events": (
        "DELETE FROM hub_parked_event WHERE id IN (SELECT id FROM hub_parked_event "
        "WHERE status IN ('resolved', 'discarded') AND resolved_at < now() - make_interval(days => :days) "
        "LIMIT :chunk)"
    ),
}


async def purge_history(sessions: SessionFactory, settings: Settings) -> dict[str, int]:
    days = {
        "sent outbox rows": settings.outbox_retention_days,
        "processed-event ids": settings.processed_event_retention_days,
        "settled parked events": settings.parked_event_retention_days,
    }
    purged: dict[str, int] = {}
    for what, statement in _PURGES.items():
        total = 0
        while True:
            async with sessions() as session, session.begin():
                result = await session.execute(text(statement), {"days": days[what], "chunk": CHUNK})
            count = int(getattr(result, "rowcount", 0) or 0)
            total += count
            if count < CHUNK:
                break
        purged[what] = total
    log.info("housekeeping purged %s", ", ".join(f"{n} {what}" for what, n in purged.items()))
    return purged
