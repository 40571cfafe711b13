"""4.1 as the staff console shows it: the pending mobile applications name the community applied to, so a street
worker deciding for several communities sees which one, and only those of their scope (1.3)."""

from __future__ import annotations

import uuid

import pytest

from domain.registrations.models import RegistrationApplication
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


async def test_4_1_pending_applications_name_their_community_within_the_callers_scope(
    registry_hub: Hub, api: Api
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        street_worker = await factories.account(session, tree.streets[0], Role.OPERATOR)
        ids = {}
        for community in (tree.communities[1], tree.communities[2]):  # under street 0, under street 1
            applicant = await factories.retiree(session, name="申请人")
            assert applicant.id is not None and community.id is not None
            ids[community.name] = str(uuid.uuid4())
            session.add(
                RegistrationApplication(
                    id=ids[community.name],
                    retiree_id=applicant.id,
                    community_id=community.id,
                    channel_client="t",
                    contact_phone="13903111234",
                )
            )
    headers = await api.token(street_worker.username)

    listed = await api.call("GET", "/api/v1/registrations/applications", headers)
    assert listed.status_code == 200, listed.text
    assert [(a["id"], a["community"], a["contact_phone"]) for a in listed.json()] == [
        (ids["测试社区01"], "测试社区01", "139****1234")
    ]

    confirmed = await api.call("POST", f"/api/v1/registrations/applications/{ids['测试社区01']}/confirm", headers)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["community"] == "测试社区01" and confirmed.json()["state"] == "confirmed"
    out_of_scope = await api.call("POST", f"/api/v1/registrations/applications/{ids['测试社区10']}/confirm", headers)
    assert out_of_scope.status_code in (403, 404), out_of_scope.text
