"""The mobile channel's caller identity and self-service look-ups (issue 20; function points 4.1, 4.4, 4.5).

An app vouches for the retiree it acts for with a signed, short-lived, single-use assertion and receives a retiree
token; every retiree-level endpoint answers about that retiree only. A disabled app is refused, each app has its
own rate limit, a forged or replayed assertion is refused, and every call is audited with the client id.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select, update
from sqlmodel import col

from app.api import ROUTERS
from app.jobs import forget_spent_assertions
from domain.audit.models import AuditEntry
from domain.channel_access.models import UsedAssertion
from domain.dictionary.codes import ReasonCode
from domain.registrations.models import RegistrationApplication
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.shared.masking import mask_name
from domain.staff.models import ChannelClient
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api
from tests.support.channel import CLIENT_SECRET, ChannelApp, channel_app

pytestmark = pytest.mark.integration

# The client-level endpoints (the app's own token); every other channel endpoint is retiree-level.
CLIENT_LEVEL = {
    ("POST", "/channel/v1/token"),
    ("POST", "/channel/v1/retiree-sessions"),
    ("GET", "/channel/v1/communities"),
}


@dataclass(frozen=True)
class People:
    mine: Retiree
    other: Retiree
    other_application: str
    staff: dict[str, str]


async def _people(hub: Hub, api: Api) -> People:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        community.address = "长安区建设北大街12号"
        community.phone = "0311-85551234"
        mine = await factories.retiree(session, community, status=Status.SUSPENDED, name="李秀英")
        mine.suspension_reason = ReasonCode.CERTIFICATION_OVERDUE.value
        mine.last_certified_on = date(2025, 3, 10)
        other = await factories.retiree(session, tree.communities[1], name="赵国强")
        applicant = await factories.retiree(session, name="钱学明")
        assert applicant.id is not None and tree.communities[1].id is not None
        application = RegistrationApplication(
            id=f"RA-{uuid.uuid4().hex[:12]}",
            retiree_id=applicant.id,
            community_id=tree.communities[1].id,
            channel_client="other-app",
        )
        session.add(application)
        staff = await factories.account(session, tree.city, "operator")
    return People(mine, other, application.id, await api.token(staff.username))


def _channel_routes() -> list[tuple[str, str]]:
    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    return sorted((m, r.path) for r in routes if r.path.startswith("/channel/") for m in (r.methods or set()))


async def test_4_1_every_retiree_level_endpoint_refuses_the_apps_own_token_and_answers_for_the_vouched_retiree_only(
    registry_hub: Hub, api: Api
) -> None:
    people = await _people(registry_hub, api)
    app = await channel_app(registry_hub, api)
    mine = await app.retiree_headers(people.mine.id_number)
    retiree_level = [(m, p) for m, p in _channel_routes() if (m, p) not in CLIENT_LEVEL]
    assert len(retiree_level) >= 9, retiree_level  # identify, apply, application, 5 look-ups, notifications x2
    for method, path in retiree_level:
        concrete = path.replace("{application_id}", people.other_application)
        answer = await api.call(method, concrete, app.headers, json={})
        assert answer.status_code == 401, (method, path, answer.text)  # the app's token names no retiree

    # What names another retiree in the request is refused; what names none answers about mine.
    other = {
        "id_number": people.other.id_number,
        "name": people.other.name,
        "personal_number": people.other.personal_number,
    }
    refused = await api.call("POST", "/channel/v1/identify", mine, json=other)
    assert refused.status_code == 403 and refused.json()["code"] == "RETIREE_NOT_VOUCHED"
    applied = await api.call(
        "POST", "/channel/v1/registration-applications", mine, json=other | {"community_code": "C1"}
    )
    assert applied.status_code == 403 and applied.json()["code"] == "RETIREE_NOT_VOUCHED"
    foreign = await api.call("GET", f"/channel/v1/registration-applications/{people.other_application}", mine)
    assert foreign.status_code == 404 and foreign.json()["code"] == "APPLICATION_NOT_FOUND"
    gone = await api.call("GET", f"/channel/v1/retirees/{people.other.personal_number}/notifications", mine)
    assert gone.status_code == 404  # the old path that took any personal number is no more
    for path in ("/me/status", "/me/certification", "/me/community"):
        answer = await api.call("GET", f"/channel/v1{path}", mine)
        assert answer.status_code == 200, answer.text
        assert people.other.name not in answer.text and (mask_name(people.other.name) or "") not in answer.text
    status = (await api.call("GET", "/channel/v1/me/status", mine)).json()
    assert status["personal_number"] == people.mine.personal_number


async def test_4_5_my_status_is_the_consoles_sentence_and_my_community_has_its_address_and_phone(
    registry_hub: Hub, api: Api
) -> None:
    people = await _people(registry_hub, api)
    app = await channel_app(registry_hub, api)
    mine = await app.retiree_headers(people.mine.id_number)

    status = (await api.call("GET", "/channel/v1/me/status", mine)).json()
    console = await api.call("GET", f"/api/v1/retirees/{people.mine.id}/certification", people.staff)
    assert console.status_code == 200, console.text
    masked = mask_name(people.mine.name) or ""
    assert status["sentence"] == console.json()["sentence"].replace(people.mine.name, masked)
    assert "暂停发放" in status["sentence"] and "自动恢复" in status["sentence"]
    assert status["status_label"] and status["name"] == masked and "*" in status["id_number"]
    assert status["phone"] != "13803112345"  # masked

    certification = (await api.call("GET", "/channel/v1/me/certification", mine)).json()
    assert certification["last_certified_on"] == "2025-03-10" and certification["next_due_on"] == "2025-09-10"
    assert certification["days_left"] < 0 and certification["history"] == []

    community = (await api.call("GET", "/channel/v1/me/community", mine)).json()
    assert community["registered"] and community["address"] == "长安区建设北大街12号"
    assert community["phone"] == "0311-85551234" and community["street"] == "测试街道0"
    assert (await api.call("GET", "/channel/v1/me/transfers", mine)).json() == []
    none = await api.call("GET", "/channel/v1/me/registration-application", mine)
    assert none.status_code == 404 and none.json()["code"] == "APPLICATION_NOT_FOUND"

    async with registry_hub.sessions() as session:
        audited = (
            await session.execute(
                select(col(AuditEntry.target)).where(
                    col(AuditEntry.actor) == f"channel:{app.client_id}", col(AuditEntry.retiree_id) == people.mine.id
                )
            )
        ).scalars()
        assert {"GET /channel/v1/me/status", "GET /channel/v1/me/community"} <= set(audited)


async def test_4_1_a_disabled_client_is_refused_with_its_own_token_and_its_retiree_tokens(
    registry_hub: Hub, api: Api
) -> None:
    people = await _people(registry_hub, api)
    app = await channel_app(registry_hub, api)
    mine = await app.retiree_headers(people.mine.id_number)
    async with registry_hub.sessions() as session, session.begin():
        await session.execute(
            update(ChannelClient).where(col(ChannelClient.client_id) == app.client_id).values(active=False)
        )
    login = await api.client.post(
        "/channel/v1/token", json={"client_id": app.client_id, "client_secret": CLIENT_SECRET}
    )
    assert login.status_code == 401 and login.json()["code"] == "CLIENT_AUTH_FAILED"
    for headers, path in ((app.headers, "/channel/v1/communities?keyword=测试"), (mine, "/channel/v1/me/status")):
        answer = await api.call("GET", path, headers)
        assert answer.status_code == 401 and answer.json()["code"] == "CLIENT_DISABLED", answer.text


async def test_4_1_each_client_has_its_own_rate_limit(registry_hub: Hub, api: Api) -> None:
    people = await _people(registry_hub, api)
    slow = await channel_app(registry_hub, api, rate_limit_per_minute=3)
    other = await channel_app(registry_hub, api, rate_limit_per_minute=3)
    mine = await slow.retiree_headers(people.mine.id_number)  # call 1 of 3
    assert (await api.call("GET", "/channel/v1/me/status", mine)).status_code == 200
    assert (await api.call("GET", "/channel/v1/me/community", mine)).status_code == 200
    limited = await api.call("GET", "/channel/v1/me/status", mine)
    assert limited.status_code == 429 and limited.json()["code"] == "CLIENT_RATE_LIMITED"
    assert limited.json()["detail"]["retry_after"] >= 1
    assert (await api.call("GET", "/channel/v1/communities?keyword=测试", other.headers)).status_code == 200


async def _exchange(app: ChannelApp, assertion: str) -> tuple[int, str]:
    answer = await app.api.call("POST", "/channel/v1/retiree-sessions", app.headers, json={"assertion": assertion})
    return answer.status_code, answer.json().get("code", "")


async def test_4_1_a_forged_or_replayed_assertion_is_refused(registry_hub: Hub, api: Api) -> None:
    people = await _people(registry_hub, api)
    app = await channel_app(registry_hub, api)
    stranger = await channel_app(registry_hub, api)
    number = people.mine.id_number

    forged = app.assertion(number, secret="not-the-apps-signing-secret-0123456789")
    assert await _exchange(app, forged) == (401, "ASSERTION_INVALID")
    # Another app's genuine assertion, presented under this app's token: wrong issuer and key.
    assert await _exchange(app, stranger.assertion(number)) == (401, "ASSERTION_INVALID")
    assert await _exchange(app, app.assertion(number, lifetime=3600)) == (401, "ASSERTION_INVALID")
    assert await _exchange(app, app.assertion(number, issued=time.time() - 1000)) == (401, "ASSERTION_INVALID")
    assert await _exchange(app, "not.a.jwt" + "x" * 20) == (401, "ASSERTION_INVALID")

    once = app.assertion(number, jti=f"jti-{uuid.uuid4().hex}")
    first = await app.api.call("POST", "/channel/v1/retiree-sessions", app.headers, json={"assertion": once})
    assert first.status_code == 201 and first.json()["personal_number"] == people.mine.personal_number
    assert await _exchange(app, once) == (401, "ASSERTION_REPLAYED")

    unknown = factories.id_number()
    assert await _exchange(app, app.assertion(unknown)) == (404, "RETIREE_NOT_FOUND")

    token = first.json()["access_token"]
    head, claims, _ = token.split(".")
    forged_token = {"Authorization": f"Bearer {head}.{claims}.{'A' * 43}"}
    answer = await api.call("GET", "/channel/v1/me/status", forged_token)
    assert answer.status_code == 401 and answer.json()["code"] == "TOKEN_INVALID"


async def test_4_1_spent_assertions_past_their_expiry_are_forgotten_by_the_nightly_job(
    registry_hub: Hub, api: Api
) -> None:
    people = await _people(registry_hub, api)
    app = await channel_app(registry_hub, api)
    jti = f"jti-{uuid.uuid4().hex}"
    first = await _exchange(app, app.assertion(people.mine.id_number, jti=jti))
    assert first[0] == 201
    async with registry_hub.sessions() as session, session.begin():
        await session.execute(
            update(UsedAssertion)
            .where(col(UsedAssertion.jti) == jti)
            .values(expires_at=datetime.now(UTC) - timedelta(days=1))
        )
    assert await forget_spent_assertions(registry_hub) >= 1
    async with registry_hub.sessions() as session:
        assert (await session.execute(select(UsedAssertion).where(col(UsedAssertion.jti) == jti))).first() is None
