"""The mobile channel's notifications (issue 5, function point 4.5): a ``certification.reminder_due`` event, through
real Kafka and the ``mobile-notifications`` group's real worker, becomes exactly one notification however often it is
delivered; the channel API lists it in Chinese, marks it read, answers 404 for an unknown person and 401 without a
channel token."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlmodel import col

from app.handlers import MOBILE_NOTIFICATIONS
from domain.certifications.reminders import REMINDER_DUE, reminder_text
from domain.notifications.models import RetireeNotification
from domain.notifications.service import on_certification_reminder_due
from domain.retirees.inbound import Inbound
from domain.retirees.lifecycle import Status
from domain.staff.models import ChannelClient
from hub.bootstrap import Hub
from hub.consumer import ConsumerGroup
from hub.envelope import Envelope
from hub.settings import Settings
from tests import factories
from tests.integration.conftest import running_group
from tests.support.api import Api
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

SECRET = "ChannelSecret1"


@pytest.fixture
async def notifications_worker(settings: Settings) -> AsyncIterator[Hub]:
    """A worker running the mobile-notifications handlers under a fresh consumer group that starts at the end of its
    topics; yields a connected hub to publish with."""
    group = ConsumerGroup(f"it-mobile-{uuid.uuid4().hex[:8]}", MOBILE_NOTIFICATIONS.handlers)
    async with running_group(settings, group) as publisher_hub:
        yield publisher_hub


@dataclass(frozen=True)
class App:
    api: Api
    headers: dict[str, str]


@pytest.fixture
async def app(registry_hub: Hub, api: Api) -> App:
    """The channel API with a channel client's bearer token, obtained as the app does (POST /channel/v1/token)."""
    client_id = factories.code("app")
    async with registry_hub.sessions() as session, session.begin():
        session.add(ChannelClient(client_id=client_id, name="测试手机应用", secret_hash=PasswordHasher().hash(SECRET)))
    token = await api.client.post("/channel/v1/token", json={"client_id": client_id, "client_secret": SECRET})
    assert token.status_code == 200, token.text
    return App(api, {"Authorization": f"Bearer {token.json()['access_token']}"})


async def _registered_person(hub: Hub) -> str:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        person = await factories.retiree(session, tree.communities[0], status=Status.REGISTERED)
        return person.personal_number


def _reminder(personal_number: str, due_on: date, today: date) -> Envelope:
    return Envelope.new(
        REMINDER_DUE,
        personal_number,
        {
            "personal_number": personal_number,
            "due_on": due_on.isoformat(),
            "last_certified_on": None,
            "days_left": (due_on - today).days,
            "message": reminder_text(due_on, today),
        },
        source="urn:retiree-hub:test/reminders",
    )


async def _notifications(hub: Hub, personal_number: str) -> list[RetireeNotification]:
    async with hub.sessions() as session:
        query = (
            select(RetireeNotification)
            .where(col(RetireeNotification.personal_number) == personal_number)
            .order_by(col(RetireeNotification.id))
        )
        return list((await session.execute(query)).scalars().all())


async def test_4_5_a_reminder_published_twice_becomes_one_notification_listed_in_chinese_and_marked_read(
    notifications_worker: Hub, registry_hub: Hub, app: App
) -> None:
    """4.5 (issue 5): the reminder event reaches the mobile channel's table once; the app lists it and marks it read."""
    person = await _registered_person(registry_hub)
    today = date.today()
    first = _reminder(person, today + timedelta(days=20), today)
    await notifications_worker.publisher.publish_events([first], source="test")
    await notifications_worker.publisher.publish_events([first], source="test")  # redelivered: nothing new
    # A later reminder of the same person on the same key: once it is in, the duplicate has surely been consumed.
    later = _reminder(person, today + timedelta(days=200), today)
    await notifications_worker.publisher.publish_events([later], source="test")

    async def both_in() -> bool:
        return {n.source_event_id for n in await _notifications(registry_hub, person)} >= {first.id, later.id}

    await wait_until(both_in, 30, "both reminders to reach the notification table")
    rows = await _notifications(registry_hub, person)
    assert [n.source_event_id for n in rows] == [first.id, later.id]
    assert rows[0].kind == "certification_reminder" and rows[0].due_on == today + timedelta(days=20)

    url = f"/channel/v1/retirees/{person}/notifications"
    listed = await app.api.call("GET", url, app.headers, params={"unread": "true", "limit": 50})
    assert listed.status_code == 200, listed.text
    inbox = listed.json()
    assert inbox["unread_count"] == 2 and len(inbox["items"]) == 2
    due = today + timedelta(days=20)
    reminder = next(item for item in inbox["items"] if item["due_on"] == due.isoformat())
    assert reminder["title"] == "资格认证到期提醒" and reminder["kind_label"] == "资格认证提醒"
    assert f"{due.year}年{due.month}月{due.day}日" in reminder["body"] and "认证" in reminder["body"]
    assert reminder["read"] is False

    read = await app.api.call("POST", f"{url}/read", app.headers, json={"ids": [reminder["id"]]})
    assert read.status_code == 200, read.text
    assert read.json() == {"marked": [reminder["id"]], "unread_count": 1}
    again = await app.api.call("POST", f"{url}/read", app.headers, json={"ids": [reminder["id"]]})
    assert again.json() == {"marked": [], "unread_count": 1}  # marking twice changes nothing

    other = next(item["id"] for item in inbox["items"] if item["id"] != reminder["id"])
    unread_only = (await app.api.call("GET", url, app.headers, params={"unread": "true"})).json()
    assert [item["id"] for item in unread_only["items"]] == [other]
    everything = (await app.api.call("GET", url, app.headers)).json()
    marked = next(item for item in everything["items"] if item["id"] == reminder["id"])
    assert marked["read"] is True and marked["read_at"] is not None


async def test_4_5_the_same_event_applied_twice_by_the_domain_handler_is_one_notification(registry_hub: Hub) -> None:
    """4.5 (issue 5): idempotent by event id even past the consumer's own check (e.g. a group re-reading the topic
    under a new name): the handler applied twice to one event leaves one row."""
    person = await _registered_person(registry_hub)
    event = _reminder(person, date.today() + timedelta(days=5), date.today())
    for _ in range(2):
        async with registry_hub.sessions() as session, session.begin():
            await on_certification_reminder_due(
                event.data, Inbound(event.id, event.time), registry_hub.unit_of_work(session, "test")
            )
    async with registry_hub.sessions() as session:
        count = await session.scalar(select(func.count()).where(col(RetireeNotification.source_event_id) == event.id))
    assert count == 1


async def test_4_5_unknown_person_is_404_in_chinese_and_no_token_is_401(app: App) -> None:
    """4.5 (issue 5): the channel API answers 404 with a Chinese message for an unknown personal number, and 401
    to a caller without a channel token."""
    unknown = factories.personal_number()
    url = f"/channel/v1/retirees/{unknown}/notifications"
    for method, path, body in [("GET", url, None), ("POST", f"{url}/read", {"ids": [1]})]:
        answer = await app.api.call(method, path, app.headers, json=body)
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "RETIREE_NOT_FOUND" and "未找到" in answer.json()["message"]
        anonymous = await app.api.call(method, path, {}, json=body)
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.json()["message"] == "请先登录"
