"""Outbound 6.22: every entry of the status-change log pushed to the provincial platform as a BusinessRecord.

Runs as its own consumer group (``provincial-push`` in app/handlers.py) on ``domain.person-status``, so the registry
never waits for the platform. Order per retiree comes from the topic's key and the hub's parking of a failed key;
every push carries the entry's id as its idempotency key, so a push repeated after a crash or a lost answer is
recognised by the platform. Failures:
- the platform unreachable (after the client's quick retries) counts against the circuit breaker; once it opens,
  the batch is abandoned uncommitted and the group waits at the breaker — an outage backs work up in Kafka;
- a malformed acknowledgement is retried as a transient failure, then parked, then dead-lettered;
- a soap:Client fault is the platform refusing the record: dead-lettered at once.
The acknowledgement (receipt number) or the final failure is written back to the log entry.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.provincial.client import (
    Ack,
    MalformedReply,
    ProvincialClient,
    ProvincialPlatformUnavailable,
    RequestRefused,
)
from connectors.provincial.mapping import business_record
from domain.status_log import service as status_log
from hub import metrics
from hub.breaker import CircuitBreaker
from hub.consumer import OutboxUnitOfWork
from hub.delivery import Delivery, Failure
from hub.envelope import Envelope

log = logging.getLogger(__name__)


class StatusFeedPusher:
    def __init__(self, client: ProvincialClient, breaker: CircuitBreaker, *, concurrency: int = 8) -> None:
        self.client = client
        self.breaker = breaker
        self.concurrency = concurrency

    async def push(self, envelope: Envelope, uow: OutboxUnitOfWork) -> None:
        data = envelope.data
        record = business_record(data)
        kind = record["businessType"]
        if await status_log.is_acknowledged(uow.session, data["log_entry_id"]):
            metrics.provincial_pushes.labels(type=kind, outcome="already_acknowledged").inc()
            return
        self.breaker.check()
        try:
            ack = await self.client.push(record)
        except ProvincialPlatformUnavailable:
            self.breaker.record_failure()
            metrics.provincial_pushes.labels(type=kind, outcome="unavailable").inc()
            self.breaker.check()  # just opened: abandon the batch rather than park every retiree's event
            raise
        except MalformedReply:
            metrics.provincial_pushes.labels(type=kind, outcome="malformed_reply").inc()
            raise
        except RequestRefused:
            metrics.provincial_pushes.labels(type=kind, outcome="refused").inc()
            raise
        self.breaker.record_success()
        await self._acknowledged(uow, envelope, kind, ack)

    async def push_many(self, envelopes: Sequence[Envelope], uow: OutboxUnitOfWork) -> None:
        """A run of entries, each of a different retiree (the hub's runs hold one event per key, and the next entry
        of a retiree waits for the run to finish, so order per retiree is kept): up to ``concurrency`` pushes in
        flight at once, then every acknowledgement written. Any failure raises, and the hub pushes the run again one
        by one (:meth:`push`), with its parking, dead letters and breaker; the platform recognises by idempotency
        key what this attempt already delivered and answers with the same receipt."""
        self.breaker.check()
        done = await status_log.acknowledged_among(uow.session, [e.data["log_entry_id"] for e in envelopes])
        pending: list[tuple[Envelope, dict[str, Any]]] = []
        for envelope in envelopes:
            record = business_record(envelope.data)
            if envelope.data["log_entry_id"] in done:
                metrics.provincial_pushes.labels(type=record["businessType"], outcome="already_acknowledged").inc()
            else:
                pending.append((envelope, record))
        slots = asyncio.Semaphore(self.concurrency)

        async def one(record: dict[str, Any]) -> Ack:
            async with slots:
                return await self.client.push(record)

        answers = await asyncio.gather(*(one(record) for _, record in pending), return_exceptions=True)
        failures = [answer for answer in answers if isinstance(answer, BaseException)]
        if any(isinstance(failure, ProvincialPlatformUnavailable) for failure in failures):
            self.breaker.record_failure()
        if failures:
            raise failures[0]
        self.breaker.record_success()
        for (envelope, record), answer in zip(pending, answers, strict=True):
            assert isinstance(answer, Ack)
            await self._acknowledged(uow, envelope, record["businessType"], answer)

    async def _acknowledged(self, uow: OutboxUnitOfWork, envelope: Envelope, kind: str, ack: Ack) -> None:
        data = envelope.data
        await status_log.record_acknowledgement(uow.session, data["log_entry_id"], ack.receipt_no)
        metrics.provincial_pushes.labels(type=kind, outcome="duplicate" if ack.duplicate else "acknowledged").inc()
        now = datetime.now(UTC)
        if envelope.read_at is not None:
            leg, started = "read_to_acknowledged", envelope.read_at
        else:
            leg, started = "entered_to_acknowledged", datetime.fromisoformat(data["entered_at"])
        metrics.provincial_exchange.labels(flow=kind, leg=leg).observe(max(0.0, (now - started).total_seconds()))

    async def record_final_failure(self, session: AsyncSession, delivery: Delivery, failure: Failure) -> None:
        """The entry's push is dead-lettered: say so on the log entry (6.22), with the reason."""
        try:
            log_entry_id = json.loads(delivery.value or b"{}")["log_entry_id"]
        except (ValueError, KeyError, TypeError):
            return  # not a readable status-change event: the dead letter itself says why
        reason = f"{type(failure.error).__name__}: {failure.error} (attempts: {failure.attempts})"
        await status_log.record_push_failure(session, str(log_entry_id), reason)
        log.error("push of %s to the provincial platform failed for good: %s", log_entry_id, reason)
