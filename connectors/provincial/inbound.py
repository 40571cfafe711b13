"""Inbound from the provincial platform's SOAP change feed (2.1, 2.2, 2.4, 2.5, 2.6, 1.5): page by page from the
stored cursor, each record mapped to its canonical event and published keyed by personal number (employers by their
code); the cursor moves only after Kafka has acknowledged the page (see feeds.py for why a crash is harmless).

A page may repeat a record or shuffle its records (the platform's batch export does both): repeats are dropped by
record id, and the page is put back in the order of the changes' own times before publishing, so a retiree's
changes reach the registry in the order they happened. A record that cannot be mapped is dead-lettered with its raw
content and the reason, and the page goes on; a reply that is not the contract's is dead-lettered too (so operators
see it) and the same cursor is read again after a backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.provincial.client import MalformedReply, ProvincialClient
from connectors.provincial.feeds import FeedOutput, Refusal, load_position, store_position
from connectors.provincial.mapping import RecordRefused, change_event, raw_json, record_event_id
from connectors.provincial.models import SOAP_FEED
from hub import metrics
from hub.db import SessionFactory
from hub.envelope import Envelope
from hub.errors import InvalidEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageRead:
    records: int
    published: int
    refused: int
    has_more: bool


class ChangeFeedReader:
    def __init__(
        self,
        client: ProvincialClient,
        output: FeedOutput,
        sessions: SessionFactory,
        *,
        source: str,
        page_size: int = 500,
    ) -> None:
        self._client = client
        self._output = output
        self._sessions = sessions
        self._source = source
        self._page_size = page_size

    async def read_page(self) -> PageRead:
        async with self._sessions() as session:
            cursor = (await load_position(session, SOAP_FEED)).position
        try:
            page = await self._client.get_changes(cursor, self._page_size)
        except MalformedReply as error:
            await self._dead_letter_reply(cursor, error)
            raise
        read_at = datetime.now(UTC)
        events: list[tuple[datetime, Envelope]] = []
        refusals: list[Refusal] = []
        seen: set[str] = set()
        for record in page.records:
            record_id = str(record.get("recordId") or "")
            if record_id and record_id in seen:
                metrics.provincial_records_read.labels(feed=SOAP_FEED, outcome="repeated_in_page").inc()
                continue
            seen.add(record_id)
            try:
                envelope = change_event(record, source=self._source, read_at=read_at)
                self._output.valid(envelope)
            except (RecordRefused, InvalidEvent) as error:
                refusals.append(_refusal(record, error))
                continue
            events.append((envelope.time, envelope))
        events.sort(key=lambda pair: pair[0])  # stable: records of one instant keep the platform's order
        if events:
            await self._output.publish([envelope for _, envelope in events], SOAP_FEED)
        async with self._sessions() as session, session.begin():
            await self._output.dead_letter(session, refusals)
            await store_position(session, SOAP_FEED, page.next_cursor, records=len(page.records))
        for refusal in refusals:
            log.warning("provincial record %s dead-lettered: %s", refusal.key, refusal.error)
        return PageRead(len(page.records), len(events), len(refusals), page.has_more)

    async def _dead_letter_reply(self, cursor: str, error: MalformedReply) -> None:
        refusal = Refusal(
            feed=SOAP_FEED,
            record_id=f"reply:{cursor}:{datetime.now(UTC).isoformat()}",
            key="GetChanges",
            raw=error.body,
            error=error,
            headers=(("provincial_cursor", cursor.encode()),),
        )
        async with self._sessions() as session, session.begin():
            await self._output.dead_letter(session, [refusal])
        log.warning("malformed GetChanges reply at cursor %r dead-lettered; reading it again", cursor)


def _refusal(record: Mapping[str, Any], error: Exception) -> Refusal:
    record_id = str(record.get("recordId") or "")
    kind = str(record.get("kind") or "")
    payload = next((value for value in record.values() if isinstance(value, Mapping)), {})
    key = str(payload.get("aac001") or payload.get("aab001") or record_id or "unknown")
    reason = (
        error
        if isinstance(error, InvalidEvent)
        else RecordRefused(
            getattr(error, "field", "record"), f"{kind} 记录 {record_id}：{getattr(error, 'message', error)}"
        )
    )
    return Refusal(
        feed=SOAP_FEED,
        record_id=record_event_id(record_id) if record_id else f"no-id:{raw_json(record).hex()[:48]}",
        key=key,
        raw=raw_json(record),
        error=reason,
        headers=(("provincial_record_id", record_id.encode()), ("provincial_kind", kind.encode())),
    )
