"""1.3 / security requirement: staff see and change only their own institution's subtree — at the API, on every
endpoint that names a retiree, an institution or an application. Out-of-scope answers are indistinguishable from
"not found", so probing another community's numbers tells nothing."""

from __future__ import annotations

import pytest

from domain.registrations.models import RegistrationApplication
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


@pytest.fixture
async def two_communities(registry_hub: Hub) -> dict[str, object]:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        mine, theirs = tree.communities[0], tree.communities[3]
        me = await factories.account(session, mine, "operator")
        their_retiree = await factories.retiree(session, theirs)
        my_retiree = await factories.retiree(session, mine)
        applicant = await factories.retiree(session, None)
        assert applicant.id is not None and theirs.id is not None
        application = RegistrationApplication(
            id=factories.code("app"), retiree_id=applicant.id, community_id=theirs.id, channel_client="test"
        )
        session.add(application)
    return {
        "me": me.username,
        "their_retiree": their_retiree.id,
        "my_retiree": my_retiree.id,
        "theirs": theirs.id,
        "their_street": tree.streets[1].id,
        "application": application.id,
        "their_number": their_retiree.personal_number,
    }


ENDPOINTS: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/api/v1/retirees/{their_retiree}", None),
    ("PUT", "/api/v1/retirees/{their_retiree}/supplementary", {"special_categories": []}),
    ("GET", "/api/v1/retirees/{their_retiree}/status-changes", None),
    ("GET", "/api/v1/retirees/{their_retiree}/state-on?on=2026-01-01", None),
    ("POST", "/api/v1/retirees/{their_retiree}/status-changes/1/restore", {"remarks": "误操作恢复"}),
    ("GET", "/api/v1/retirees?institution_id={theirs}", None),
    ("GET", "/api/v1/institutions/{theirs}", None),
    ("PUT", "/api/v1/institutions/{theirs}", {"name": "改名社区"}),
    ("DELETE", "/api/v1/institutions/{theirs}", None),
    ("POST", "/api/v1/institutions", {"parent_id": "{their_street}", "code": "X123456", "name": "新社区"}),
    ("POST", "/api/v1/registrations/applications/{application}/confirm", None),
    ("POST", "/api/v1/registrations/applications/{application}/reject", {"reason": "不属于本社区"}),
    ("PUT", "/api/v1/auth/query-scope", {"institution_id": "{theirs}"}),
]


def _fill(value: object, ids: dict[str, object]) -> object:
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
async def test_community_staff_cannot_reach_another_community(
    api: Api, two_communities: dict[str, object], method: str, path: str, body: dict[str, object] | None
) -> None:
    headers = await api.token(str(two_communities["me"]))
    answer = await api.call(method, str(_fill(path, two_communities)), headers, json=_fill(body, two_communities))
    assert answer.status_code == 404, answer.text
    assert "不在本机构管辖范围内" in answer.json()["message"]


async def test_lists_hold_only_the_own_subtree(api: Api, two_communities: dict[str, object]) -> None:
    headers = await api.token(str(two_communities["me"]))
    page = (await api.call("GET", "/api/v1/retirees?size=200", headers)).json()
    ids = {item["id"] for item in page["items"]}
    assert two_communities["my_retiree"] in ids and two_communities["their_retiree"] not in ids
    assert page["total"] == len(ids)
    applications = (await api.call("GET", "/api/v1/registrations/applications", headers)).json()
    assert all(a["id"] != two_communities["application"] for a in applications)


async def test_city_wide_status_lookup_shows_status_but_masks_the_person(  # 6.7
    api: Api, two_communities: dict[str, object]
) -> None:
    headers = await api.token(str(two_communities["me"]))
    answer = await api.call("GET", f"/api/v1/retirees/status?number={two_communities['their_number']}", headers)
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert status["status"] == "registered" and status["in_own_scope"] is False
    assert status["retiree_id"] is None
    assert status["name"] == "王**" and "*" in status["id_number"]


async def test_people_without_an_institution_are_seen_by_the_city_level_only(registry_hub: Hub, api: Api) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        city_staff = await factories.account(session, tree.city, "viewer")
        district_staff = await factories.account(session, tree.district, "viewer")
        orphan = await factories.retiree(session, None)
    district = await api.token(district_staff.username)
    assert (await api.call("GET", f"/api/v1/retirees/{orphan.id}", district)).status_code == 404
    refused = await api.call("GET", "/api/v1/retirees?unregistered=true", district)
    assert refused.status_code == 422 and refused.json()["code"] == "CITY_LEVEL_ONLY"
    city = await api.token(city_staff.username)
    assert (await api.call("GET", f"/api/v1/retirees/{orphan.id}", city)).status_code == 200
    listed = (
        await api.call("GET", f"/api/v1/retirees?unregistered=true&personal_number={orphan.personal_number}", city)
    ).json()
    assert [item["id"] for item in listed["items"]] == [orphan.id]
