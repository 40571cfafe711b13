"""Issue 4: the provincial connector against the simulator, real Kafka and PostgreSQL.

Inbound (2.1-2.6, 1.5): both readers into the registry, a crash between publishing and storing the cursor, invalid
records and malformed replies dead-lettered while later records flow, 50 changes/s within the 5-second target.
Outbound (6.22): every business type pushed and acknowledged on the log; the platform down for 60 seconds, then
back, with every push delivered once and in order per retiree; a malformed acknowledgement dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY as METRICS
from sqlalchemy import text

from app.handlers import REGISTRY
from connectors.provincial import feeds, mapping
from connectors.provincial.client import MalformedReply
from connectors.provincial.feeds import FeedOutput
from connectors.provincial.service import InboundReaders
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Status, Suspend
from domain.shared.actor import system_actor
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub, bootstrap
from hub.breaker import CircuitBreaker
from hub.consumer import ConsumerGroup
from hub.dlq import DeadLetterFilter, request_replay
from hub.envelope import Envelope
from hub.settings import Settings
from tests import factories
from tests.integration.conftest import provincial_settings, running_provincial_push, start_worker
from tests.support.barriers import wait_until_handled
from tests.support.harness import Background, wait_until

pytestmark = pytest.mark.integration

KINDS = ["EMPLOYER", "PAYMENT_STATUS", "ADJUSTMENT", "CERTIFICATION", "CORRECTION"]


@pytest.fixture
def connector_settings(settings: Settings, simulator_url: str) -> Settings:
    return provincial_settings(
        settings,
        simulator_url,
        provincial_exchange_grace_seconds=2.0,
        provincial_breaker_reset_seconds=2.0,
        parked_retry_initial_seconds=0.3,
        parked_retry_max_seconds=1.0,
        parked_retry_attempts=15,
        inline_retry_initial_seconds=0.05,
        inline_retry_max_seconds=0.2,
        parked_poll_seconds=0.3,
    )


@pytest.fixture
async def platform(simulator_url: str, connector_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator emptied (numbering people from a random start, so no earlier run's ID numbers recur) and the
    hub's feed positions forgotten with it."""
    async with httpx.AsyncClient(base_url=simulator_url, timeout=60) as admin:
        first = random.randint(100_000, 19_000_000)
        (await admin.post("/admin/reset", params={"first_number": first})).raise_for_status()
        hub = bootstrap(connector_settings, consumer_groups=())
        async with hub.sessions() as session, session.begin():
            await session.execute(text("DELETE FROM provincial_feed_position"))
            await session.execute(text("DELETE FROM provincial_exchange_row_seen"))
        await hub.engine.dispose()
        yield admin
        await admin.delete("/admin/faults")


@pytest.fixture
async def readers(connector_settings: Settings, platform: httpx.AsyncClient) -> AsyncIterator[InboundReaders]:
    hub = bootstrap(connector_settings, consumer_groups=(), client_suffix="-provincial-it")
    await hub.broker.connect()
    built = InboundReaders.build(connector_settings, hub.sessions, FeedOutput(hub.publisher, hub.schemas, hub.catalog))
    yield built
    await built.close()
    await hub.close()


@pytest.fixture
async def registry(connector_settings: Settings) -> AsyncIterator[Hub]:
    """The registry's handlers under a fresh group that starts at the end of its topics."""
    group = ConsumerGroup(
        f"it-prov-registry-{uuid.uuid4().hex[:8]}",
        REGISTRY.handlers,
        ends_inbound_exchange=True,
        batch_handlers=REGISTRY.batch_handlers,
    )
    background, hub = await start_worker(connector_settings, group)
    yield hub
    await background.close()


@contextlib.asynccontextmanager
async def _running_pusher(settings: Settings, simulator_url: str) -> AsyncIterator[tuple[Hub, CircuitBreaker]]:
    """The outbound group under a fresh name, pushing to the simulator; and a hub to publish with."""
    async with running_provincial_push(settings, simulator_url, "prov") as (group, breaker):
        publisher = bootstrap(settings, consumer_groups=[group], client_suffix="-publisher")
        await publisher.broker.connect()
        try:
            yield publisher, breaker
        finally:
            await publisher.close()


