"""4.10 调资情况反馈 through the staff API: the community records a retiree's objection to the year's adjustment, it
lands at once in the insuring agency's worklist (and no other agency's), the agency answers it each way (verified,
corrected, rejected with a reason), the community sees the answer or withdraws an open one; refusals change nothing;
a repeated submit is the same objection; the summary counts per unit; every step audited and on the timeline."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from pdfminer.high_level import extract_text
from sqlalchemy import func, select
from sqlmodel import col

from domain.adjustments.models import AdjustmentObjection, PensionAdjustment
from domain.audit.models import AuditEntry
from domain.retirees.models import Retiree
from domain.status_log.models import StatusChange
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

YEAR = 2032
OBJECTIONS = "/api/v1/adjustment-objections"


@dataclass
class Setting:
    tree: factories.Tree
    other: factories.Tree  # another district: another insuring agency
    community: str
    community_viewer: str
    other_community: str
    street: str
    agency: str
    other_agency: str
    city: str
    person: Retiree  # communities[0], insured at tree.district, adjusted in YEAR
    insured_elsewhere: Retiree  # communities[0], insured at other.district, adjusted in YEAR
    unadjusted: Retiree  # communities[0], no adjustment in YEAR
    neighbour: Retiree  # communities[1], adjusted in YEAR


async def _setting(hub: Hub) -> Setting:
    async with hub.sessions() as session, session.begin():
        tree, other = await factories.tree(session), await factories.tree(session)
        c0 = tree.communities[0]
        person = await factories.retiree(session, c0, name="张调资", agency=tree.district.code)
        elsewhere = await factories.retiree(session, c0, name="李外区", agency=other.district.code)
        unadjusted = await factories.retiree(session, c0, name="王未调", agency=tree.district.code)
        neighbour = await factories.retiree(session, tree.communities[1], name="赵邻居", agency=tree.district.code)
        for p in (person, elsewhere, neighbour):
            assert p.id is not None
            session.add(
                PensionAdjustment(
                    retiree_id=p.id,
                    batch_id=f"TZ{YEAR}-{uuid.uuid4().hex[:8]}",
                    adjustment_year=YEAR,
                    amount_before=Decimal("3000.00"),
                    amount_after=Decimal("3080.00"),
                    increase=Decimal("80.00"),
                    effective_month=f"{YEAR}-01",
                    event_id=str(uuid.uuid4()),
                )
            )
        await session.flush()
        s = Setting(
            tree,
            other,
            (await factories.account(session, c0, "operator")).username,
            (await factories.account(session, c0, "viewer")).username,
            (await factories.account(session, tree.communities[2], "operator")).username,
            (await factories.account(session, tree.streets[0], "operator")).username,
            (await factories.account(session, tree.district, "operator")).username,
            (await factories.account(session, other.district, "operator")).username,
            (await factories.account(session, tree.city, "operator")).username,
            person,
            elsewhere,
            unadjusted,
            neighbour,
        )
        for p in (person, elsewhere, unadjusted, neighbour):
            session.expunge(p)
        return s


def _body(person: Retiree, category: str = "wrong_amount", **extra: Any) -> dict[str, Any]:
    return {
        "retiree_id": person.id,
        "adjustment_year": YEAR,
        "category": category,
        "description": "本人认为调整金额少算了工龄部分",
        "contact_phone": "13912345678",
        **extra,
    }


async def _waiting(api: Api, headers: dict[str, str]) -> int:
    items = (await api.call("GET", "/api/v1/worklists", headers)).json()["todo"]
    return int(next(i["count"] for i in items if i["key"] == "adjustment_objections_waiting"))


async def _objections(hub: Hub, retiree_id: int | None) -> list[AdjustmentObjection]:
    async with hub.sessions() as session:
        rows = await session.execute(
            select(AdjustmentObjection).where(col(AdjustmentObjection.retiree_id) == retiree_id)
        )
        return list(rows.scalars())


async def _audited(hub: Hub, action: str, retiree_id: int | None) -> int:
    async with hub.sessions() as session:
        count = await session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.action) == action)
            .where(col(AuditEntry.retiree_id) == retiree_id)
        )
        return int(count.scalar_one())


async def test_4_10_an_objection_lands_with_the_insuring_agency_and_its_answer_with_the_community(
    registry_hub: Hub, api: Api
) -> None:
    s = await _setting(registry_hub)
    community, agency = await api.token(s.community), await api.token(s.agency)
    other_agency = await api.token(s.other_agency)
    assert await _waiting(api, agency) == 0 and await _waiting(api, other_agency) == 0

    recorded = await api.call("POST", OBJECTIONS, community, json=_body(s.person))
    assert recorded.status_code == 201, recorded.text
    o = recorded.json()
    assert o["created"] is True and o["state"] == "open" and o["state_label"] == "待经办机构核实"
    assert o["category_label"] == "调整金额有误" and o["agency_code"] == s.tree.district.code
    assert o["can_withdraw"] is True and o["can_answer"] is False
    again = await api.call("POST", OBJECTIONS, community, json=_body(s.person, description="再次提交"))
    assert again.status_code == 200 and again.json()["id"] == o["id"] and again.json()["created"] is False
    assert len(await _objections(registry_hub, s.person.id)) == 1

    assert await _waiting(api, agency) == 1 and await _waiting(api, other_agency) == 0
    waiting = (await api.call("GET", f"{OBJECTIONS}?waiting=true", agency)).json()
    assert [i["id"] for i in waiting["items"]] == [o["id"]] and waiting["items"][0]["can_answer"] is True
    assert waiting["items"][0]["contact_phone"] == "139****5678" and "*" in waiting["items"][0]["id_number"]
    assert (await api.call("GET", f"{OBJECTIONS}?waiting=true", other_agency)).json()["total"] == 0
    assert (await api.call("GET", f"{OBJECTIONS}/{o['id']}", other_agency)).status_code == 404
    detail = (await api.call("GET", f"{OBJECTIONS}/{o['id']}", agency)).json()
    assert detail["contact_phone"] == "13912345678"

    by_community = await api.call("POST", f"{OBJECTIONS}/{o['id']}/answer", community, json={"result": "verified"})
    assert by_community.status_code == 403 and by_community.json()["code"] == "OBJECTION_AGENCY_ONLY"
    no_reason = await api.call("POST", f"{OBJECTIONS}/{o['id']}/answer", agency, json={"result": "rejected"})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "OBJECTION_REASON_REQUIRED"
    no_amount = await api.call("POST", f"{OBJECTIONS}/{o['id']}/answer", agency, json={"result": "corrected"})
    assert no_amount.status_code == 422 and no_amount.json()["code"] == "OBJECTION_CORRECTION_REQUIRED"
    elsewhere = await api.call("POST", f"{OBJECTIONS}/{o['id']}/answer", other_agency, json={"result": "verified"})
    assert elsewhere.status_code == 404
    assert [x.state for x in await _objections(registry_hub, s.person.id)] == ["open"]

    corrected = await api.call(
        "POST",
        f"{OBJECTIONS}/{o['id']}/answer",
        agency,
        json={"result": "corrected", "corrected_amount": "3120.00", "note": "补计工龄，已在省系统更正"},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["state"] == "answered" and corrected.json()["result_label"] == "已更正"
    twice = await api.call("POST", f"{OBJECTIONS}/{o['id']}/answer", agency, json={"result": "verified"})
    assert twice.status_code == 409 and twice.json()["code"] == "OBJECTION_CLOSED"
    withdrawn_late = await api.call("POST", f"{OBJECTIONS}/{o['id']}/withdraw", community)
    assert withdrawn_late.status_code == 409 and withdrawn_late.json()["code"] == "OBJECTION_CLOSED"
    assert await _waiting(api, agency) == 0

    seen = (await api.call("GET", f"{OBJECTIONS}?year={YEAR}", community)).json()["items"]
    mine = next(i for i in seen if i["id"] == o["id"])
    assert mine["result"] == "corrected" and Decimal(mine["corrected_amount"]) == Decimal("3120.00")
    assert mine["answer_note"] == "补计工龄，已在省系统更正" and mine["can_withdraw"] is False

    timeline = (await api.call("GET", f"/api/v1/retirees/{s.person.id}/timeline", community)).json()
    titles = [e["title"] for e in timeline["entries"] if e["kind"] == "adjustment_objection"]
    assert titles[0].startswith("调资异议答复（已更正）") and titles[1] == f"调资异议登记：{YEAR}年，调整金额有误"
    assert await _audited(registry_hub, "adjustment_objection.recorded", s.person.id) == 1
    assert await _audited(registry_hub, "adjustment_objection.answered", s.person.id) == 1
    async with registry_hub.sessions() as session:  # not a change of status: no log entry, nothing to the province
        changes = await session.execute(
            select(func.count()).select_from(StatusChange).where(col(StatusChange.retiree_id) == s.person.id)
        )
        assert changes.scalar_one() == 0


async def test_4_10_each_answer_and_a_withdrawal(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    community, agency = await api.token(s.community), await api.token(s.agency)
    other_agency, city = await api.token(s.other_agency), await api.token(s.city)

    verified = (await api.call("POST", OBJECTIONS, community, json=_body(s.person))).json()
    rejected = (await api.call("POST", OBJECTIONS, community, json=_body(s.person, "special_group"))).json()
    withdrawn = (await api.call("POST", OBJECTIONS, community, json=_body(s.person, "other"))).json()
    assert len({verified["id"], rejected["id"], withdrawn["id"]}) == 3

    ok = await api.call("POST", f"{OBJECTIONS}/{verified['id']}/answer", agency, json={"result": "verified"})
    assert ok.status_code == 200 and ok.json()["result_label"] == "核实无误"
    no = await api.call(
        "POST", f"{OBJECTIONS}/{rejected['id']}/answer", city, json={"result": "rejected", "note": "不属于倾斜范围"}
    )
    assert no.status_code == 200 and no.json()["answered_by"] and no.json()["answer_note"] == "不属于倾斜范围"
    outsider = await api.token(s.other_community)
    assert (await api.call("POST", f"{OBJECTIONS}/{withdrawn['id']}/withdraw", outsider)).status_code == 404
    back = await api.call("POST", f"{OBJECTIONS}/{withdrawn['id']}/withdraw", community)
    assert back.status_code == 200 and back.json()["state"] == "withdrawn"
    assert await _audited(registry_hub, "adjustment_objection.withdrawn", s.person.id) == 1
    # a new objection of the same category may be recorded once the earlier one is closed
    anew = await api.call("POST", OBJECTIONS, community, json=_body(s.person, "other"))
    assert anew.status_code == 201 and anew.json()["id"] != withdrawn["id"]

    # a person insured at the other district: that agency answers; the community's own district does not
    theirs = (await api.call("POST", OBJECTIONS, community, json=_body(s.insured_elsewhere))).json()
    assert theirs["agency_code"] == s.other.district.code
    refused = await api.call("POST", f"{OBJECTIONS}/{theirs['id']}/answer", agency, json={"result": "verified"})
    assert refused.status_code == 403 and refused.json()["code"] == "OBJECTION_AGENCY_ONLY"
    assert await _waiting(api, other_agency) == 1
    answered = await api.call("POST", f"{OBJECTIONS}/{theirs['id']}/answer", other_agency, json={"result": "verified"})
    assert answered.status_code == 200
    assert (await api.call("GET", f"{OBJECTIONS}/{theirs['id']}", community)).json()["result"] == "verified"


async def test_4_10_refusals_change_nothing(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    community = await api.token(s.community)

    outsider = await api.call("POST", OBJECTIONS, await api.token(s.other_community), json=_body(s.person))
    assert outsider.status_code == 404
    viewer = await api.call("POST", OBJECTIONS, await api.token(s.community_viewer), json=_body(s.person))
    assert viewer.status_code == 403
    unadjusted = await api.call("POST", OBJECTIONS, community, json=_body(s.unadjusted))
    assert unadjusted.status_code == 422 and unadjusted.json()["code"] == "OBJECTION_NO_ADJUSTMENT"
    other_year = await api.call("POST", OBJECTIONS, community, json=_body(s.person, adjustment_year=YEAR + 50))
    assert other_year.status_code == 422 and other_year.json()["code"] == "OBJECTION_NO_ADJUSTMENT"
    blank = await api.call("POST", OBJECTIONS, community, json=_body(s.person, description="   "))
    assert blank.status_code == 422 and blank.json()["code"] == "OBJECTION_DESCRIPTION_REQUIRED"
    bad_category = await api.call("POST", OBJECTIONS, community, json=_body(s.person, "nonsense"))
    assert bad_category.status_code == 422
    for person in (s.person, s.unadjusted):
        assert await _objections(registry_hub, person.id) == []
    assert await _audited(registry_hub, "adjustment_objection.recorded", s.person.id) == 0

    # 未享受调整 is the objection of someone the year's adjustment left out
    left_out = await api.call("POST", OBJECTIONS, community, json=_body(s.unadjusted, "not_adjusted"))
    assert left_out.status_code == 201, left_out.text

    missing = await api.call("POST", f"{OBJECTIONS}/999999999/answer", community, json={"result": "verified"})
    assert missing.status_code == 404 and missing.json()["code"] == "OBJECTION_NOT_FOUND"


async def test_4_10_the_summary_counts_per_unit_by_category_and_state(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    community, agency = await api.token(s.community), await api.token(s.agency)
    a = (await api.call("POST", OBJECTIONS, community, json=_body(s.person))).json()
    await api.call("POST", OBJECTIONS, community, json=_body(s.person, "special_group"))
    await api.call("POST", OBJECTIONS, community, json=_body(s.insured_elsewhere, "service_years"))
    neighbour = (await api.call("POST", OBJECTIONS, agency, json=_body(s.neighbour))).json()
    await api.call("POST", f"{OBJECTIONS}/{a['id']}/answer", agency, json={"result": "verified"})
    await api.call("POST", f"{OBJECTIONS}/{neighbour['id']}/withdraw", agency)

    summary = (await api.call("GET", f"{OBJECTIONS}/summary?year={YEAR}", agency)).json()
    assert summary["scope_name"] == s.tree.district.name
    rows = {r["code"]: r for r in summary["rows"]}
    assert set(rows) == {street.code for street in s.tree.streets}
    first = rows[s.tree.streets[0].code]
    assert first["total"] == 4
    assert first["by_category"] == {
        "wrong_amount": 2,
        "not_adjusted": 0,
        "service_years": 1,
        "special_group": 1,
        "other": 0,
    }
    assert first["by_state"] == {"open": 2, "verified": 1, "corrected": 0, "rejected": 0, "withdrawn": 1}
    assert rows[s.tree.streets[1].code]["total"] == 0 and summary["total"]["total"] == 4

    street = (await api.call("GET", f"{OBJECTIONS}/summary?year={YEAR}", await api.token(s.street))).json()
    by_community = {r["code"]: r["total"] for r in street["rows"]}
    assert by_community == {s.tree.communities[0].code: 3, s.tree.communities[1].code: 1}
    outside = (await api.call("GET", f"{OBJECTIONS}/summary?year={YEAR}", await api.token(s.other_agency))).json()
    assert outside["total"]["total"] == 0  # the other district's summary counts its own communities only

    xlsx = await api.call("GET", f"{OBJECTIONS}/summary.xlsx?year={YEAR}", agency)
    assert xlsx.status_code == 200, xlsx.text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(table) if r and r[0] == "单位")
    assert table[header][1] == "异议总数" and "调整金额有误" in table[header] and "已撤回" in table[header]
    named = {r[0]: r for r in table[header + 1 :] if r and r[0]}
    assert named[s.tree.streets[0].name][1] == 4 and named["合计"][1] == 4
    pdf = await api.call("GET", f"{OBJECTIONS}/summary.pdf?year={YEAR}", agency)
    assert pdf.status_code == 200
    flat = "".join(extract_text(io.BytesIO(pdf.content)).split())
    assert f"{YEAR}年调资情况反馈汇总表" in flat and s.tree.streets[0].name in flat
