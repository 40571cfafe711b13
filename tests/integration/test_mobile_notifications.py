"""The mobile channel's notifications (issue 5, function point 4.5): a ``certification.reminder_due`` event, through
real Kafka and the ``mobile-notifications`` group's real worker, becomes exactly one notification however often it is
delivered; the channel API lists it in Chinese and marks it read, under the retiree token of the person the app
vouched for (issue 20), and answers 401 without one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from app.handlers import MOBILE_NOTIFICATIONS
from domain.certifications.reminders import REMINDER_DUE, reminder_text
from domain.notifications.models import RetireeNotification
from domain.notifications.service import on_certification_reminder_due, on_certification_reminders_due
from domain.retirees.inbound import Inbound
from domain.retirees.lifecycle import Status
from hub.bootstrap import Hub
from hub.consumer import ConsumerGroup
from hub.envelope import Envelope
from hub.settings import Settings
from tests import factories
from tests.integration.conftest import running_group
from tests.support.api import Api
from tests.support.channel import ChannelApp, channel_app
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def notifications_worker(settings: Settings) -> AsyncIterator[Hub]:
    """A worker running the mobile-notifications handlers under a fresh consumer group that starts at the end of its
    topics; yields a connected hub to publish with."""
    group = ConsumerGroup(f"it-mobile-{uuid.uuid4().hex[:8]}", MOBILE_NOTIFICATIONS.handlers)
    async with running_group(settings, group) as publisher_hub:
        yield publisher_hub


@pytest.fixture
async def app(registry_hub: Hub, api: Api) -> ChannelApp:
    """A channel app with its own token, obtained as the app does (POST /channel/v1/token)."""
    return await channel_app(registry_hub, api)


async def _registered_person(hub: Hub) -> tuple[str, str]:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        person = await factories.retiree(session, tree.communities[0], status=Status.REGISTERED)
        return person.personal_number, person.id_number


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
    notifications_worker: Hub, registry_hub: Hub, app: ChannelApp
) -> None:
    """4.5 (issue 5): the reminder event reaches the mobile channel's table once; the app lists it and marks it read."""
    person, id_number = await _registered_person(registry_hub)
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

    url = "/channel/v1/me/notifications"
    headers = await app.retiree_headers(id_number)
    listed = await app.api.call("GET", url, headers, params={"unread": "true", "limit": 50})
    assert listed.status_code == 200, listed.text
    inbox = listed.json()
    assert inbox["unread_count"] == 2 and len(inbox["items"]) == 2
    due = today + timedelta(days=20)
    reminder = next(item for item in inbox["items"] if item["due_on"] == due.isoformat())
    assert reminder["title"] == "资格认证到期提醒" and reminder["kind_label"] == "资格认证提醒"
    assert f"{due.year}年{due.month}月{due.day}日" in reminder["body"] and "认证" in reminder["body"]
    assert reminder["read"] is False

    read = await app.api.call("POST", f"{url}/read", headers, json={"ids": [reminder["id"]]})
    assert read.status_code == 200, read.text
    assert read.json() == {"marked": [reminder["id"]], "unread_count": 1}
    again = await app.api.call("POST", f"{url}/read", headers, json={"ids": [reminder["id"]]})
    assert again.json() == {"marked": [], "unread_count": 1}  # marking twice changes nothing

    other = next(item["id"] for item in inbox["items"] if item["id"] != reminder["id"])
    unread_only = (await app.api.call("GET", url, headers, params={"unread": "true"})).json()
    assert [item["id"] for item in unread_only["items"]] == [other]
    everything = (await app.api.call("GET", url, headers)).json()
    marked = next(item for item in everything["items"] if item["id"] == reminder["id"])
    assert marked["read"] is True and marked["read_at"] is not None


async def test_4_5_the_same_event_applied_twice_by_the_domain_handler_is_one_notification(registry_hub: Hub) -> None:
    """4.5 (issue 5): idempotent by event id even past the consumer's own check (e.g. a group re-reading the topic
    under a new name): the handler applied twice to one event leaves one row."""
    person, _ = await _registered_person(registry_hub)
    event = _reminder(person, date.today() + timedelta(days=5), date.today())
    for _ in range(2):
        async with registry_hub.sessions() as session, session.begin():
            await on_certification_reminder_due(
                event.data, Inbound(event.id, event.time), registry_hub.unit_of_work(session, "test")
            )
    async with registry_hub.sessions() as session:
        count = await session.scalar(select(func.count()).where(col(RetireeNotification.source_event_id) == event.id))
    assert count == 1


async def test_4_5_the_inbox_needs_a_retiree_token_not_the_apps_own(app: ChannelApp) -> None:
    """4.5 (issues 5, 20): without a token 401 "请先…", and the app's own token names no retiree: 401 too."""
    url = "/channel/v1/me/notifications"
    for method, path, body in [("GET", url, None), ("POST", f"{url}/read", {"ids": [1]})]:
        answer = await app.api.call(method, path, app.headers, json=body)
        assert answer.status_code == 401 and answer.json()["code"] == "TOKEN_INVALID", answer.text
        anonymous = await app.api.call(method, path, {}, json=body)
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.json()["message"].startswith("请先")


async def test_4_5_the_set_based_twin_writes_each_reminder_once_as_the_one_by_one_handler_does(
    registry_hub: Hub,
) -> None:
    """4.5 (issue 20): a proof-of-life season's burst takes the set-based path; the same run twice adds nothing."""
    people = [(await _registered_person(registry_hub))[0] for _ in range(3)]
    events = [_reminder(p, date.today() + timedelta(days=30), date.today()) for p in people]
    for _ in range(2):
        async with registry_hub.sessions() as session, session.begin():
            await on_certification_reminders_due(
                [(e.data, Inbound(e.id, e.time)) for e in events], registry_hub.unit_of_work(session, "test")
            )
    rows = [n for p in people for n in await _notifications(registry_hub, p)]
    assert sorted(n.source_event_id for n in rows) == sorted(e.id for e in events)
    assert {n.kind for n in rows} == {"certification_reminder"} and all(n.due_on for n in rows)
