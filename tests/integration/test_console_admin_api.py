"""What the console's administration pages need from the API (issue 13): the audit trail filtered by target and time
range with a count for paging, the dictionary's category names, and the rule parameters' kinds and valid ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


async def test_1_2_the_auditor_filters_the_trail_by_target_and_time_and_counts_it(registry_hub: Hub, api: Api) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        auditor = await factories.account(session, tree.city, "auditor")
        worker = await factories.account(session, tree.district, "operator")
    started = datetime.now(UTC) - timedelta(seconds=1)
    await api.token(worker.username)
    await api.token(worker.username)
    headers = await api.token(auditor.username)
    query = {"action": "staff.login", "target": worker.username, "since": started.isoformat()}
    listed = await api.call("GET", "/api/v1/audit/entries", headers, params=query)
    assert listed.status_code == 200, listed.text
    assert [e["actor"] for e in listed.json()] == [worker.username, worker.username]
    counted = await api.call("GET", "/api/v1/audit/entries/count", headers, params=query)
    assert counted.json() == {"total": 2}
    second = await api.call("GET", "/api/v1/audit/entries", headers, params={**query, "offset": 1, "size": 1})
    assert [e["id"] for e in second.json()] == [listed.json()[1]["id"]]
    before = await api.call(
        "GET", "/api/v1/audit/entries/count", headers, params={**query, "until": started.isoformat()}
    )
    assert before.json() == {"total": 0}
    refused = await api.call("GET", "/api/v1/audit/entries/count", await api.token(worker.username))
    assert refused.status_code == 403 and refused.json()["code"] == "PERMISSION_DENIED"


async def test_1_4_the_dictionary_names_its_categories_and_the_parameters_their_ranges(
    registry_hub: Hub, api: Api
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        admin = await factories.account(session, tree.city, "system_admin")
    headers = await api.token(admin.username)
    categories = (await api.call("GET", "/api/v1/dictionary/categories", headers)).json()
    assert {"name": "sex", "label": "性别（GB/T 2261.1）"} in categories
    parameters = {p["name"]: p for p in (await api.call("GET", "/api/v1/dictionary/parameters", headers)).json()}
    months = parameters["certification_valid_months"]
    assert (months["kind"], months["minimum"], months["maximum"]) == ("number", 1, 24)
    assert parameters["city_insuring_agency_codes"]["kind"] == "code_list"
    path = "/api/v1/dictionary/parameters/certification_valid_months"
    too_long = await api.call("PUT", path, headers, json={"value": "36"})
    assert too_long.status_code == 422 and too_long.json()["code"] == "PARAMETER_OUT_OF_RANGE"
    assert too_long.json()["detail"]["field"] == "value"
    assert "1 至 24" in too_long.json()["message"]
    kept = await api.call("PUT", path, headers, json={"value": months["value"]})
    assert kept.status_code == 200 and kept.json()["maximum"] == 24