@pytest.fixture
async def pusher(connector_settings: Settings, simulator_url: str) -> AsyncIterator[tuple[Hub, CircuitBreaker]]:
    async with _running_pusher(connector_settings, simulator_url) as running:
        yield running


async def _changes(admin: httpx.AsyncClient, **body: Any) -> list[dict[str, Any]]:
    response = await admin.post("/admin/changes", json=body)
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()["records"]
    return records


async def _catch_up(readers: InboundReaders) -> None:
    while (await readers.changes.read_page()).has_more:
        pass
    while await readers.exchange.read_page():
        pass


async def _scalar(hub: Hub, sql: str, **params: Any) -> Any:
    async with hub.sessions() as session:
        return (await session.execute(text(sql), params)).scalar()


async def test_every_inbound_kind_reaches_the_registry(
    platform: httpx.AsyncClient, readers: InboundReaders, registry: Hub
) -> None:
    """2.1, 2.2, 2.4, 2.5, 2.6 and 1.5 from the SOAP feed and 2.3 from the exchange database reach the registry."""
    people = [r["aac001"] for r in await _changes(platform, count=3, kinds=["NEW_RETIREE"])]
    created = await _changes(platform, count=5, kinds=KINDS, aac001s=people)
    employer_code = (await platform.get("/admin/stats")).json()  # the feed carries the employer itself
    for person, kind in zip(people, ["ADDRESS", "PHONE", "DEATH"], strict=True):  # one request each: kinds exact
        rows = await platform.post("/admin/person-changes", json={"count": 1, "kinds": [kind], "aac001s": [person]})
        rows.raise_for_status()
    await _catch_up(readers)
    assert employer_code is not None

    async def applied() -> bool:
        found = await _scalar(registry, "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p)", p=people)
        return bool(found == 3) and bool(
            await _scalar(
                registry,
                "SELECT count(*) FROM audit_entry WHERE action = 'retiree.changed' AND target = ANY(:p)",
                p=people,
            )
            == 3
        )

    await wait_until(applied, 30, "the three new retirees and their exchange changes")
    kinds = {c["kind"]: c for c in created}
    certified = kinds["CERTIFICATION"]["aac001"]
    await wait_until(
        lambda: _exists(
            registry,
            # The report, not the certification: about 3% of the simulator's results are failed attempts, which
            # are kept as reports but make no certification.
            "SELECT 1 FROM certification_report c JOIN retiree r ON r.id = c.retiree_id"
            " WHERE r.personal_number = :p AND c.source = 'provincial_sync'",
            p=certified,
        ),
        30,
        "the provincial certification (2.6)",
    )
    adjusted = kinds["ADJUSTMENT"]["aac001"]
    await wait_until(
        lambda: _exists(
            registry,
            "SELECT 1 FROM pension_adjustment a JOIN retiree r ON r.id = a.retiree_id"
            " WHERE r.personal_number = :p AND r.monthly_pension = a.amount_after",
            p=adjusted,
        ),
        30,
        "the pension adjustment (2.5)",
    )
    assert await _exists(
        registry,
        "SELECT 1 FROM audit_entry WHERE action = 'retiree.corrected' AND target = :p",
        p=kinds["CORRECTION"]["aac001"],
    )
    assert await _exists(
        registry,
        "SELECT 1 FROM audit_entry WHERE action = 'retiree.payment_status_changed' AND target = :p",
        p=kinds["PAYMENT_STATUS"]["aac001"],
    )
    assert await _exists(
        registry,
        "SELECT 1 FROM retiree r JOIN audit_entry a ON a.target = r.personal_number AND a.action = 'retiree.changed'"
        " WHERE r.personal_number = ANY(:p) AND a.detail->>'kind' = 'DEATH' AND r.status = 'deceased'",
        p=people,
    )
    assert (
        await _scalar(
            registry,
            "SELECT count(*) FROM employer WHERE updated_at IS NOT NULL OR created_at > now() - interval '5 minutes'",
        )
        >= 1
    )
    applied_count = METRICS.get_sample_value(
        "hub_provincial_exchange_seconds_count", {"flow": "retiree.approved", "leg": "read_to_applied"}
    )
    assert applied_count and applied_count >= 3


async def _exists(hub: Hub, sql: str, **params: Any) -> bool:
    return await _scalar(hub, sql, **params) is not None


