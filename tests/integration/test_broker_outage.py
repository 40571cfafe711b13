"""The broker stopped for 20 seconds and started again: producers and consumers recover by themselves and
nothing is lost or applied twice (DESIGN: a platform outage backs up work, it never loses it)."""

from __future__ import annotations

import asyncio

import pytest

from hub.settings import Settings
from tests.support.barriers import wait_until_handled
from tests.support.harness import Background, LedgerRig, services, wait_until
from tests.support.ledger import entry

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_hub_recovers_from_a_20_second_broker_outage(settings: Settings) -> None:
    rig = LedgerRig(settings)
    await rig.create_topics()
    writer, background = rig.hub("-writer"), Background()
    background.start_relay(rig.hub("-relay"))
    background.start_worker(rig.hub("-worker"))
    try:
        before = [entry(f"outage-{n % 20}", n) for n in range(200)]
        await rig.write_to_outbox(writer, before)

        async def first_wave() -> bool:
            return len(await rig.ledger_rows(writer)) >= len(before)

        await wait_until(first_wave, 60, "the events written before the outage")
        await asyncio.to_thread(services, "stop", "kafka")
        try:
            during = [entry(f"outage-{n % 20}", 200 + n) for n in range(300)]
            for chunk in range(0, len(during), 50):  # staff keep working while the broker is down
                await rig.write_to_outbox(writer, during[chunk : chunk + 50])
                await asyncio.sleep(2)
            await asyncio.sleep(max(0.0, 20 - 12))
        finally:
            await asyncio.to_thread(services, "start", "kafka")

        async def everything() -> bool:
            return len(await rig.ledger_rows(writer)) >= len(before) + len(during)

        await wait_until(everything, 180, "every event after the broker came back")
        await wait_until_handled(writer, relayed=True)  # anything applied twice would show up by now
        rows = await rig.ledger_rows(writer)
        assert len(rows) == 500, f"{len(rows) - 500} applied twice"
        assert sorted(r[0] for r in rows) == sorted(e.id for e in [*before, *during])
        by_account: dict[str, list[int]] = {}
        for _, account, sequence in rows:
            by_account.setdefault(account, []).append(sequence)
        assert all(seq == sorted(seq) for seq in by_account.values()), "order per key was broken"
    finally:
        await background.close()
        await writer.engine.dispose()
