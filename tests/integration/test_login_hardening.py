"""Issue 13, login hardening (等保 level 3): lock-out and unlock, login rate limits, logout and token revocation,
password expiry, history and the forced first change, their audit, and the security headers of every answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from app.api import create_app
from domain.audit.models import AuditEntry
from domain.staff.models import StaffAccount
from hub.bootstrap import Hub, bootstrap
from hub.settings import Settings
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration
LOGIN = "/api/v1/auth/login"


@dataclass
class People:
    operator: StaffAccount
    sysadmin: dict[str, str]
    secadmin: dict[str, str]
    auditor: dict[str, str]
    community_id: int


@pytest.fixture
async def people(registry_hub: Hub, api: Api) -> People:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.communities[0], "operator")
        sysadmin = await factories.account(session, tree.city, "system_admin", id_number=factories.id_number())
        secadmin = await factories.account(session, tree.city, "security_admin", id_number=factories.id_number())
        auditor = await factories.account(session, tree.city, "auditor", id_number=factories.id_number())
    assert tree.communities[0].id is not None
    return People(
        operator,
        await api.token(sysadmin.username),
        await api.token(secadmin.username),
        await api.token(auditor.username),
        tree.communities[0].id,
    )


async def _login(api: Api, username: str, password: str = factories.PASSWORD) -> httpx.Response:
    return await api.client.post(LOGIN, json={"username": username, "password": password})


async def _fail(api: Api, username: str, times: int) -> None:
    for _ in range(times):
        answer = await _login(api, username, "Wrong2026password")
        assert answer.status_code == 401, answer.text


async def _actions(hub: Hub, target: str) -> list[str]:
    async with hub.sessions() as session:
        rows = await session.execute(
            select(col(AuditEntry.action)).where(col(AuditEntry.target) == target).order_by(col(AuditEntry.id))
        )
        return list(rows.scalars())


async def _set(hub: Hub, username: str, **values: object) -> None:
    async with hub.sessions() as session, session.begin():
        await session.execute(update(StaffAccount).where(col(StaffAccount.username) == username).values(**values))


def _bearer(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_1_2_five_failed_logins_lock_the_account_even_for_the_right_password(
    api: Api, people: People, registry_hub: Hub
) -> None:
    name = people.operator.username
    await _fail(api, name, 4)
    fifth = await _login(api, name, "Wrong2026password")
    assert fifth.status_code == 401 and fifth.json()["code"] == "ACCOUNT_LOCKED", fifth.text
    right = await _login(api, name)
    assert right.status_code == 401 and right.json()["code"] == "ACCOUNT_LOCKED"
    assert "锁定" in right.json()["message"] and right.json()["detail"]["locked_until"]
    actions = await _actions(registry_hub, name)
    assert actions.count("staff.login_failed") == 6 and "staff.locked" in actions


async def test_1_2_the_security_administrator_unlocks_and_the_owner_is_told_at_the_next_login(
    api: Api, people: People, registry_hub: Hub
) -> None:
    name, account_id = people.operator.username, people.operator.id
    await _fail(api, name, 5)
    refused = await api.call("POST", f"/api/v1/staff/{account_id}/unlock", people.sysadmin)
    assert refused.status_code == 403 and refused.json()["code"] == "PERMISSION_DENIED"
    unlocked = await api.call("POST", f"/api/v1/staff/{account_id}/unlock", people.secadmin)
    assert unlocked.status_code == 204, unlocked.text
    answer = await _login(api, name)
    assert answer.status_code == 200, answer.text
    assert answer.json()["failed_attempts_since_last_login"] == 5
    assert answer.json()["locked_since_last_login"] is True
    again = await _login(api, name)
    assert again.json()["failed_attempts_since_last_login"] == 0 and again.json()["locked_since_last_login"] is False
    assert "staff.unlock" in await _actions(registry_hub, name)


async def test_1_2_a_lock_ends_by_itself_after_the_cool_down(api: Api, people: People, registry_hub: Hub) -> None:
    name = people.operator.username
    await _fail(api, name, 5)
    assert (await _login(api, name)).json()["code"] == "ACCOUNT_LOCKED"
    await _set(registry_hub, name, locked_until=datetime.now(UTC) - timedelta(seconds=1))
    assert (await _login(api, name)).status_code == 200


async def test_1_2_failures_outside_the_window_do_not_add_up(api: Api, people: People, registry_hub: Hub) -> None:
    name = people.operator.username
    await _fail(api, name, 4)
    await _set(registry_hub, name, first_failed_login_at=datetime.now(UTC) - timedelta(minutes=16))
    await _fail(api, name, 1)
    assert (await _login(api, name)).status_code == 200


async def test_1_2_an_unknown_username_is_audited_and_answered_like_a_wrong_password(
    api: Api, people: People, registry_hub: Hub
) -> None:
    unknown = factories.code("ghost")
    ghost = await _login(api, unknown, "Wrong2026password")
    wrong = await _login(api, people.operator.username, "Wrong2026password")
    assert ghost.status_code == wrong.status_code == 401 and ghost.json() == wrong.json()
    assert await _actions(registry_hub, unknown) == ["staff.login_failed"]


@pytest.fixture
async def tight_api(settings: Settings) -> AsyncIterator[Api]:
    """An API process whose login limits are three attempts a minute per account and five per address."""
    tight = settings.model_copy(update={"login_rate_per_account": 3, "login_rate_per_address": 5})
    hub = bootstrap(tight, consumer_groups=())
    app = create_app(tight, hub=hub)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        yield Api(client)
    await hub.close()


async def test_1_2_logins_are_rate_limited_per_account_and_per_address_with_retry_after(
    tight_api: Api, people: People
) -> None:
    name = people.operator.username
    for _ in range(3):
        assert (await _login(tight_api, name, "Wrong2026password")).status_code == 401
    limited = await _login(tight_api, name)
    assert limited.status_code == 429 and limited.json()["code"] == "TOO_MANY_ATTEMPTS", limited.text
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    for _ in range(2):
        assert (await _login(tight_api, factories.code("other"), "Wrong2026password")).status_code == 401
    by_address = await _login(tight_api, factories.code("third"), "Wrong2026password")
    assert by_address.status_code == 429 and "Retry-After" in by_address.headers


async def test_1_2_logout_revokes_the_token(api: Api, people: People, registry_hub: Hub) -> None:
    headers = _bearer(await _login(api, people.operator.username))
    other = _bearer(await _login(api, people.operator.username))
    assert (await api.call("GET", "/api/v1/auth/me", headers)).status_code == 200
    assert (await api.call("POST", "/api/v1/auth/logout", headers)).status_code == 204
    after = await api.call("GET", "/api/v1/auth/me", headers)
    assert after.status_code == 401 and after.json()["code"] == "TOKEN_REVOKED"
    assert (await api.call("GET", "/api/v1/auth/me", other)).status_code == 200  # another session goes on
    assert "staff.logout" in await _actions(registry_hub, people.operator.username)


async def test_1_2_a_password_change_revokes_earlier_tokens_and_is_audited(
    api: Api, people: People, registry_hub: Hub
) -> None:
    name = people.operator.username
    headers = _bearer(await _login(api, name))
    change = {"current_password": factories.PASSWORD, "new_password": "Changed2026first"}
    assert (await api.call("POST", "/api/v1/auth/password", headers, json=change)).status_code == 204
    old = await api.call("GET", "/api/v1/retirees", headers)
    assert old.status_code == 401 and old.json()["code"] == "TOKEN_REVOKED"
    fresh = _bearer(await _login(api, name, "Changed2026first"))
    assert (await api.call("GET", "/api/v1/retirees", fresh)).status_code == 200
    assert "staff.change_own_password" in await _actions(registry_hub, name)


async def test_1_2_an_administrator_reset_revokes_tokens_and_forces_a_change(api: Api, people: People) -> None:
    name = people.operator.username
    headers = _bearer(await _login(api, name))
    reset = await api.call(
        "POST", f"/api/v1/staff/{people.operator.id}/password", people.sysadmin, json={"password": "Reset2026abcd"}
    )
    assert reset.status_code == 204, reset.text
    assert (await api.call("GET", "/api/v1/auth/me", headers)).json()["code"] == "TOKEN_REVOKED"
    answer = await _login(api, name, "Reset2026abcd")
    assert answer.json()["password_change_required"] is True
    assert answer.json()["password_change_reason"] == "first_login"


async def test_1_2_an_expired_password_allows_only_me_password_and_logout(
    api: Api, people: People, registry_hub: Hub
) -> None:
    name = people.operator.username
    await _set(registry_hub, name, password_changed_at=datetime.now(UTC) - timedelta(days=91))
    answer = await _login(api, name)
    assert answer.json()["password_change_required"] is True and answer.json()["password_change_reason"] == "expired"
    headers = _bearer(answer)
    me = (await api.call("GET", "/api/v1/auth/me", headers)).json()
    assert me["password_change_required"] is True and me["password_change_reason"] == "expired"
    refused = await api.call("GET", "/api/v1/retirees", headers)
    assert refused.status_code == 403 and refused.json()["code"] == "PASSWORD_CHANGE_REQUIRED"
    assert "密码已过期" in refused.json()["message"]
    change = {"current_password": factories.PASSWORD, "new_password": "Renewed2026abc"}
    assert (await api.call("POST", "/api/v1/auth/password", headers, json=change)).status_code == 204
    fresh = _bearer(await _login(api, name, "Renewed2026abc"))
    assert (await api.call("GET", "/api/v1/retirees", fresh)).status_code == 200


async def test_1_2_none_of_the_last_five_passwords_is_reused(api: Api, people: People) -> None:
    name = people.operator.username
    passwords = [factories.PASSWORD, *(f"History2026n{n}" for n in range(1, 6))]
    for current, new in pairwise(passwords):
        headers = _bearer(await _login(api, name, current))
        for old in passwords[max(0, passwords.index(new) - 5) : passwords.index(new)]:
            body = {"current_password": current, "new_password": old}
            reused = await api.call("POST", "/api/v1/auth/password", headers, json=body)
            assert reused.status_code == 422 and reused.json()["code"] == "PASSWORD_REUSED", (old, reused.text)
        body = {"current_password": current, "new_password": new}
        assert (await api.call("POST", "/api/v1/auth/password", headers, json=body)).status_code == 204
    # Six passwords on, the first one may be used again.
    headers = _bearer(await _login(api, name, passwords[-1]))
    body = {"current_password": passwords[-1], "new_password": passwords[0]}
    assert (await api.call("POST", "/api/v1/auth/password", headers, json=body)).status_code == 204


async def test_1_2_an_account_created_by_the_administrator_changes_its_password_first(
    api: Api, people: People, registry_hub: Hub
) -> None:
    body = {
        "username": factories.code("new"),
        "full_name": "新同事",
        "institution_id": people.community_id,
        "password": "Welcome2026abc",
    }
    created = await api.call("POST", "/api/v1/staff", people.sysadmin, json=body)
    assert created.status_code == 201, created.text
    name = str(body["username"])
    answer = await _login(api, name, "Welcome2026abc")
    assert answer.json()["password_change_required"] is True
    assert answer.json()["password_change_reason"] == "first_login"
    headers = _bearer(answer)
    grant = await api.call(
        "PUT", f"/api/v1/staff/{created.json()['id']}/role", people.secadmin, json={"role": "viewer"}
    )
    assert grant.status_code == 200, grant.text
    refused = await api.call("GET", "/api/v1/retirees", headers)
    assert refused.status_code == 403 and refused.json()["code"] == "PASSWORD_CHANGE_REQUIRED"
    assert "首次登录" in refused.json()["message"]
    assert (await api.call("GET", "/api/v1/auth/me", headers)).json()["password_change_reason"] == "first_login"
    change = {"current_password": "Welcome2026abc", "new_password": "Mine2026secret"}
    assert (await api.call("POST", "/api/v1/auth/password", headers, json=change)).status_code == 204
    fresh = _bearer(await _login(api, name, "Mine2026secret"))
    assert fresh and (await _login(api, name, "Mine2026secret")).json()["password_change_required"] is False
    assert (await api.call("GET", "/api/v1/retirees", fresh)).status_code == 200
    audit = await api.call("GET", "/api/v1/audit/entries", people.auditor, params={"action": "staff.login"})
    assert audit.status_code == 200
    actions = await _actions(registry_hub, name)
    assert actions[:1] == ["staff.create"] and "staff.login" in actions and "staff.change_own_password" in actions


async def test_1_2_security_headers_on_api_and_health_answers(api: Api, people: People) -> None:
    for answer in (
        await api.client.get("/health"),
        await api.call("GET", "/api/v1/auth/me", people.secadmin),
        await api.client.get("/api/v1/auth/me"),
    ):
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert (await api.call("GET", "/api/v1/auth/me", people.secadmin)).headers["Cache-Control"] == "no-store"
    docs = await api.client.get("/docs")
    assert "https://cdn.jsdelivr.net" in docs.headers["Content-Security-Policy"]
