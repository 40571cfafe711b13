"""Outbound 6.22: every entry of the status-change log pushed to the provincial platform as a BusinessRecord.

Runs as its own consumer group on ``domain.person-status``, so the registry never waits for the platform. Order per
retiree comes from the topic's key and the hub's parking of a failed key; every push carries the entry's id as its
idempotency key, so a push repeated after a crash or a lost answer is recognised by the platform. Failures:
- the platform unreachable (after the client's quick retries) counts against the circuit breaker; once it opens,
  the batch is abandoned uncommitted and the group waits at the breaker — an outage backs work up in Kafka;
- a malformed acknowledgement is retried as a transient failure, then parked, then dead-lettered;
- a soap:Client fault is the platform refusing the record: dead-lettered at once.
The acknowledgement (receipt number) or the final failure is written back to the log entry.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.provincial.client import MalformedReply, PlatformUnavailable, ProvincialClient, RequestRefused
from connectors.provincial.mapping import business_record
from domain.status_log import service as status_log
from hub import metrics
from hub.breaker import CircuitBreaker
from hub.consumer import ConsumerGroup, UnitOfWork
from hub.delivery import Delivery, Failure
from hub.envelope import Envelope

log = logging.getLogger(__name__)

PUSH_GROUP = "provincial-push"


class StatusFeedPusher:
    def __init__(self, client: ProvincialClient, breaker: CircuitBreaker) -> None:
        self.client = client
        self.breaker = breaker

    async def push(self, envelope: Envelope, uow: UnitOfWork) -> None:
        data = envelope.data
        record = business_record(data)
        kind = record["businessType"]
        if await status_log.is_acknowledged(uow.session, data["log_entry_id"]):
            metrics.provincial_pushes.labels(type=kind, outcome="already_acknowledged").inc()
            return
        self.breaker.check()
        try:
            ack = await self.client.push(record)
        except PlatformUnavailable:
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


def status_feed_group(pusher: StatusFeedPusher) -> ConsumerGroup:
    return ConsumerGroup(
        PUSH_GROUP,
        {"person_status.changed": pusher.push},
        gate=pusher.breaker,
        on_dead_letter=pusher.record_final_failure,
    )
