"""At-least-once delivery, effectively once (DESIGN: outbox, idempotent consumers; issue: hub core tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from hub.settings import Settings
from tests.support.barriers import wait_until_handled
from tests.support.harness import PROJECT_ROOT, Background, LedgerRig, wait_until
from tests.support.ledger import entry

pytestmark = pytest.mark.integration


async def test_event_written_through_the_outbox_is_applied_exactly_once(settings: Settings) -> None:
    rig = LedgerRig(settings)
    await rig.create_topics()
    writer, background = rig.hub("-writer"), Background()
    background.start_relay(rig.hub("-relay"))
    background.start_worker(rig.hub("-worker"))
    try:
        events = [entry(f"acct-{n % 7}", n) for n in range(60)]
        await rig.write_to_outbox(writer, events)

        async def all_applied() -> bool:
            return len(await rig.ledger_rows(writer)) >= len(events)

        await wait_until(all_applied, 60, "60 events to go outbox → relay → Kafka → consumer")
        await wait_until_handled(writer, relayed=True)  # anything applied twice would show up by now
        rows = await rig.ledger_rows(writer)
        assert sorted(r[0] for r in rows) == sorted(e.id for e in events)
        async with writer.sessions() as session:
            from sqlalchemy import text

            unsent = (
                await session.execute(
                    text("SELECT count(*) FROM hub_outbox WHERE event_id = ANY(:ids) AND sent_at IS NULL"),
                    {"ids": [e.id for e in events]},
                )
            ).scalar_one()
        assert unsent == 0
    finally:
        await background.close()
        await writer.engine.dispose()


async def test_the_same_event_delivered_twice_changes_nothing_the_second_time(settings: Settings) -> None:
    rig = LedgerRig(settings)
    await rig.create_topics()
    publisher_hub, background = rig.hub("-publisher"), Background()
    await publisher_hub.broker.connect()
    background.start_worker(rig.hub("-worker"))
    try:
        first = entry("dup-account", 1)
        await publisher_hub.publisher.publish_events([first, first])
        sentinel = entry("dup-account", 2)  # same key, so same partition: consumed after both copies

        async def sentinel_applied() -> bool:
            return any(r[0] == sentinel.id for r in await rig.ledger_rows(publisher_hub))

        await publisher_hub.publisher.publish_events([sentinel])
        await wait_until(sentinel_applied, 60, "the sentinel after the duplicates")
        # A redelivery long after the first one (e.g. a replayed partition) is recognised too.
        await publisher_hub.publisher.publish_events([first])
        late_sentinel = entry("dup-account", 3)
        await publisher_hub.publisher.publish_events([late_sentinel])

        async def late_applied() -> bool:
            return any(r[0] == late_sentinel.id for r in await rig.ledger_rows(publisher_hub))

        await wait_until(late_applied, 60, "the sentinel after the late duplicate")
        rows = await rig.ledger_rows(publisher_hub)
        assert [r[0] for r in rows] == [first.id, sentinel.id, late_sentinel.id]
    finally:
        await background.close()
        await publisher_hub.close()


def _spawn_worker(rig: LedgerRig) -> subprocess.Popen[bytes]:
    env = rig.env() | {"LEDGER_APPLY_DELAY": "0.003", "HUB_CONSUMER_BATCH_MAX": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.ledger_worker", rig.topic, rig.group],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
async def test_consumer_killed_mid_batch_applies_every_event_exactly_once(settings: Settings) -> None:
    rig = LedgerRig(settings)
    await rig.create_topics()
    hub = rig.hub("-publisher")
    await hub.broker.connect()
    total = 3000
    events = [entry(f"kill-{n % 50}", n // 50) for n in range(total)]
    await hub.publisher.publish_events(events)
    kills = 0
    try:
        for threshold in (400, 1400):
            worker = _spawn_worker(rig)

            async def past_threshold(at: int = threshold) -> bool:
                return len(await rig.ledger_rows(hub)) >= at

            await wait_until(past_threshold, 90, f"{threshold} events applied before the kill")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
            kills += 1
            applied = len(await rig.ledger_rows(hub))
            assert applied < total, "the worker finished before it could be killed mid-stream"
        worker = _spawn_worker(rig)

        async def all_applied() -> bool:
            return len(await rig.ledger_rows(hub)) >= total

        await wait_until(all_applied, 180, "every event after two SIGKILLs")
        await wait_until_handled(hub)  # anything applied twice would show up by now
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        rows = await rig.ledger_rows(hub)
        assert kills == 2
        assert len(rows) == total, f"{len(rows) - total} events applied twice"
        assert sorted(r[0] for r in rows) == sorted(e.id for e in events)
        by_account: dict[str, list[int]] = {}
        for _, account, sequence in rows:
            by_account.setdefault(account, []).append(sequence)
        assert all(seq == sorted(seq) for seq in by_account.values()), "order per key was broken"
    finally:
        await hub.close()
