"""Notifications pushed to the channel apps (issue 20, for function points 4.1, 4.4 and 4.5), through real Kafka,
the ``mobile-notifications`` and ``channel-push`` groups' real workers and the channel-app simulator (in process,
through an ASGI transport): each kind reaches the app once, in order per retiree, after the app was down for a
minute; a death is never notified to the deceased; quiet hours hold pushes and release them; a push the app refuses
is dead-lettered with the reason; with two apps, one down backs up only its own pushes (each app its own breaker)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from app.handlers import MOBILE_NOTIFICATIONS, channel_push
from connectors.channel_push.client import WebhookClient
from connectors.channel_push.pusher import ChannelPusher
from domain.certifications.reminders import REMINDER_DUE
from domain.dictionary.models import Parameter
from domain.notifications.models import ChannelPush
from domain.retirees.lifecycle import Status
from domain.shared.calendar import BUSINESS_TZ
from domain.shared.event_types import EventType
from domain.staff.models import ChannelClient
from hub.bootstrap import Hub, bootstrap
from hub.breaker import BreakerPerKey, CircuitBreaker
from hub.consumer import ConsumerGroup
from hub.db import create_engine, create_session_factory
from hub.envelope import Envelope
from hub.settings import Settings
from simulators.channel_app.app import create_app as create_simulator
from simulators.channel_app.config import ChannelAppSettings
from tests import factories
from tests.integration.conftest import running_group
from tests.support.api import Api
from tests.support.channel import ChannelApp, channel_app
from tests.support.harness import Background, wait_until

pytestmark = pytest.mark.integration

SIMULATOR = "http://channel-sim.test"
OTHER_SIMULATOR = "http://channel-sim-2.test"


@dataclass
class Pipeline:
    publisher: Hub
    pusher: ChannelPusher
    simulator: httpx.AsyncClient  # the simulator's admin API


async def _no_quiet_hours(_: Any) -> str:
    return "00:00-00:00"


@pytest.fixture
async def simulator() -> FastAPI:
    return create_simulator(ChannelAppSettings(secrets=""))


class _ByHost(httpx.AsyncBaseTransport):
    """Each simulator host to its own in-process simulator (two apps, each with its own faults)."""

    def __init__(self, simulators: dict[str, FastAPI]) -> None:
        self._transports = {host: httpx.ASGITransport(app=app) for host, app in simulators.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transports[request.url.host].handle_async_request(request)


async def _pipeline(
    settings: Settings, simulator: FastAPI, *, quiet_from_parameter: bool, other: FastAPI | None = None
) -> AsyncIterator[Pipeline]:
    fast = settings.model_copy(update={"parked_retry_initial_seconds": 1.0, "parked_retry_max_seconds": 4.0})
    if other is not None:  # an app down while another is up: its pushes are parked and retried until it is back
        fast = fast.model_copy(update={"parked_retry_attempts": 60})
    engine = create_engine(fast)
    sessions = create_session_factory(engine)
    simulators = {httpx.URL(SIMULATOR).host: simulator}
    if other is not None:
        simulators[httpx.URL(OTHER_SIMULATOR).host] = other
    pusher = ChannelPusher(
        WebhookClient(timeout=2.0, transport=_ByHost(simulators)),
        BreakerPerKey(
            "it-channel-app", partial(CircuitBreaker, failure_threshold=3, reset_seconds=1.0, max_reset_seconds=2.0)
        ),
        lambda: sessions,
        concurrency=8,
        refresh_seconds=0.3,
        **({} if quiet_from_parameter else {"quiet_source": _no_quiet_hours}),
    )
    suffix = uuid.uuid4().hex[:8]
    notifications = ConsumerGroup(
        f"it-notify-{suffix}", MOBILE_NOTIFICATIONS.handlers, batch_handlers=MOBILE_NOTIFICATIONS.batch_handlers
    )
    pushes = channel_push(pusher)
    pushes = ConsumerGroup(
        f"it-push-{suffix}",
        pushes.handlers,
        batch_handlers=pushes.batch_handlers,
        gate=pushes.gate,
        on_dead_letter=pushes.on_dead_letter,
    )
    admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator), base_url=SIMULATOR)
    relay = Background()  # the notifications' pushes go through the outbox
    relay.start_relay(bootstrap(fast, consumer_groups=(), client_suffix="-relay"))
    try:
        async with running_group(fast, pushes), running_group(fast, notifications) as publisher:
            yield Pipeline(publisher, pusher, admin)
    finally:
        await relay.close()
        await admin.aclose()
        await pusher.client.close()
        await engine.dispose()


@pytest.fixture
async def pipeline(settings: Settings, simulator: FastAPI) -> AsyncIterator[Pipeline]:
    async for built in _pipeline(settings, simulator, quiet_from_parameter=False):
        yield built


@pytest.fixture
async def night_pipeline(settings: Settings, simulator: FastAPI) -> AsyncIterator[Pipeline]:
    async for built in _pipeline(settings, simulator, quiet_from_parameter=True):
        yield built


@dataclass
class TwoApps:
    pipeline: Pipeline  # its simulator serves the first app
    other: httpx.AsyncClient  # the second app's simulator (its own host, its own faults)


@pytest.fixture
async def two_apps(settings: Settings, simulator: FastAPI) -> AsyncIterator[TwoApps]:
    other = create_simulator(ChannelAppSettings(secrets=""))
    async for built in _pipeline(settings, simulator, quiet_from_parameter=False, other=other):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url=OTHER_SIMULATOR) as admin:
            yield TwoApps(built, admin)


async def _app(hub: Hub, api: Api, simulator: httpx.AsyncClient, base: str = SIMULATOR) -> ChannelApp:
    app = await channel_app(hub, api)
    webhook = f"{base}/apps/{app.client_id}/notifications"
    async with hub.sessions() as session, session.begin():
        await session.execute(
            update(ChannelClient).where(col(ChannelClient.client_id) == app.client_id).values(webhook_url=webhook)
        )
    registered = await simulator.put(f"/admin/clients/{app.client_id}", json={"secret": app.signing_secret})
    assert registered.status_code == 200
    return app


@dataclass(frozen=True)
class Person:
    personal_number: str
    id_number: str
    community_code: str


async def _people(hub: Hub, statuses: list[Status]) -> list[Person]:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        people = []
        for status in statuses:
            person = await factories.retiree(session, tree.communities[0], status=status)
            people.append(Person(person.personal_number, person.id_number, tree.communities[0].code))
        return people


def _status(person: Person, kind: str, reason: str) -> Envelope:
    today = date.today()
    data = {
        "personal_number": person.personal_number,
        "change_kind": kind,
        "reason_code": reason,
        "effective_date": today.isoformat(),
        "entered_at": datetime.now(UTC).isoformat(),
        "institution_code": person.community_code,
        "log_entry_id": f"SCL-it-{uuid.uuid4().hex[:12]}",
    }
    return Envelope.new(EventType.PERSON_STATUS_CHANGED, person.personal_number, data, source="urn:retiree-hub:test")


def _rejected(person: Person) -> Envelope:
    data = {
        "personal_number": person.personal_number,
        "application_id": f"RA-{uuid.uuid4().hex[:10]}",
        "community_name": "测试社区00",
        "reason": "户籍不在本社区",
        "rejected_at": datetime.now(UTC).isoformat(),
    }
    return Envelope.new(EventType.REGISTRATION_REJECTED, person.personal_number, data, source="urn:retiree-hub:test")


def _reminder(person: Person) -> Envelope:
    due = date.today() + timedelta(days=30)
    data = {
        "personal_number": person.personal_number,
        "due_on": due.isoformat(),
        "last_certified_on": None,
        "days_left": 30,
        "message": f"您的资格认证将于{due.year}年{due.month}月{due.day}日到期，请按时认证。",
    }
    return Envelope.new(REMINDER_DUE, person.personal_number, data, source="urn:retiree-hub:test")


async def _received(simulator: httpx.AsyncClient, client_id: str) -> list[dict[str, Any]]:
    answer = await simulator.get("/admin/received", params={"client_id": client_id})
    received: list[dict[str, Any]] = answer.json()
    return received


async def _pushes(hub: Hub, client_id: str) -> list[ChannelPush]:
    async with hub.sessions() as session:
        query = select(ChannelPush).where(col(ChannelPush.client_id) == client_id)
        return list((await session.execute(query)).scalars().all())


@pytest.mark.slow
async def test_4_5_each_kind_reaches_the_app_once_in_order_per_retiree_after_it_was_down_a_minute(
    pipeline: Pipeline, registry_hub: Hub, api: Api
) -> None:
    app = await _app(registry_hub, api, pipeline.simulator)
    first, second, deceased = await _people(registry_hub, [Status.REGISTERED, Status.REGISTERED, Status.DECEASED])
    for person in (first, second, deceased):
        await app.retiree_headers(person.id_number)  # the retiree uses this app: its notifications go there
    assert (await pipeline.simulator.put("/admin/faults", json={"down": True})).status_code == 200

    mine = [
        _status(first, "registered", "REG"),
        _status(first, "suspended", "S01"),
        _status(first, "resumed", "R01"),
        _status(first, "transferred_in", "TIN"),
        _rejected(first),
        _reminder(first),
    ]
    theirs = [_status(second, "suspended", "S04"), _status(second, "resumed", "R02")]
    never = [_status(deceased, "deceased", "DTH"), _reminder(deceased), _status(first, "deceased", "DTH")]
    # The last two facts come on the notifications topic and are read first: the app still gets the retiree's
    # notifications in the order the facts happened.
    await pipeline.publisher.publisher.publish_events(mine[4:], source="test")

    async def read_first() -> bool:
        return len(await _pushes(registry_hub, app.client_id)) == 2

    await wait_until(read_first, 60, "the later facts to be read first")
    events = [mine[0], theirs[0], *mine[1:3], never[0], never[1], theirs[1], mine[3], never[2]]
    await pipeline.publisher.publisher.publish_events(events, source="test")

    async def down_a_minute() -> bool:
        stats = (await pipeline.simulator.get("/admin/stats")).json()
        since = stats["down_since"]
        return bool(stats["counts"].get("down")) and since is not None and datetime.now(UTC).timestamp() - since >= 60

    await wait_until(down_a_minute, 120, "the app to have refused pushes for a minute")
    assert await _received(pipeline.simulator, app.client_id) == []
    assert (await pipeline.simulator.delete("/admin/faults")).status_code == 200

    async def all_in() -> bool:
        return len(await _received(pipeline.simulator, app.client_id)) >= len(mine) + len(theirs)

    await wait_until(all_in, 120, "every notification to reach the app once it is back")
    received = await _received(pipeline.simulator, app.client_id)
    keys = [r["idempotencyKey"] for r in received]
    assert len(keys) == len(set(keys)) == len(mine) + len(theirs)  # each once
    for person, sent in ((first, mine), (second, theirs)):
        arrived = [r["idempotencyKey"] for r in received if r["personalNumber"] == person.personal_number]
        assert arrived == [e.id for e in sent]  # in order per retiree
    assert [r for r in received if r["personalNumber"] == deceased.personal_number] == []
    kinds = {r["kind"] for r in received}
    assert kinds == {
        "registered",
        "suspended",
        "resumed",
        "transferred_in",
        "registration_rejected",
        "certification_reminder",
    }
    suspended = next(r for r in received if r["kind"] == "suspended" and r["personalNumber"] == first.personal_number)
    assert "暂停发放" in suspended["body"] and "认证" in suspended["body"] and suspended["kindLabel"] == "暂停发放"
    rejected = next(r for r in received if r["kind"] == "registration_rejected")
    assert "户籍不在本社区" in rejected["body"]

    async def all_recorded() -> bool:  # the app has them; the hub records each delivery when its batch commits
        return {p.state for p in await _pushes(registry_hub, app.client_id)} == {"delivered"}

    await wait_until(all_recorded, 30, "every push to be recorded as delivered")


async def _set_quiet_hours(hub: Hub, value: str) -> None:
    async with hub.sessions() as session, session.begin():
        await session.execute(
            update(Parameter).where(col(Parameter.name) == "notification_quiet_hours").values(value=value)
        )


async def test_4_5_quiet_hours_hold_pushes_and_release_them_when_the_window_ends(
    night_pipeline: Pipeline, registry_hub: Hub, api: Api
) -> None:
    app = await _app(registry_hub, api, night_pipeline.simulator)
    [person] = await _people(registry_hub, [Status.REGISTERED])
    await app.retiree_headers(person.id_number)
    now = datetime.now(BUSINESS_TZ)
    window = f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"
    await _set_quiet_hours(registry_hub, window)
    try:
        reminder = _reminder(person)
        await night_pipeline.publisher.publisher.publish_events([reminder], source="test")

        async def held() -> bool:
            pushes = await _pushes(registry_hub, app.client_id)
            return bool(pushes) and night_pipeline.pusher.gate.quiet_until is not None

        await wait_until(held, 60, "the push to be queued and held by quiet hours")
        assert await _received(night_pipeline.simulator, app.client_id) == []
        assert [p.state for p in await _pushes(registry_hub, app.client_id)] == ["pending"]

        await _set_quiet_hours(registry_hub, "00:00-00:00")  # the window ends

        async def released() -> bool:
            return len(await _received(night_pipeline.simulator, app.client_id)) == 1

        await wait_until(released, 60, "the held push to be delivered when the window ends")
        [got] = await _received(night_pipeline.simulator, app.client_id)
        assert got["idempotencyKey"] == reminder.id and got["kind"] == "certification_reminder"
    finally:
        await _set_quiet_hours(registry_hub, "22:00-07:00")


async def test_4_5_a_push_the_app_refuses_is_dead_lettered_with_the_reason(
    pipeline: Pipeline, registry_hub: Hub, api: Api
) -> None:
    app = await channel_app(registry_hub, api)  # its webhook knows no such app: 404, a refusal
    async with registry_hub.sessions() as session, session.begin():
        await session.execute(
            update(ChannelClient)
            .where(col(ChannelClient.client_id) == app.client_id)
            .values(webhook_url=f"{SIMULATOR}/apps/{app.client_id}/notifications")
        )
    [person] = await _people(registry_hub, [Status.REGISTERED])
    await app.retiree_headers(person.id_number)
    await pipeline.publisher.publisher.publish_events([_status(person, "suspended", "S04")], source="test")

    async def dead() -> bool:
        return [p.state for p in await _pushes(registry_hub, app.client_id)] == ["dead"]

    await wait_until(dead, 60, "the refused push to be dead-lettered")
    [push] = await _pushes(registry_hub, app.client_id)
    assert push.last_error is not None and "PushRefused" in push.last_error and "404" in push.last_error


@pytest.mark.slow
async def test_4_5_an_app_that_is_down_backs_up_only_its_own_pushes_and_gets_them_in_order_when_back(
    two_apps: TwoApps, registry_hub: Hub, api: Api
) -> None:
    """Two apps, each behind its own breaker: the first refuses (503) until its circuit opens, the second keeps
    getting its retirees' pushes in order meanwhile; once the first is back its pushes arrive in order, each once.
    A retiree bound to both apps: their pushes are keyed by the retiree, so those to the second app wait behind the
    first app's (parked), and reach both apps in order when it is back."""
    pipeline = two_apps.pipeline
    down = await _app(registry_hub, api, pipeline.simulator)
    up = await _app(registry_hub, api, two_apps.other, OTHER_SIMULATOR)
    mine, theirs, shared = await _people(registry_hub, [Status.REGISTERED, Status.REGISTERED, Status.REGISTERED])
    await down.retiree_headers(mine.id_number)
    await up.retiree_headers(theirs.id_number)
    await down.retiree_headers(shared.id_number)
    await up.retiree_headers(shared.id_number)
    assert (await pipeline.simulator.put("/admin/faults", json={"down": True})).status_code == 200

    sent: dict[str, list[str]] = {p.personal_number: [] for p in (mine, theirs, shared)}

    async def publish(events: list[Envelope]) -> None:
        for event in events:
            sent[event.subject].append(event.id)
        await pipeline.publisher.publisher.publish_events(events, source="test")

    async def keys(simulator: httpx.AsyncClient, app: ChannelApp, person: Person) -> list[str]:
        received = await _received(simulator, app.client_id)
        return [r["idempotencyKey"] for r in received if r["personalNumber"] == person.personal_number]

    async def up_has_theirs() -> bool:
        return await keys(two_apps.other, up, theirs) == sent[theirs.personal_number]

    await publish(
        [_status(mine, "suspended", "S01"), _status(theirs, "suspended", "S04"), _status(shared, "suspended", "S02")]
    )
    breaker = pipeline.pusher.breakers(down.client_id)

    async def circuit_open() -> bool:
        return breaker.state != "closed"

    await wait_until(circuit_open, 60, "the first app's circuit to open")
    await wait_until(up_has_theirs, 60, "the second app to get its push while the first is down")
    # the first app's circuit open, the second app's retirees still get every push, in order
    await publish([_reminder(theirs), _rejected(mine), _status(theirs, "resumed", "R02"), _reminder(shared)])
    await wait_until(up_has_theirs, 60, "the second app to keep getting its pushes, in order")
    assert pipeline.pusher.breakers(up.client_id).state == "closed"
    assert breaker.name == f"it-channel-app:{down.client_id}"
    assert await _received(pipeline.simulator, down.client_id) == []
    assert {p.state for p in await _pushes(registry_hub, down.client_id)} == {"pending"}

    assert (await pipeline.simulator.delete("/admin/faults")).status_code == 200

    async def all_in() -> bool:
        for app, simulator, people in (
            (down, pipeline.simulator, (mine, shared)),
            (up, two_apps.other, (theirs, shared)),
        ):
            for person in people:
                if await keys(simulator, app, person) != sent[person.personal_number]:
                    return False
        return True

    await wait_until(all_in, 90, "every push to reach its apps, in order per retiree, once the first app is back")
    assert await keys(pipeline.simulator, down, theirs) == [] and await keys(two_apps.other, up, mine) == []
    for simulator in (pipeline.simulator, two_apps.other):  # each once
        assert (await simulator.get("/admin/stats")).json()["counts"].get("duplicate", 0) == 0

    async def all_recorded() -> bool:
        pushes = [*await _pushes(registry_hub, down.client_id), *await _pushes(registry_hub, up.client_id)]
        return len(pushes) == 9 and {p.state for p in pushes} == {"delivered"}

    await wait_until(all_recorded, 30, "every push to both apps to be recorded as delivered")
    assert breaker.state == "closed"
