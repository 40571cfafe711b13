"""1.1 institution management (add, change, delete under one's own, no delete while referenced), 1.3 the query scope,
and 1.4 the data dictionary (codes and parameters; built-in or used codes are not deleted)."""

from __future__ import annotations

import pytest

from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


async def test_a_district_adds_changes_and_deletes_its_institutions(registry_hub: Hub, api: Api) -> None:  # 1.1
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        staff = await factories.account(session, tree.district, "operator")
    headers = await api.token(staff.username)
    street = tree.streets[0].id
    created = await api.call(
        "POST",
        "/api/v1/institutions",
        headers,
        json={"parent_id": street, "code": factories.code("N"), "name": "新建社区"},
    )
    assert created.status_code == 201 and created.json()["level"] == "community", created.text
    new_id = created.json()["id"]
    below = await api.call(
        "POST",
        "/api/v1/institutions",
        headers,
        json={"parent_id": new_id, "code": factories.code("N"), "name": "再下一级"},
    )
    assert below.status_code == 422 and below.json()["code"] == "NO_CHILD_LEVEL"
    renamed = await api.call("PUT", f"/api/v1/institutions/{new_id}", headers, json={"name": "新建社区（更名）"})
    assert renamed.json()["name"] == "新建社区（更名）"
    own = await api.call("PUT", f"/api/v1/institutions/{tree.district.id}", headers, json={"name": "自己改自己"})
    assert own.status_code == 422 and own.json()["code"] == "OWN_INSTITUTION"
    assert (await api.call("DELETE", f"/api/v1/institutions/{new_id}", headers)).status_code == 204
    assert (await api.call("GET", f"/api/v1/institutions/{new_id}", headers)).status_code == 404


async def test_an_institution_still_referenced_is_not_deleted(registry_hub: Hub, api: Api) -> None:  # 1.1
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        staff = await factories.account(session, tree.district, "operator")
        await factories.retiree(session, tree.communities[0])
        await factories.retiree(session, tree.communities[0])
    headers = await api.token(staff.username)
    answer = await api.call("DELETE", f"/api/v1/institutions/{tree.communities[0].id}", headers)
    assert answer.status_code == 409 and answer.json()["code"] == "INSTITUTION_IN_USE"
    assert "退休人员2条" in answer.json()["message"]
    street = await api.call("DELETE", f"/api/v1/institutions/{tree.streets[0].id}", headers)
    assert street.status_code == 409 and "下级机构2条" in street.json()["message"]


async def test_the_query_scope_narrows_lists_within_the_own_subtree(registry_hub: Hub, api: Api) -> None:  # 1.3
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        staff = await factories.account(session, tree.district, "viewer")
        first = await factories.retiree(session, tree.communities[0])
        other = await factories.retiree(session, tree.communities[2])
    headers = await api.token(staff.username)

    async def listed() -> set[int]:
        page = (await api.call("GET", "/api/v1/retirees?size=200", headers)).json()
        return {item["id"] for item in page["items"]}

    assert {first.id, other.id} <= await listed()
    scoped = await api.call("PUT", "/api/v1/auth/query-scope", headers, json={"institution_id": tree.streets[0].id})
    assert scoped.status_code == 200 and scoped.json()["query_scope"]["id"] == tree.streets[0].id
    assert first.id in await listed() and other.id not in await listed()
    await api.call("PUT", "/api/v1/auth/query-scope", headers, json={"institution_id": None})
    assert other.id in await listed()


async def test_dictionary_codes_and_parameters(registry_hub: Hub, api: Api) -> None:  # 1.4
    async with registry_hub.sessions() as session, session.begin():
        city = await factories.city(session)
        admin = await factories.account(session, city, "system_admin", id_number=factories.id_number())
        viewer = await factories.account(session, city, "viewer")
    headers = await api.token(admin.username)
    sexes = (await api.call("GET", "/api/v1/dictionary/codes?category=sex", headers)).json()
    assert {c["code"]: c["label"] for c in sexes} == {"0": "未知的性别", "1": "男", "2": "女", "9": "未说明的性别"}
    code = factories.code("")[:8]
    added = await api.call(
        "POST", "/api/v1/dictionary/codes/health_status", headers, json={"code": code, "label": "需要照护"}
    )
    assert added.status_code == 201, added.text
    assert (await api.call("DELETE", f"/api/v1/dictionary/codes/health_status/{code}", headers)).status_code == 204
    builtin = await api.call("DELETE", "/api/v1/dictionary/codes/sex/1", headers)
    assert builtin.status_code == 409 and builtin.json()["code"] == "CODE_BUILTIN"
    param = await api.call(
        "PUT", "/api/v1/dictionary/parameters/registration_deadline_days", headers, json={"value": "120"}
    )
    assert param.status_code == 200 and param.json()["value"] == "120"
    bad = await api.call(
        "PUT", "/api/v1/dictionary/parameters/registration_deadline_days", headers, json={"value": "九十"}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "PARAMETER_NOT_A_NUMBER"
    await api.call("PUT", "/api/v1/dictionary/parameters/registration_deadline_days", headers, json={"value": "90"})
    reader = await api.token(viewer.username)
    assert (await api.call("GET", "/api/v1/dictionary/parameters", reader)).status_code == 200
    assert (
        await api.call("PUT", "/api/v1/dictionary/parameters/registration_deadline_days", reader, json={"value": "1"})
    ).status_code == 403
