"""1.2 and the security requirement's separation of the three administrator roles (三员分离): the system
administrator creates accounts but cannot grant permissions, the security administrator grants roles and nothing
else, the auditor reads the audit trail and nothing else, and no person holds two of the three roles."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
import pytest

from hub.bootstrap import Hub
from hub.settings import DEVELOPMENT_SECRET
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration
OWN_PASSWORD = "Own2026password"


@dataclass
class Admins:
    sysadmin: dict[str, str]
    secadmin: dict[str, str]
    auditor: dict[str, str]
    operator: dict[str, str]
    community_id: int
    retiree_id: int
    secadmin_id_number: str


@pytest.fixture
async def admins(registry_hub: Hub, api: Api) -> Admins:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        sec_number = factories.id_number()
        sysadmin = await factories.account(session, tree.city, "system_admin", id_number=factories.id_number())
        secadmin = await factories.account(session, tree.city, "security_admin", id_number=sec_number)
        auditor = await factories.account(session, tree.city, "auditor", id_number=factories.id_number())
        operator = await factories.account(session, tree.communities[0], "operator")
        person = await factories.retiree(session, tree.communities[0])
    assert tree.communities[0].id is not None and person.id is not None
    return Admins(
        await api.token(sysadmin.username),
        await api.token(secadmin.username),
        await api.token(auditor.username),
        await api.token(operator.username),
        tree.communities[0].id,
        person.id,
        sec_number,
    )


async def _new_account(api: Api, admins: Admins, **extra: object) -> dict[str, object]:
    body = {
        "username": factories.code("new"),
        "full_name": "新同事",
        "institution_id": admins.community_id,
        "password": "Welcome2026abc",
        **extra,
    }
    answer = await api.call("POST", "/api/v1/staff", admins.sysadmin, json=body)
    assert answer.status_code == 201, answer.text
    account: dict[str, object] = answer.json()
    # Issue 13: an account the administrator created changes its first password before anything else.
    first = await api.token(str(account["username"]), "Welcome2026abc")
    change = {"current_password": "Welcome2026abc", "new_password": OWN_PASSWORD}
    assert (await api.call("POST", "/api/v1/auth/password", first, json=change)).status_code == 204
    return account


async def test_system_administrator_creates_accounts_without_any_role(api: Api, admins: Admins) -> None:
    account = await _new_account(api, admins)
    assert account["role"] is None and account["role_label"] == "未授权"
    headers = await api.token(str(account["username"]), OWN_PASSWORD)
    answer = await api.call("GET", "/api/v1/retirees", headers)
    assert answer.status_code == 403 and answer.json()["code"] == "PERMISSION_DENIED"


async def test_system_administrator_cannot_grant_roles_nor_read_retirees(api: Api, admins: Admins) -> None:
    account = await _new_account(api, admins)
    grant = await api.call("PUT", f"/api/v1/staff/{account['id']}/role", admins.sysadmin, json={"role": "operator"})
    assert grant.status_code == 403 and "系统管理员" in grant.json()["message"]
    assert (await api.call("GET", f"/api/v1/retirees/{admins.retiree_id}", admins.sysadmin)).status_code == 403
    assert (await api.call("GET", "/api/v1/audit/entries", admins.sysadmin)).status_code == 403


async def test_security_administrator_grants_roles_and_nothing_else(api: Api, admins: Admins) -> None:
    account = await _new_account(api, admins)
    grant = await api.call("PUT", f"/api/v1/staff/{account['id']}/role", admins.secadmin, json={"role": "operator"})
    assert grant.status_code == 200 and grant.json()["role"] == "operator", grant.text
    headers = await api.token(str(account["username"]), OWN_PASSWORD)
    assert (await api.call("GET", "/api/v1/retirees", headers)).status_code == 200
    create = await api.call(
        "POST",
        "/api/v1/staff",
        admins.secadmin,
        json={
            "username": factories.code("x"),
            "full_name": "某某",
            "institution_id": admins.community_id,
            "password": "Welcome2026abc",
        },
    )
    assert create.status_code == 403
    assert (await api.call("GET", f"/api/v1/retirees/{admins.retiree_id}", admins.secadmin)).status_code == 403
    assert (await api.call("GET", "/api/v1/audit/entries", admins.secadmin)).status_code == 403
    assert (await api.call("GET", "/api/v1/dictionary/codes", admins.secadmin)).status_code == 403


async def test_auditor_reads_the_audit_trail_and_nothing_else(api: Api, admins: Admins) -> None:
    assert (await api.call("GET", "/api/v1/audit/entries", admins.auditor)).status_code == 200
    verify = await api.call("GET", "/api/v1/audit/verify", admins.auditor)
    assert verify.status_code == 200 and verify.json()["intact"] is True, verify.text
    for method, path in [
        ("GET", f"/api/v1/retirees/{admins.retiree_id}"),
        ("GET", "/api/v1/retirees"),
        ("GET", "/api/v1/staff"),
        ("GET", "/api/v1/institutions"),
        ("GET", "/api/v1/dictionary/codes"),
        ("GET", "/api/v1/registrations/applications"),
    ]:
        answer = await api.call(method, path, admins.auditor)
        assert answer.status_code == 403, (path, answer.text)
    assert (await api.call("GET", "/api/v1/audit/entries", admins.operator)).status_code == 403


async def test_no_person_holds_two_administrator_roles(api: Api, admins: Admins, registry_hub: Hub) -> None:
    async with registry_hub.sessions() as session, session.begin():
        city = await factories.city(session)
        second = await factories.account(session, city, None, id_number=admins.secadmin_id_number)
    answer = await api.call("PUT", f"/api/v1/staff/{second.id}/role", admins.secadmin, json={"role": "auditor"})
    assert answer.status_code == 409 and answer.json()["code"] == "SEPARATION_OF_DUTIES", answer.text
    assert "三员不得兼任" in answer.json()["message"]


async def test_administrator_roles_exist_at_the_city_level_only(api: Api, admins: Admins) -> None:
    account = await _new_account(api, admins, id_number=factories.id_number())
    answer = await api.call("PUT", f"/api/v1/staff/{account['id']}/role", admins.secadmin, json={"role": "auditor"})
    assert answer.status_code == 422 and answer.json()["code"] == "ROLE_LEVEL"


async def test_nobody_grants_themself_a_role(api: Api, admins: Admins, registry_hub: Hub) -> None:
    username = (await api.call("GET", "/api/v1/auth/me", admins.secadmin)).json()["username"]
    accounts = (await api.call("GET", "/api/v1/staff", admins.secadmin)).json()
    me_id = next(a["id"] for a in accounts if a["username"] == username)
    answer = await api.call("PUT", f"/api/v1/staff/{me_id}/role", admins.secadmin, json={"role": "operator"})
    assert answer.status_code in (403, 422), answer.text


async def test_a_withdrawn_role_takes_effect_at_once(api: Api, admins: Admins) -> None:
    account = await _new_account(api, admins)
    await api.call("PUT", f"/api/v1/staff/{account['id']}/role", admins.secadmin, json={"role": "viewer"})
    headers = await api.token(str(account["username"]), OWN_PASSWORD)
    assert (await api.call("GET", "/api/v1/retirees", headers)).status_code == 200
    await api.call("PUT", f"/api/v1/staff/{account['id']}/role", admins.secadmin, json={"role": None})
    assert (await api.call("GET", "/api/v1/retirees", headers)).status_code == 403


async def test_login_refuses_a_wrong_password_and_an_expired_token(api: Api, admins: Admins) -> None:
    account = await _new_account(api, admins)
    wrong = await api.client.post(
        "/api/v1/auth/login", json={"username": account["username"], "password": "nope-nope-1"}
    )
    assert wrong.status_code == 401 and wrong.json()["message"] == "用户名或密码错误"
    unknown = await api.client.post("/api/v1/auth/login", json={"username": "nobody-here", "password": "nope-nope-1"})
    assert unknown.status_code == 401 and unknown.json() == wrong.json()
    expired = jwt.encode({"sub": account["username"], "aud": "staff", "exp": 1}, DEVELOPMENT_SECRET, algorithm="HS256")
    answer = await api.call("GET", "/api/v1/auth/me", {"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401 and answer.json()["code"] == "TOKEN_EXPIRED"