async def test_crash_after_publishing_before_the_cursor_repeats_nothing(
    platform: httpx.AsyncClient, readers: InboundReaders, registry: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between Kafka's acknowledgement and storing the cursor: the restarted reader reads the page again,
    publishes the same event ids, and the registry applies every record exactly once; nothing is skipped."""
    people = [r["aac001"] for r in await _changes(platform, count=40, kinds=["NEW_RETIREE"])]
    await _changes(platform, count=40, kinds=["PAYMENT_STATUS"], aac001s=people)
    real_store = feeds.store_position
    crashes = 0

    async def crash_once(*args: Any, **kwargs: Any) -> None:
        nonlocal crashes
        if crashes == 0:
            crashes += 1
            raise ConnectionError("killed after publishing, before the cursor was stored")
        await real_store(*args, **kwargs)

    monkeypatch.setattr("connectors.provincial.inbound.store_position", crash_once)
    with pytest.raises(ConnectionError):
        await readers.changes.read_page()
    await _catch_up(readers)  # "restarted": the same page again, then the rest

    async def all_applied() -> bool:
        return bool(
            await _scalar(
                registry,
                "SELECT count(*) FROM audit_entry WHERE action = 'retiree.payment_status_changed' AND target = ANY(:p)",
                p=people,
            )
            == 40
        )

    await wait_until(all_applied, 60, "every payment-status change")
    await wait_until_handled(registry)  # any double application would have landed by now
    assert await _scalar(registry, "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p)", p=people) == 40
    assert (
        await _scalar(
            registry,
            "SELECT count(*) FROM audit_entry WHERE action IN ('retiree.approved', 'retiree.approval_refreshed',"
            " 'retiree.payment_status_changed') AND target = ANY(:p)",
            p=people,
        )
        == 80
    )


async def test_invalid_record_and_malformed_reply_are_dead_lettered_and_later_records_flow(
    platform: httpx.AsyncClient, readers: InboundReaders, registry: Hub
) -> None:
    """An invalid record (a wrong ID-number check character) and a malformed GetChanges reply land in the dead
    letters with the reason and the raw content; the records after them reach the registry."""
    good = [r["aac001"] for r in await _changes(platform, count=1, kinds=["NEW_RETIREE"])]
    template = (await platform.get(f"/admin/retirees/{good[0]}")).json()
    bad_number = f"{good[0][:-3]}999"
    broken_id = template["aac002"][:-1] + ("0" if template["aac002"][-1] != "0" else "1")
    bad = {k: v for k, v in template.items() if k != "status_code"} | {"aac001": bad_number, "aac002": broken_id}
    (
        await platform.post("/admin/raw-change", json={"kind": "NEW_RETIREE", "aac001": bad_number, "payload": bad})
    ).raise_for_status()
    later = [r["aac001"] for r in await _changes(platform, count=1, kinds=["NEW_RETIREE"])]

    (await platform.put("/admin/faults", json={"malformed_rate": 1.0})).raise_for_status()
    with pytest.raises(MalformedReply):
        await readers.changes.read_page()
    (await platform.delete("/admin/faults")).raise_for_status()
    await _catch_up(readers)

    await wait_until(
        lambda: _exists(registry, "SELECT 1 FROM retiree WHERE personal_number = :p", p=later[0]),
        30,
        "the later record",
    )
    assert await _scalar(registry, "SELECT count(*) FROM retiree WHERE personal_number = :p", p=bad_number) == 0
    async with registry.sessions() as session:
        dead = (
            await session.execute(
                text(
                    "SELECT event_key, error_type, error_message, value FROM hub_parked_event"
                    " WHERE consumer_group = 'provincial-inbound' AND status = 'dead'"
                    " AND event_key IN (:bad, 'GetChanges')"
                    " AND dead_lettered_at > now() - interval '5 minutes'"
                ),
                {"bad": bad_number},
            )
        ).all()
    by_key = {row.event_key: row for row in dead}
    assert "aac002" in by_key[bad_number].error_message and broken_id.encode() in by_key[bad_number].value
    assert by_key["GetChanges"].error_type == "MalformedReply"


async def _dead_letters(hub: Hub, *keys: str) -> dict[str, Any]:
    """The latest inbound dead letter (any status) of each key, written in the last five minutes."""
    async with hub.sessions() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT DISTINCT ON (event_key) id, event_key, status, attempts, error_type, error_message"
                    " FROM hub_parked_event WHERE consumer_group = 'provincial-inbound' AND event_key = ANY(:keys)"
                    " AND first_failed_at > now() - interval '5 minutes' ORDER BY event_key, id DESC"
                ),
                {"keys": list(keys)},
            )
        ).all()
    return {row.event_key: row for row in rows}


async def test_replayed_inbound_dead_letters_are_mapped_again_and_resolved_once_the_cause_is_fixed(
    platform: httpx.AsyncClient, readers: InboundReaders, registry: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hub dlq replay --group provincial-inbound`: a certification (2.6) refused for a method code the mapping did
    not know stays dead on a replay while the mapping still lacks it, and reaches the registry once it knows it; a
    malformed reply's dead letter is resolved once the feed has read past its cursor."""
    person = (await _changes(platform, count=1, kinds=["NEW_RETIREE"]))[0]["aac001"]
    certification = {
        "aac001": person,
        "certNo": f"RZ{uuid.uuid4().hex[:16].upper()}",
        "certMethod": "5",  # a method the platform added before the hub's mapping knew it
        "certDate": datetime.now(UTC).date().isoformat(),
        "certResult": "1",
        "certOrg": "130102001",
    }
    raw = {"kind": "CERTIFICATION", "aac001": person, "payload": certification}
    (await platform.post("/admin/raw-change", json=raw)).raise_for_status()
    (await platform.put("/admin/faults", json={"malformed_rate": 1.0})).raise_for_status()
    with pytest.raises(MalformedReply):
        await readers.changes.read_page()
    (await platform.delete("/admin/faults")).raise_for_status()
    await _catch_up(readers)
    await wait_until(
        lambda: _exists(registry, "SELECT 1 FROM retiree WHERE personal_number = :p", p=person), 30, "the retiree"
    )
    dead = await _dead_letters(registry, person, "GetChanges")
    assert dead[person].status == "dead" and "certMethod" in dead[person].error_message
    assert dead["GetChanges"].status == "dead"

    async with registry.sessions() as session, session.begin():
        await request_replay(session, DeadLetterFilter(ids=(dead[person].id, dead["GetChanges"].id)))
    assert await readers.replays.replay_requested() == 2
    again = await _dead_letters(registry, person, "GetChanges")
    assert (again[person].status, again[person].attempts) == ("dead", 2)  # the mapping still lacks the code
    assert again["GetChanges"].status == "resolved"  # the feed is past that cursor

    monkeypatch.setitem(mapping._CERT_METHODS, "5", "other")  # the mapping fix, deployed
    async with registry.sessions() as session, session.begin():
        await request_replay(session, DeadLetterFilter(ids=(dead[person].id,)))
    assert await readers.replays.replay_requested() == 1
    assert (await _dead_letters(registry, person))[person].status == "resolved"
    await wait_until(
        lambda: _exists(
            registry,
            "SELECT 1 FROM certification_report c JOIN retiree r ON r.id = c.retiree_id"
            " WHERE r.personal_number = :p AND c.source = 'provincial_sync' AND c.source_id = :n",
            p=person,
            n=certification["certNo"],
        ),
        30,
        "the replayed certification",
    )


def _status_event(personal_number: str, kind: str, entry: str, when: datetime) -> Envelope:
    data = {
        "personal_number": personal_number,
        "change_kind": kind,
        "reason_code": "S01" if kind == "suspended" else "R01",
        "effective_date": when.date().isoformat(),
        "entered_at": when.isoformat(),
        "institution_code": "130102",
        "log_entry_id": entry,
    }
    if kind == "error_restored":
        data["reverses_entry_id"] = "SCL-X"
    return Envelope.new("person_status.changed", personal_number, data, source="urn:test")


async def _pushes(platform: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await platform.get("/admin/pushes")
    response.raise_for_status()
    pushes: list[dict[str, Any]] = response.json()["pushes"] if isinstance(response.json(), dict) else response.json()
    return pushes


async def test_every_outbound_kind_is_pushed_and_acknowledged_on_the_log(
    platform: httpx.AsyncClient, pusher: tuple[Hub, CircuitBreaker]
) -> None:
    """6.22: each business type reaches the platform with its idempotency key; a log entry gets the receipt."""
    hub, _ = pusher
    people = [r["aac001"] for r in await _changes(platform, count=1, kinds=["NEW_RETIREE"])]
    tag = uuid.uuid4().hex[:8]
    kinds = [
        "registered",
        "supplementary_info_recorded",
        "transferred_out",
        "transferred_in",
        "suspended",
        "resumed",
        "error_restored",
        "deceased",
    ]
    events = [_status_event(people[0], kind, f"IT-{tag}-{i}", datetime.now(UTC)) for i, kind in enumerate(kinds)]
    await hub.publisher.publish_events(events)

    async def all_pushed() -> bool:
        return len([p for p in await _pushes(platform) if p["idempotencyKey"].startswith(f"IT-{tag}")]) == 8

    await wait_until(all_pushed, 30, "the eight business records")
    pushed = [p for p in await _pushes(platform) if p["idempotencyKey"].startswith(f"IT-{tag}")]
    assert [p["businessType"] for p in pushed] == [
        "REGISTER",
        "SUPPLEMENT",
        "TRANSFER_OUT",
        "TRANSFER_IN",
        "SUSPEND",
        "RESUME",
        "ERROR_RESTORE",
        "DEATH",
    ]


async def _log_entry(hub: Hub) -> tuple[str, str, int]:
    """A registered retiree suspended by staff: (personal number, log entry id, entry row). Its outbox row is
    removed, so only this test's own publishing carries the entry."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        person = await factories.retiree(session, tree.communities[0], status=Status.REGISTERED)
        entry = await status_log.apply(
            hub.unit_of_work(session, "test"),
            system_actor("it-provincial"),
            person,
            Suspend(ReasonCode.SUSPENDED_BY_STAFF),
            effective_date=datetime.now(UTC).date(),
            cause=status_log.Cause(CauseType.STAFF),
        )
        await session.execute(text("DELETE FROM hub_outbox WHERE key = :p"), {"p": person.personal_number})
        assert entry.id is not None
        return person.personal_number, entry.entry_id, entry.id


async def test_a_malformed_acknowledgement_is_dead_lettered_on_the_log_entry_and_a_replay_records_the_receipt(
    platform: httpx.AsyncClient, connector_settings: Settings, simulator_url: str
) -> None:
    """6.22: every push answered with a truncated envelope (the platform stored the record, the answer is
    unreadable): retried, then dead-lettered with the reason, and the log entry says `failed` with it. Once the
    platform answers properly, `hub dlq replay` pushes again under the same key: the platform answers `duplicate`
    with its first receipt, which the entry records; the platform holds the record once."""
    settings = connector_settings.model_copy(update={"parked_retry_attempts": 3, "parked_retry_max_seconds": 0.5})
    async with _running_pusher(settings, simulator_url) as (hub, _):
        number, entry_id, entry_row = await _log_entry(hub)
        (await platform.put("/admin/faults", json={"malformed_rate": 1.0})).raise_for_status()
        await hub.publisher.publish_events([_status_event(number, "suspended", entry_id, datetime.now(UTC))])

        async def entry() -> Any:
            async with hub.sessions() as session:
                return (
                    await session.execute(
                        text("SELECT sync_state, sync_error, receipt_no FROM status_change WHERE id = :id"),
                        {"id": entry_row},
                    )
                ).one()

        async def failed() -> bool:
            return bool((await entry()).sync_state == "failed")

        await wait_until(failed, 60, "the entry marked failed")
        assert "MalformedReply" in (await entry()).sync_error
        async with hub.sessions() as session:
            dead = (
                await session.execute(
                    text(
                        "SELECT id, error_type FROM hub_parked_event"
                        " WHERE consumer_group LIKE 'it-prov-push-%' AND event_key = :p AND status = 'dead'"
                    ),
                    {"p": number},
                )
            ).one()
        assert dead.error_type == "MalformedReply"
        stored = (await platform.get("/admin/pushes", params={"aac001": number})).json()["pushes"]
        assert [p["idempotencyKey"] for p in stored] == [entry_id]

        (await platform.delete("/admin/faults")).raise_for_status()
        async with hub.sessions() as session, session.begin():
            await request_replay(session, DeadLetterFilter(ids=(dead.id,)))

        async def acknowledged() -> bool:
            return bool((await entry()).sync_state == "acknowledged")

        await wait_until(acknowledged, 30, "the entry acknowledged after the replay")
        assert (await entry()).receipt_no == stored[0]["receiptNo"]
        again = (await platform.get("/admin/pushes", params={"aac001": number})).json()["pushes"]
        assert len(again) == 1


@pytest.mark.slow
async def test_platform_down_for_60_seconds_then_back_delivers_every_push_once_in_order(
    platform: httpx.AsyncClient, pusher: tuple[Hub, CircuitBreaker]
) -> None:
    """The platform down for 60 s: the breaker opens (the outbound group pauses, visible as a metric), nothing is
    lost; back up: every push delivered once, in order per retiree."""
    hub, breaker = pusher
    people = [r["aac001"] for r in await _changes(platform, count=5, kinds=["NEW_RETIREE"])]
    (await platform.put("/admin/faults", json={"down": True})).raise_for_status()
    tag = uuid.uuid4().hex[:8]
    sequence = ["suspended", "resumed", "suspended", "resumed"]
    events = [
        _status_event(person, kind, f"DN-{tag}-{person}-{i}", datetime.now(UTC))
        for i, kind in enumerate(sequence)
        for person in people
    ]
    await hub.publisher.publish_events(events)
    await wait_until(lambda: _true(breaker.state != "closed"), 30, "the circuit breaker to open")
    assert (METRICS.get_sample_value("hub_circuit_breaker_opened_total", {"breaker": breaker.name}) or 0) >= 1
    await asyncio.sleep(60)
    assert not [p for p in await _pushes(platform) if p["idempotencyKey"].startswith(f"DN-{tag}")]
    (await platform.delete("/admin/faults")).raise_for_status()

    async def delivered() -> bool:
        return len([p for p in await _pushes(platform) if p["idempotencyKey"].startswith(f"DN-{tag}")]) == 20

    await wait_until(delivered, 90, "every push after the outage")
    pushed = [p for p in await _pushes(platform) if p["idempotencyKey"].startswith(f"DN-{tag}")]
    assert len({p["idempotencyKey"] for p in pushed}) == 20
    for person in people:
        keys = [p["idempotencyKey"] for p in pushed if p["aac001"] == person]
        assert keys == [f"DN-{tag}-{person}-{i}" for i in range(4)]
    assert breaker.state == "closed"
    assert METRICS.get_sample_value("hub_circuit_breaker_state", {"breaker": breaker.name}) == 0


async def _true(value: bool) -> bool:
    return value


def _applied_within(bound: float, leg: str = "read_to_applied") -> tuple[float, float]:
    """(observations <= bound, all observations) of the exchange histogram's ``leg`` so far."""
    within = total = 0.0
    for metric in METRICS.collect():
        if metric.name != "hub_provincial_exchange_seconds":
            continue
        for sample in metric.samples:
            if sample.labels.get("leg") != leg or not sample.name.endswith("_bucket"):
                continue
            if sample.labels["le"] == "+Inf":
                total += sample.value
            elif float(sample.labels["le"]) == bound:
                within += sample.value
    return within, total


@pytest.mark.slow
async def test_steady_50_changes_a_second_for_a_minute_stay_within_5_seconds(
    platform: httpx.AsyncClient, readers: InboundReaders, registry: Hub
) -> None:
    """50 changes/s for 60 s through the SOAP feed: p99 from read to applied under 5 s (bench/ reports the figure;
    this checks the bound only)."""
    people = [r["aac001"] for r in await _changes(platform, count=200, kinds=["NEW_RETIREE"])]
    await _catch_up(readers)
    await wait_until(
        lambda: _equal(registry, "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p)", 200, p=people),
        60,
        "the 200 retirees",
    )
    within_before, total_before = _applied_within(5.0)
    stop = asyncio.Event()
    running = asyncio.create_task(readers.run(stop, poll_seconds=0.2))
    try:
        for _second in range(60):
            started = asyncio.get_running_loop().time()
            await _changes(platform, count=50, kinds=["PAYMENT_STATUS", "CERTIFICATION"], aac001s=people)
            await asyncio.sleep(max(0.0, 1.0 - (asyncio.get_running_loop().time() - started)))
        await asyncio.sleep(5)
    finally:
        stop.set()
        await running
    within, total = _applied_within(5.0)
    count = total - total_before
    assert count >= 2900, f"only {count} of 3000 changes applied"
    assert (within - within_before) / count >= 0.99, "p99 from read to applied exceeds 5 s"


async def _equal(hub: Hub, sql: str, expected: int, **params: Any) -> bool:
    return bool(await _scalar(hub, sql, **params) == expected)


@pytest.mark.slow
async def test_round_trip_certification_read_to_resumption_acknowledged_within_5_seconds(
    platform: httpx.AsyncClient,
    readers: InboundReaders,
    registry: Hub,
    connector_settings: Settings,
    simulator_url: str,
) -> None:
    """The whole exchange under load (issue 4 deliverable 5): for 30 s the platform produces 40 changes/s and 10
    certifications/s (2.6) of retirees suspended for missing certification; each certification is read, applied,
    resumes its retiree (4.5), and the resumption is pushed back and acknowledged (6.22). p99 of
    hub_provincial_exchange_seconds{leg=read_to_acknowledged} stays under 5 s, every retiree is resumed once and
    the platform holds one RESUME each."""
    seconds, round_trips_per_second = 30, 10
    count = seconds * round_trips_per_second
    people = [r["aac001"] for r in await _changes(platform, count=count, kinds=["NEW_RETIREE"])]
    others = [r["aac001"] for r in await _changes(platform, count=100, kinds=["NEW_RETIREE"])]
    await _catch_up(readers)
    everyone = [*people, *others]
    await wait_until(
        lambda: _equal(
            registry, "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p)", len(everyone), p=everyone
        ),
        90,
        "the retirees",
    )
    async with registry.sessions() as session, session.begin():  # given: registered, then suspended (S01) in 2025
        community = (await factories.tree(session)).communities[0]
        await session.execute(
            text(
                "UPDATE retiree SET status = 'suspended', suspension_reason = 'S01', resume_to = 'registered',"
                " institution_id = :community,"
                " registered_on = DATE '2024-01-02', last_certified_on = DATE '2024-06-01',"
                " status_since = DATE '2025-01-01' WHERE personal_number = ANY(:p)"
            ),
            {"community": community.id, "p": people},
        )
    within_before, total_before = _applied_within(5.0, "read_to_acknowledged")
    relay = Background()
    relay.start_relay(bootstrap(connector_settings, consumer_groups=(), client_suffix="-relay"))
    stop = asyncio.Event()
    async with _running_pusher(connector_settings, simulator_url):
        running = asyncio.create_task(readers.run(stop, poll_seconds=0.2))
        try:
            today = datetime.now(UTC).date().isoformat()
            for second in range(seconds):
                started = asyncio.get_running_loop().time()
                await _changes(platform, count=40, kinds=["PAYMENT_STATUS", "ADJUSTMENT"], aac001s=others)
                for person in people[second * round_trips_per_second : (second + 1) * round_trips_per_second]:
                    certification = {
                        "aac001": person,
                        "certNo": f"RZ{uuid.uuid4().hex[:16].upper()}",
                        "certMethod": "1",
                        "certDate": today,
                        "certResult": "1",
                        "certOrg": "130102001",
                    }
                    change = {"kind": "CERTIFICATION", "aac001": person, "payload": certification}
                    (await platform.post("/admin/raw-change", json=change)).raise_for_status()
                await asyncio.sleep(max(0.0, 1.0 - (asyncio.get_running_loop().time() - started)))

            async def all_acknowledged() -> bool:
                return bool(
                    await _scalar(
                        registry,
                        "SELECT count(*) FROM status_change WHERE personal_number = ANY(:p)"
                        " AND to_status = 'registered' AND sync_state = 'acknowledged'",
                        p=people,
                    )
                    == count
                )

            await wait_until(all_acknowledged, 60, "every resumption acknowledged")
        finally:
            stop.set()
            await running
            await relay.close()
    within, total = _applied_within(5.0, "read_to_acknowledged")
    observed = total - total_before
    assert observed >= count, f"only {observed} round trips observed"
    assert (within - within_before) / observed >= 0.99, "p99 from read to acknowledged exceeds 5 s"
    resumes = [p for p in await _pushes(platform) if p["aac001"] in set(people) and p["businessType"] == "RESUME"]
    assert sorted(p["aac001"] for p in resumes) == sorted(people)  # one each, none twice
