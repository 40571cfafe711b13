"""The brake's batches through the staff API (4.5, issue 14): a city operator sees the held batch in the worklist
and the list, reads its people by institution (masked), approves two people and rejects the rest; a district operator
is refused with CITY_LEVEL_ONLY; a decided batch cannot be decided again; the preview answers the city level only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text

from app.jobs import run_suspension_rules
from domain.suspensions.overdue import Rule
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

NIGHT = date(1971, 6, 1)


async def test_4_5_a_city_operator_approves_part_of_a_held_batch_and_rejects_the_rest(
    registry_hub: Hub, api: Api
) -> None:
    tag = f"BRA{uuid.uuid4().hex[:8]}"
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        city = await factories.account(session, tree.city, "operator")
        district = await factories.account(session, tree.district, "operator")
        # 60 overdue in the first community (above 50: held), 10 in the second (suspended as usual)
        await session.execute(
            text(
                "INSERT INTO retiree (personal_number, id_number, name, sex, birth_date, retirement_date, "
                "insuring_agency_code, payment_status, management_form, institution_id, status, status_since, "
                "registered_on, last_certified_on, version) "
                "SELECT :tag || lpad(g::text, 4, '0'), :tag || 'ID' || lpad(g::text, 4, '0'), '张三' || g, '1', "
                "DATE '1905-01-01', DATE '1965-01-01', '130102', '1', '1', "
                "CASE WHEN g <= 60 THEN :first ELSE :second END, 'registered', DATE '1968-01-01', "
                "DATE '1968-01-01', DATE '1970-01-01', 1 FROM generate_series(1, 70) g"
            ),
            {"tag": tag, "first": tree.communities[0].id, "second": tree.communities[1].id},
        )
    try:
        report = await run_suspension_rules(registry_hub, NIGHT, rules=(Rule.CERTIFICATION_OVERDUE,))
        assert report.batch_id is not None and report.suspended[Rule.CERTIFICATION_OVERDUE] == 10
        batch_id = report.batch_id
        headers = await api.token(city.username)
        worklist = (await api.call("GET", "/api/v1/worklists", headers)).json()
        item = next(i for i in worklist["todo"] if i["key"] == "suspension_batches_held")
        assert (
            item["count"] >= 1 and item["path"] == "/api/v1/suspension-batches" and item["query"] == {"state": "held"}
        )

        held = (await api.call("GET", "/api/v1/suspension-batches", headers, params={"state": "held"})).json()
        mine = next(b for b in held if b["id"] == batch_id)
        assert mine["state"] == "held" and mine["held"] == 60 and mine["per_rule"] == {"certification_overdue": 60}
        assert mine["per_institution"][0]["institution_id"] == tree.communities[0].id
        people = await api.call(
            "GET",
            f"/api/v1/suspension-batches/{batch_id}/people",
            headers,
            params={"institution_id": tree.communities[0].id, "size": 20},
        )
        page = people.json()
        assert page["total"] == 60 and len(page["items"]) == 20
        assert all("*" in p["id_number"] and p["outcome"] == "held" for p in page["items"])

        other = await api.token(district.username)
        for method, path, body in (
            ("GET", "/api/v1/suspension-batches", None),
            ("GET", "/api/v1/suspension-rules/preview", None),
            ("POST", f"/api/v1/suspension-batches/{batch_id}/approve", {"all": True}),
            ("POST", f"/api/v1/suspension-batches/{batch_id}/reject", {"reason": "不是我批"}),
        ):
            refused = await api.call(method, path, other, json=body)
            assert refused.status_code == 403 and refused.json()["code"] == "CITY_LEVEL_ONLY", path
        district_worklist = (await api.call("GET", "/api/v1/worklists", other)).json()
        assert all(i["key"] != "suspension_batches_held" for i in district_worklist["todo"])

        chosen = [p["retiree_id"] for p in page["items"][:2]]
        approved = await api.call(
            "POST", f"/api/v1/suspension-batches/{batch_id}/approve", headers, json={"retiree_ids": chosen}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["suspended"] == 2 and approved.json()["batch"]["state"] == "held"
        rejected = await api.call(
            "POST", f"/api/v1/suspension-batches/{batch_id}/reject", headers, json={"reason": "导入数据有误"}
        )
        assert rejected.status_code == 200 and rejected.json()["rejected"] == 58
        assert rejected.json()["batch"]["state"] == "partly_approved"
        assert rejected.json()["batch"]["outcomes"] == {"suspended": 2, "rejected": 58}
        again = await api.call("POST", f"/api/v1/suspension-batches/{batch_id}/approve", headers, json={"all": True})
        assert again.status_code == 409 and again.json()["code"] == "SUSPENSION_BATCH_DECIDED"
        missing = await api.call("GET", "/api/v1/suspension-batches/999999999", headers)
        assert missing.status_code == 404 and missing.json()["code"] == "SUSPENSION_BATCH_NOT_FOUND"
        rejected_one = page["items"][2]["retiree_id"]
        for retiree_id, says in ((chosen[0], "已批准并暂停"), (rejected_one, "已驳回，未暂停：导入数据有误")):
            timeline = (await api.call("GET", f"/api/v1/retirees/{retiree_id}/timeline", headers)).json()
            held_entries = [e for e in timeline["entries"] if e["kind"] == "suspension_held"]
            assert len(held_entries) == 1 and says.split("：")[0] in held_entries[0]["title"], held_entries
        preview = await api.call("GET", "/api/v1/suspension-rules/preview", headers)
        assert preview.status_code == 200 and {"brake", "would_hold", "per_rule"} <= set(preview.json())
    finally:
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE retiree SET last_certified_on = DATE '2099-01-01' WHERE personal_number LIKE :like"),
                {"like": f"{tag}%"},
            )
