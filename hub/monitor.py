"""The monitor process: consumer lag per group and partition (messages and seconds), outbox backlog and parked
events, refreshed every few seconds — public lag exporters poll every 30 s, too coarse for a 5-second target."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from hub import metrics
from hub.db import SessionFactory
from hub.retry import is_transient, sleep_or_stop

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    messages: int
    seconds: float


class LagProbe:
    """Reads committed offsets, end offsets and the timestamp of the oldest uncommitted message."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="retiree-hub-monitor")
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            client_id="retiree-hub-monitor",
            max_partition_fetch_bytes=64 * 1024,
        )

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def sample(self) -> list[PartitionLag]:
        groups = [group_id for group_id, *_ in await self._admin.list_consumer_groups()]
        committed: dict[tuple[str, TopicPartition], int] = {}
        for group in groups:
            offsets = await self._admin.list_consumer_group_offsets(group)
            for tp, meta in offsets.items():
                if meta.offset >= 0:
                    committed[(group, tp)] = meta.offset
        if not committed:
            return []
        ends = await self._consumer.end_offsets(list({tp for _, tp in committed}))
        lagging = {(group, tp): offset for (group, tp), offset in committed.items() if ends.get(tp, 0) > offset}
        oldest = await self._oldest_timestamps(lagging)
        now_ms = time.time() * 1000
        return [
            PartitionLag(
                group,
                tp.topic,
                tp.partition,
                max(0, ends.get(tp, 0) - offset),
                max(0.0, (now_ms - oldest[(group, tp)]) / 1000) if (group, tp) in oldest else 0.0,
            )
            for (group, tp), offset in committed.items()
        ]

    async def _oldest_timestamps(
        self, lagging: dict[tuple[str, TopicPartition], int]
    ) -> dict[tuple[str, TopicPartition], int]:
        found: dict[tuple[str, TopicPartition], int] = {}
        for (group, tp), offset in lagging.items():
            self._consumer.assign([tp])
            self._consumer.seek(tp, offset)
            batch = await self._consumer.getmany(tp, timeout_ms=1000, max_records=1)
            for record in batch.get(tp, []):
                found[(group, tp)] = record.timestamp
        return found


async def sample_database(sessions: SessionFactory) -> None:
    async with sessions() as session:
        backlog = (
            await session.execute(
                text(
                    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                    "FROM hub_outbox WHERE sent_at IS NULL"
                )
            )
        ).one()
        metrics.outbox_backlog.set(backlog[0])
        metrics.outbox_oldest_age.set(float(backlog[1]))
        rows = await session.execute(
            text(
                "SELECT consumer_group, status, count(*) FROM hub_parked_event "
                "WHERE status IN ('waiting', 'retrying', 'dead', 'replay') GROUP BY 1, 2"
            )
        )
        seen = {(group, status): count for group, status, count in rows}
    for group, status in _known_parked_labels | set(seen):
        metrics.parked_events.labels(group=group, status=status).set(seen.get((group, status), 0))
    _known_parked_labels.update(seen)


_known_parked_labels: set[tuple[str, str]] = set()


def _sampling_failed(what: str, error: Exception) -> None:
    """An outage (hub/retry.py ``is_transient``) is a warning, the next sample tries again; anything else is a bug,
    logged with its traceback (the monitor still carries on: the last values stay exported)."""
    transient = is_transient(error)
    log.log(
        logging.WARNING if transient else logging.ERROR,
        "%s sampling failed: %s: %s",
        what,
        type(error).__name__,
        error,
        exc_info=None if transient else error,
    )


async def run_monitor(sessions: SessionFactory, bootstrap_servers: str, interval: float, stop: asyncio.Event) -> None:
    probe: LagProbe | None = None
    while not stop.is_set():
        started = time.monotonic()
        try:
            if probe is None:
                probe = LagProbe(bootstrap_servers)
                await probe.start()
            for lag in await probe.sample():
                labels = {"group": lag.group, "topic": lag.topic, "partition": str(lag.partition)}
                metrics.consumer_lag_messages.labels(**labels).set(lag.messages)
                metrics.consumer_lag_seconds.labels(**labels).set(lag.seconds)
        except Exception as error:  # the broker may be down; keep the last values and try again
            _sampling_failed("lag", error)
            if probe is not None:
                await asyncio.gather(probe.stop(), return_exceptions=True)
                probe = None
        try:
            await sample_database(sessions)
        except Exception as error:
            _sampling_failed("database", error)
        await sleep_or_stop(stop, max(0.0, interval - (time.monotonic() - started)))
    if probe is not None:
        await probe.stop()
