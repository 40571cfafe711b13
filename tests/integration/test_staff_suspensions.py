"""Staff actions of 4.5 through the staff API: suspend selected retirees (the ones that cannot be suspended are named
with the reason, the others go ahead), resume only those who qualify, on-site certification (4.3) resuming a
retiree suspended for missing certification, and the one sentence a community worker reads aloud (issue 5)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Status, Suspend
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories
from tests.support.api import Api
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def today() -> date:
    """The city's date, as the staff API's checks use it, read when the test starts rather than at import: a run
    that crosses the city's midnight (16:00 UTC) would otherwise send "tomorrow" as today. A test starting in the
    last minute before midnight waits for the new day, so the date cannot change under it."""

    async def clear_of_midnight() -> bool:
        return datetime.now(calendar.BUSINESS_TZ).time() < time(23, 59)

    await wait_until(clear_of_midnight, 90, "the city's new day")
    return calendar.today()


async def _community_with_people(hub: Hub, count: int) -> tuple[str, str, list[Retiree]]:
    """An operator of one community, a viewer there, and ``count`` registered retirees of that community."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.communities[0], "operator")
        viewer = await factories.account(session, tree.communities[0], "viewer")
        people = [await factories.retiree(session, tree.communities[0]) for _ in range(count)]
        outsider = await factories.retiree(session, tree.communities[1])
        for person in [*people, outsider]:
            session.expunge(person)
        return operator.username, viewer.username, [*people, outsider]


async def _told_province(hub: Hub, personal_number: str) -> list[tuple[str, str]]:
    async with hub.sessions() as session:
        payloads = (
            await session.execute(
                select(col(OutboxMessage.payload))
                .where(col(OutboxMessage.key) == personal_number)
                .where(col(OutboxMessage.event_type) == "person_status.changed")
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        return [(e["change_kind"], e["reason_code"]) for e in map(json.loads, payloads)]


async def test_4_5_suspend_selected_names_who_could_not_be_suspended_and_does_the_rest(
    registry_hub: Hub, api: Api, today: date
) -> None:
    operator, viewer, people = await _community_with_people(registry_hub, 3)
    first, second, third, outsider = people
    headers = await api.token(operator)
    body = {
        "retiree_ids": [first.id, second.id, outsider.id, first.id],
        "effective_date": today.isoformat(),
        "remarks": "本人申请暂停",
    }
    answer = await api.call("POST", "/api/v1/retirees/suspensions", headers, json=body)
    assert answer.status_code == 200, answer.text
    outcomes = {o["retiree_id"]: o for o in answer.json()}
    assert len(answer.json()) == 3  # a retiree selected twice is handled once
    assert outcomes[first.id]["done"] and outcomes[second.id]["done"]
    assert not outcomes[outsider.id]["done"] and outcomes[outsider.id]["message"]

    again = await api.call("POST", "/api/v1/retirees/suspensions", headers, json={**body, "retiree_ids": [first.id]})
    assert again.json()[0]["done"] is False and again.json()[0]["code"] == "ILLEGAL_TRANSITION"
    assert await _told_province(registry_hub, first.personal_number) == [("suspended", "S04")]
    assert await _told_province(registry_hub, third.personal_number) == []

    viewer_headers = await api.token(viewer)
    refused = await api.call("POST", "/api/v1/retirees/suspensions", viewer_headers, json=body)
    assert refused.status_code == 403

    resumed = await api.call(
        "POST",
        f"/api/v1/retirees/{first.id}/resume",
        headers,
        json={"effective_date": today.isoformat(), "remarks": "本人申请恢复"},
    )
    assert resumed.status_code == 201, resumed.text
    assert resumed.json()["kind"] == "resumed" and resumed.json()["reason_code"] == "R02"
    assert await _told_province(registry_hub, first.personal_number) == [("suspended", "S04"), ("resumed", "R02")]
    not_suspended = await api.call(
        "POST",
        f"/api/v1/retirees/{third.id}/resume",
        headers,
        json={"effective_date": today.isoformat(), "remarks": "误操作"},
    )
    assert not_suspended.status_code == 422 and not_suspended.json()["code"] == "NOT_SUSPENDED"


async def test_4_5_a_retiree_suspended_for_missing_certification_resumes_only_once_certified(
    registry_hub: Hub, api: Api, today: date
) -> None:
    operator, _, people = await _community_with_people(registry_hub, 1)
    person = people[0]
    assert person.id is not None
    async with registry_hub.sessions() as session, session.begin():
        locked = await status_log.locked_retiree(session, person.id)
        locked.last_certified_on = today - timedelta(days=220)
        await status_log.apply(
            registry_hub.unit_of_work(session, "test"),
            factories.SETUP,
            locked,
            Suspend(ReasonCode.CERTIFICATION_OVERDUE),
            effective_date=today - timedelta(days=30),
            cause=status_log.Cause(CauseType.RULE, "test"),
        )
    headers = await api.token(operator)
    standing = (await api.call("GET", f"/api/v1/retirees/{person.id}/certification", headers)).json()
    assert standing["status"] == "suspended" and standing["suspension_reason"] == "S01"
    assert "暂停发放" in standing["sentence"] and "自动恢复" in standing["sentence"]

    early = await api.call(
        "POST",
        f"/api/v1/retirees/{person.id}/resume",
        headers,
        json={"effective_date": today.isoformat(), "remarks": "申请恢复"},
    )
    assert early.status_code == 422 and early.json()["code"] == "CERTIFICATION_STILL_OVERDUE", early.text

    future = await api.call(
        "POST",
        f"/api/v1/retirees/{person.id}/certifications",
        headers,
        json={"certified_on": (today + timedelta(days=1)).isoformat()},
    )
    assert future.status_code == 422
    certified = await api.call(
        "POST", f"/api/v1/retirees/{person.id}/certifications", headers, json={"certified_on": today.isoformat()}
    )
    assert certified.status_code == 201, certified.text
    assert certified.json()["outcome"] == "resumed"
    assert "正常发放" in certified.json()["sentence"]
    twice = await api.call(
        "POST", f"/api/v1/retirees/{person.id}/certifications", headers, json={"certified_on": today.isoformat()}
    )
    assert twice.json()["outcome"] == "already_recorded"

    after = (await api.call("GET", f"/api/v1/retirees/{person.id}/certification", headers)).json()
    assert after["status"] == Status.REGISTERED.value and after["last_certified"] == today.isoformat()
    assert [h["source"] for h in after["history"]] == ["on_site"]
    assert await _told_province(registry_hub, person.personal_number) == [("suspended", "S01"), ("resumed", "R01")]
