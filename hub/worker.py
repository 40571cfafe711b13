"""The worker process: every consumer group subscribed with the hub's consumption policy, plus its parked-event worker.

FastStream reads the batches; this module adds what FastStream leaves out for Kafka: offsets committed only after
the database commits, and a failed batch re-read after a backoff instead of at once and forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage

from hub.bootstrap import Hub
from hub.breaker import CircuitOpen
from hub.consumer import ConsumerGroup
from hub.delivery import Delivery
from hub.process import start_broker
from hub.retry import Backoff, Retrier

log = logging.getLogger(__name__)


def subscribe(hub: Hub, group: ConsumerGroup, stop: asyncio.Event | None = None) -> None:
    """Subscribe one consumer group to the topics of its event types, in batches, with manual commits."""
    processor = hub.batch_processor(group)
    # A batch fails as a whole when the database or the broker goes away (a handler's own failure parks its event
    # instead): re-read it after a backoff. Anything else reaching here is logged with its traceback and retried
    # the same way: the batch's offsets are not committed, so nothing is skipped.
    retrier = Retrier(f"worker group {group.name}", stop or asyncio.Event(), Backoff(0.5, 30.0), permanent="retry")

    @hub.broker.subscriber(
        *group.topics(hub.catalog),
        group_id=group.name,
        batch=True,
        max_records=hub.settings.consumer_batch_max,
        batch_timeout_ms=hub.settings.consumer_batch_timeout_ms,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
    )
    async def on_batch(message: KafkaMessage) -> None:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        if group.gate is not None:  # e.g. the platform's circuit is open: hold the batch until a trial may pass
            await group.gate.wait_for_passage()
        try:
            await processor.process([Delivery.from_record(record) for record in records])
        except CircuitOpen as error:  # nothing committed; the next batch waits at the gate until a trial may pass
            log.info("group %s: %s; %d events wait in Kafka", group.name, error, len(records))
            await message.nack()
            return
        except Exception as error:  # nothing of the batch is committed: re-read it after a backoff
            await retrier.failed(error)
            await message.nack()
            return
        retrier.succeeded()
        try:
            await message.ack()
        except Exception as error:  # the database has it: a redelivery will be recognised as a duplicate
            log.warning("group %s: offset commit failed after the database commit: %s", group.name, error)


async def run_worker(hub: Hub, groups: Sequence[ConsumerGroup], stop: asyncio.Event) -> None:
    if not groups:
        log.warning("no consumer groups to run (app/handlers.py registers none yet); idling")
    for group in groups:
        subscribe(hub, group, stop)
    tasks = [asyncio.create_task(hub.parked_event_worker(group).run(stop)) for group in groups]
    # Joining the groups can take long on a fresh broker (it creates __consumer_offsets first), and Kafka may be
    # away at start-up (tried again with backoff): a SIGTERM meanwhile must stop the process, not wait for the join.
    starting = asyncio.create_task(start_broker("worker", hub.broker, stop))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            log.info("worker running groups: %s", ", ".join(g.name for g in groups) or "none")
            await stopping
        else:
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
    finally:
        stopping.cancel()
        await hub.broker.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await hub.engine.dispose()
