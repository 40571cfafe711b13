"""Replaying the inbound feeds' dead letters (`hub dlq replay --group provincial-inbound`), run by `hub provincial
poll` next to the readers.

A refused record is kept whole, as the JSON of what was read. Asked to replay it, the connector maps it again with
the mapping it runs now and validates it: if the cause was fixed (a code the mapping did not know, a schema that was
too strict) the event is published — with the id it would have had, so the registry applies it once whatever else
published it — and the dead letter is resolved; if the record is still refused it stays dead with the new reason,
for the platform to correct the record or an operator to re-pull the person (`hub provincial reconcile --repull`)
and discard it.

A malformed reply was never a record: the feed reads the same cursor again by itself. Its replay resolves it once the
feed has moved past that cursor, and leaves it dead while the feed is still stuck there.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from connectors.provincial.feeds import INBOUND_GROUP, FeedOutput, dead_letter_parking, load_position
from connectors.provincial.mapping import RecordRefused, change_event, person_change_event
from connectors.provincial.models import EXCHANGE_FEED, SOAP_FEED
from hub.db import SessionFactory
from hub.delivery import Delivery, Failure
from hub.envelope import Envelope
from hub.errors import InvalidEvent
from hub.models import ParkedEvent

log = logging.getLogger(__name__)

REPLY_KEY = "GetChanges"  # the key a malformed GetChanges reply is dead-lettered under
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}.*")


class ReplyStillUnread(Exception):
    """The feed has not got past the cursor whose reply was malformed."""


def restore(raw: bytes) -> dict[str, Any]:
    """A dead-lettered record as the readers had it: the dates and times its JSON wrote as text become dates and
    times again (amounts stay text, which the mapping reads as decimals)."""

    def typed(value: Any) -> Any:
        if isinstance(value, str):
            if _ISO_DATE.fullmatch(value):
                return date.fromisoformat(value)
            if _ISO_DATETIME.fullmatch(value):
                try:
                    return datetime.fromisoformat(value)
                except ValueError:
                    return value
        return value

    def hook(pairs: Mapping[str, Any]) -> dict[str, Any]:
        return {name: typed(value) for name, value in pairs.items()}

    restored: dict[str, Any] = json.loads(raw, object_hook=hook)
    return restored


class InboundReplayer:
    def __init__(self, output: FeedOutput, sessions: SessionFactory, *, source: str, batch: int = 100) -> None:
        self._output = output
        self._sessions = sessions
        self._source = source
        self._batch = batch
        self._parking = dead_letter_parking(output.catalog)

    async def replay_requested(self) -> int:
        """Handle up to one batch of requested replays; returns how many were handled."""
        async with self._sessions() as session, session.begin():
            rows = list(
                (
                    await session.execute(
                        select(ParkedEvent)
                        .where(col(ParkedEvent.consumer_group) == INBOUND_GROUP, col(ParkedEvent.status) == "replay")
                        .order_by(col(ParkedEvent.id))
                        .limit(self._batch)
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            if not rows:
                return 0
            soap_position = (await load_position(session, SOAP_FEED)).position
            read_at = datetime.now(UTC)
            published: dict[str, list[Envelope]] = {SOAP_FEED: [], EXCHANGE_FEED: []}
            resolved: list[int] = []
            for row in rows:
                assert row.id is not None
                try:
                    if row.event_key == REPLY_KEY:
                        self._check_reply(row, soap_position)
                    else:
                        feed, envelope = self._remap(row, read_at)
                        published[feed].append(envelope)
                except (RecordRefused, InvalidEvent, ReplyStillUnread, ValueError) as error:
                    await self._refused_again(session, row, error)
                    continue
                resolved.append(row.id)
            for feed, envelopes in published.items():
                if envelopes:  # before the commit: a crash here replays again, to the same event ids
                    await self._output.publish(envelopes, feed)
            if resolved:
                await session.execute(
                    update(ParkedEvent)
                    .where(col(ParkedEvent.id).in_(resolved))
                    .values(status="resolved", resolved_at=datetime.now(UTC))
                )
        refused = len(rows) - len(resolved)
        log.info("inbound dead letters replayed: %d resolved, %d still refused", len(resolved), refused)
        return len(rows)

    def _remap(self, row: ParkedEvent, read_at: datetime) -> tuple[str, Envelope]:
        record = restore(row.value or b"{}")
        if row.topic == f"provincial.{EXCHANGE_FEED}":
            envelope = person_change_event(record, source=self._source, read_at=read_at)
            feed = EXCHANGE_FEED
        else:
            envelope = change_event(record, source=self._source, read_at=read_at)
            feed = SOAP_FEED
        self._output.valid(envelope)
        return feed, envelope

    @staticmethod
    def _check_reply(row: ParkedEvent, position: str) -> None:
        cursor = next((value for name, value in row.headers if name == "provincial_cursor"), "")
        if position == cursor:
            raise ReplyStillUnread(f"变更接口仍停在游标 {cursor!r}：省平台的应答仍不可解析，请先排查省平台")

    async def _refused_again(self, session: AsyncSession, row: ParkedEvent, error: Exception) -> None:
        assert row.id is not None
        delivery = Delivery(
            topic=row.topic,
            partition=row.partition,
            offset=row.offset,
            key=row.event_key,
            value=row.value or b"",
            headers=tuple((name, value.encode()) for name, value in row.headers),
        )
        first = row.first_failed_at or datetime.now(UTC)
        await self._parking.record_failure(session, row.id, delivery, Failure(error, row.attempts + 1, first))
        log.warning("inbound dead letter #%d refused again: %s", row.id, error)
