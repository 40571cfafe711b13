"""Inbound from the platform's exchange database (2.3): ``exchange.person_change`` rows read above a watermark.

The platform's scheduled sync may commit a lower ``row_id`` after a higher one, so the reader cannot simply keep
"the highest id read". It keeps two marks: the rows above the watermark it has already published (by id), and the
watermark itself, which advances over a row only once that row has been seen for ``grace_seconds``. Each read asks
for the rows above the watermark it has not published yet, so a row committed late, within the grace window, is
still read; published rows are never published again (and if they were, their event ids — derived from the row
id — would make the registry apply them once). A row committed more than the grace window late is left to
reconciliation, which compares the registry with the platform person by person.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import BigInteger
from sqlmodel import col

from connectors.provincial.feeds import FeedOutput, Refusal, load_position, store_position
from connectors.provincial.mapping import RecordRefused, exchange_event_id, person_change_event, raw_json
from connectors.provincial.models import EXCHANGE_FEED, ExchangeRowSeen
from hub.db import SessionFactory
from hub.envelope import Envelope
from hub.errors import InvalidEvent

log = logging.getLogger(__name__)

_ROWS_ABOVE = text(
    "SELECT row_id, aac001, change_kind, old_value, new_value, effective_date, remarks, synced_at"
    " FROM exchange.person_change"
    " WHERE row_id > :watermark AND NOT (row_id = ANY(:published))"
    " ORDER BY row_id LIMIT :limit"
).bindparams(bindparam("published", type_=ARRAY(BigInteger)))


class ExchangeReader:
    def __init__(
        self,
        exchange: AsyncEngine,
        output: FeedOutput,
        sessions: SessionFactory,
        *,
        source: str,
        page_size: int = 500,
        grace_seconds: float = 60.0,
    ) -> None:
        self._exchange = exchange
        self._output = output
        self._sessions = sessions
        self._source = source
        self.page_size = page_size
        self._grace = timedelta(seconds=grace_seconds)

    async def read_page(self) -> int:
        """Publish the next rows; returns how many were read (0 when caught up)."""
        async with self._sessions() as session:
            position = await load_position(session, EXCHANGE_FEED)
            published = list((await session.execute(select(col(ExchangeRowSeen.row_id)))).scalars())
        watermark = int(position.position or 0)
        async with self._exchange.connect() as connection:
            rows = (
                (
                    await connection.execute(
                        _ROWS_ABOVE, {"watermark": watermark, "published": published, "limit": self.page_size}
                    )
                )
                .mappings()
                .all()
            )
        read_at = datetime.now(UTC)
        events: list[Envelope] = []
        refusals: list[Refusal] = []
        for row in rows:
            try:
                envelope = person_change_event(dict(row), source=self._source, read_at=read_at)
                self._output.valid(envelope)
            except (RecordRefused, InvalidEvent) as error:
                refusals.append(
                    Refusal(
                        feed=EXCHANGE_FEED,
                        record_id=exchange_event_id(int(row["row_id"])),
                        key=str(row.get("aac001") or row["row_id"]),
                        raw=raw_json(dict(row)),
                        error=error,
                        headers=(("exchange_row_id", str(row["row_id"]).encode()),),
                    )
                )
                continue
            events.append(envelope)
        if events:
            await self._output.publish(events, EXCHANGE_FEED)
        high_mark = max([position.high_mark or watermark, *(int(row["row_id"]) for row in rows)])
        async with self._sessions() as session, session.begin():
            if rows:
                await session.execute(
                    pg_insert(ExchangeRowSeen).on_conflict_do_nothing(),
                    [{"row_id": int(row["row_id"])} for row in rows],
                )
            await self._output.dead_letter(session, refusals)
            settled = (
                await session.execute(
                    select(func.max(col(ExchangeRowSeen.row_id))).where(
                        col(ExchangeRowSeen.first_seen_at) < func.now() - self._grace
                    )
                )
            ).scalar_one_or_none()
            new_watermark = max(watermark, int(settled or 0))
            if new_watermark > watermark:
                await session.execute(delete(ExchangeRowSeen).where(col(ExchangeRowSeen.row_id) <= new_watermark))
            await store_position(session, EXCHANGE_FEED, str(new_watermark), records=len(rows), high_mark=high_mark)
        return len(rows)
