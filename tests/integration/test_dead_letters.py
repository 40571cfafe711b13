"""Retries, parking and dead letters (DESIGN: retries and dead letters; issue: a poison event for one retiree must
not stop other retirees' events; ``hub dlq replay`` applies it once the cause is fixed)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text

from hub.settings import Settings
from tests.support import ledger
from tests.support.harness import Background, LedgerRig, hub_cli, wait_until
from tests.support.ledger import entry

pytestmark = pytest.mark.integration


async def _parked(rig: LedgerRig, hub) -> list[tuple[int, str, str, int]]:  # type: ignore[no-untyped-def]
    async with hub.sessions() as session:
        rows = await session.execute(
            text("SELECT id, event_key, status, attempts FROM hub_parked_event WHERE consumer_group = :g ORDER BY id"),
            {"g": rig.group},
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


async def _read_dead_letters(settings: Settings, topic: str, expected: int) -> list[dict[str, str]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[dict[str, str]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while len(found) < expected and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    found.append(headers | {"_key": record.key.decode(), "_value": record.value.decode()})
    finally:
        await consumer.stop()
    return found


async def test_poison_event_is_dead_lettered_while_other_keys_flow_and_replay_applies_it(settings: Settings) -> None:
    rig = LedgerRig(settings, partitions=1)  # one partition: the poison shares it with every other key
    await rig.create_topics()
    hub, background = rig.hub("-test"), Background()
    async with hub.sessions() as session, session.begin():
        await session.execute(
            text("INSERT INTO it_blocked_account VALUES (:a, '冻结账户') ON CONFLICT DO NOTHING"), {"a": "poison"}
        )
    background.start_relay(rig.hub("-relay"))
    background.start_worker(rig.hub("-worker"))
    try:
        poison_first, poison_second = entry("poison", 1), entry("poison", 2)
        others_before = [entry(f"healthy-{n}", 1) for n in range(5)]
        others_after = [entry(f"healthy-{n}", 2) for n in range(5)]
        await rig.write_to_outbox(hub, [*others_before, poison_first, *others_after, poison_second])

        async def healthy_applied() -> bool:
            return len(await rig.ledger_rows(hub)) >= 10

        await wait_until(healthy_applied, 60, "the healthy keys behind the poison to flow")
        rows = await rig.ledger_rows(hub)
        assert {r[1] for r in rows} == {f"healthy-{n}" for n in range(5)}
        parked = await _parked(rig, hub)
        assert [(key, status) for _, key, status, _ in parked] == [("poison", "dead"), ("poison", "waiting")]
        dead_id = parked[0][0]

        letters = await _read_dead_letters(settings, rig.hub().catalog.dead_letter_topic(rig.group), expected=1)
        assert len(letters) == 1
        letter = letters[0]
        assert letter["_key"] == "poison"
        assert letter["ce_id"] == poison_first.id
        assert letter["dlq_id"] == str(dead_id)
        assert letter["dlq_consumer_group"] == rig.group
        assert letter["dlq_error_type"] == "AccountBlocked"
        assert letter["dlq_error_message"] == "account poison is blocked: 冻结账户"
        assert letter["dlq_original_topic"] == rig.topic
        assert letter["dlq_original_partition"] == "0"
        assert int(letter["dlq_original_offset"]) == 5  # after the five healthy events
        assert letter["dlq_attempts"] == "1"  # permanent: not retried
        datetime.fromisoformat(letter["dlq_first_failure_time"])
        assert '"account":"poison"' in letter["_value"]

        listing = (await hub_cli("dlq", "list", "--group", rig.group, env=rig.env())).stdout
        assert f"#{dead_id} [{rig.group}] key=poison" in listing
        assert "AccountBlocked: account poison is blocked" in listing
        assert "waiting behind: 1" in listing

        # The cause is fixed; the operator replays the dead letter by id.
        async with hub.sessions() as session, session.begin():
            await session.execute(text("DELETE FROM it_blocked_account WHERE account = 'poison'"))
        replay = await hub_cli("dlq", "replay", "--id", str(dead_id), "--wait", "30", env=rig.env())
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert f"#{dead_id}: resolved" in replay.stdout

        async def poison_applied() -> bool:
            return len(await rig.ledger_rows(hub)) >= 12

        await wait_until(poison_applied, 30, "the replayed event and the one waiting behind it")
        poison_rows = [r for r in await rig.ledger_rows(hub) if r[1] == "poison"]
        assert [r[0] for r in poison_rows] == [poison_first.id, poison_second.id]  # in their original order
        assert {status for _, _, status, _ in await _parked(rig, hub)} == {"resolved"}
    finally:
        await background.close()
        await hub.engine.dispose()


async def test_transient_failure_is_retried_with_backoff_then_applied_in_order(settings: Settings) -> None:
    rig = LedgerRig(settings, partitions=1)
    await rig.create_topics()
    hub, background = rig.hub("-test"), Background()
    await hub.broker.connect()
    ledger.FLAKY_ACCOUNTS["flaky"] = 4  # 3 in-place attempts fail, then 1 parked retry fails, then it works
    background.start_worker(rig.hub("-worker"))
    try:
        flaky_first, flaky_second, steady = entry("flaky", 1), entry("flaky", 2), entry("steady", 1)
        await hub.publisher.publish_events([flaky_first, steady, flaky_second])

        async def all_applied() -> bool:
            return len(await rig.ledger_rows(hub)) >= 3

        await wait_until(all_applied, 30, "the flaky account's events after their retries")
        rows = await rig.ledger_rows(hub)
        assert rows[0][1] == "steady"  # not held up by the flaky key
        assert [r[0] for r in rows if r[1] == "flaky"] == [flaky_first.id, flaky_second.id]
        parked = await _parked(rig, hub)
        assert [(key, status, attempts) for _, key, status, attempts in parked] == [
            ("flaky", "resolved", 4),
            ("flaky", "resolved", 0),
        ]
        assert ledger.FLAKY_ACCOUNTS["flaky"] == 0
    finally:
        await background.close()
        await hub.close()


async def test_retries_exhausted_go_to_the_dead_letter_topic(settings: Settings) -> None:
    rig = LedgerRig(settings, partitions=1)
    await rig.create_topics()
    hub, background = rig.hub("-test"), Background()
    await hub.broker.connect()
    ledger.FLAKY_ACCOUNTS["hopeless"] = 1000
    background.start_relay(rig.hub("-relay"))
    background.start_worker(rig.hub("-worker"))
    try:
        await hub.publisher.publish_events([entry("hopeless", 1)])
        letters = await _read_dead_letters(settings, rig.hub().catalog.dead_letter_topic(rig.group), expected=1)
        assert len(letters) == 1
        assert letters[0]["dlq_error_type"] == "TransientError"
        assert letters[0]["dlq_attempts"] == str(settings.parked_retry_attempts)
        assert [status for _, _, status, _ in await _parked(rig, hub)] == ["dead"]
    finally:
        ledger.FLAKY_ACCOUNTS.pop("hopeless", None)
        await background.close()
        await hub.close()
