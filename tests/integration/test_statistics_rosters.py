"""Issue 19: the roster reports of section 7 (名册类报表) through the staff API over real PostgreSQL — 7.11 the
certification roster on certifications recorded by staff and by the ministry import, 7.9 the hand-over roster on
batches drafted, submitted and received through the hand-over API; screen, XLSX (read back) and PDF (its text)
agree; masked unless the caller may and asks; every print audited; scope (1.3) on every endpoint."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from pdfminer.high_level import extract_text

from domain.certifications.inbound import on_certification_recorded
from domain.employers.models import Employer
from domain.queries import service as queries
from domain.reports.rosters import CERTIFICATION_ROSTER
from domain.retirees.inbound import Inbound
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import Actor
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api
from tests.support.reports import (
    accounts,
    assert_roster_hidden,
    employer_people,
    get_file,
    get_json,
    hand_over,
    prints,
    record_death,
    table,
    token,
    xlsx_rows,
)

pytestmark = pytest.mark.integration


@dataclass
class Setting:
    tree: factories.Tree
    surname: str
    employer: Employer
    people: list[Retiree]  # the employer's: [0], [1] at communities[0], [2] at communities[1], [3] at communities[2]
    district: str  # operator of the district agency (may export unmasked)
    community: str  # operator of communities[0]
    viewer: str  # viewer of communities[0]
    outsider: str  # operator of another district


@pytest.fixture
async def setting(registry_hub: Hub) -> Setting:
    surname = "册" + uuid.uuid4().hex[:4]
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        other = await factories.tree(session)
        employer = Employer(code=factories.code("E"), name=f"{surname}纺织厂", insuring_agency_code=tree.district.code)
        where = (tree.communities[0], tree.communities[0], tree.communities[1], tree.communities[2])
        people = await employer_people(session, tree, employer, surname, where)
        district, community, viewer, outsider = await accounts(
            session,
            (tree.district, "operator"),
            (tree.communities[0], "operator"),
            (tree.communities[0], "viewer"),
            (other.district, "operator"),
        )
        for row in (*people, employer):
            session.expunge(row)
    return Setting(tree, surname, employer, people, district, community, viewer, outsider)


def _body_rows(rows: list[list[Any]]) -> list[list[Any]]:
    return table(rows)[1]


async def _certify(api: Api, hub: Hub, s: Setting) -> None:
    """people[0] and [1] certified on site today by their community, people[2] by the ministry import (2.7);
    people[3] not certified."""
    today = calendar.today().isoformat()
    community = await token(api, s.community)
    for person in s.people[:2]:
        done = await api.call(
            "POST", f"/api/v1/retirees/{person.id}/certifications", community, json={"certified_on": today}
        )
        assert done.status_code == 201, done.text
    data = {
        "personal_number": s.people[2].personal_number,
        "source": "ministry_import",
        "certification_id": factories.code("MI"),
        "method": "cross_region",
        "certified_on": today,
        "result": "passed",
    }
    async with hub.sessions() as session, session.begin():
        await on_certification_recorded(
            data, Inbound(factories.code("EV"), datetime.now()), hub.unit_of_work(session, "test")
        )


async def test_7_11_catalogue_lists_rosters_with_their_columns(api: Api, setting: Setting) -> None:
    catalogue = await get_json(api, setting.district, "/api/v1/reports")
    by_id = {r["id"]: r for r in catalogue["reports"]}
    assert by_id["7.11"]["kind"] == "roster" and by_id["7.9"]["kind"] == "roster"
    assert by_id["7.15"]["kind"] == "summary" and by_id["7.15"]["columns"] == []
    assert {"name", "id_number", "certified_on", "employer", "status"} <= {c["key"] for c in by_id["7.11"]["columns"]}
    assert catalogue["may_export_unmasked"] is True
    assert (await get_json(api, setting.viewer, "/api/v1/reports"))["may_export_unmasked"] is False


async def test_7_11_certified_and_not_certified_on_screen_in_xlsx_and_pdf(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    s = setting
    await _certify(api, registry_hub, s)
    base = f"/api/v1/reports/7.11/rows?name={s.surname}&sort=name"
    page = await get_json(api, s.district, base)
    assert page["total"] == 3
    rows = page["items"]
    assert [r["name"] for r in rows] == [p.name for p in s.people[:3]]
    assert [r["kind"] for r in rows] == ["本地认证", "本地认证", "跨地区协助认证"]
    assert rows[2]["source"] == "部级跨地区认证数据" and rows[2]["reports"] == "部级跨地区认证数据"
    assert rows[0]["employer"] == s.employer.name and rows[0]["status"] == "已登记"
    assert rows[0]["certified_on"] == calendar.today().isoformat()
    assert all("*" in r["id_number"] for r in rows)
    # paging and sorting on the server
    second = await get_json(api, s.district, base.replace("sort=name", "sort=-name") + "&size=2&page=2")
    assert [r["name"] for r in second["items"]] == [s.people[0].name]
    # not certified in the period: people[3] — who staff must chase
    missing = await get_json(api, s.district, f"/api/v1/reports/7.11/rows?name={s.surname}&list=uncertified")
    assert [r["name"] for r in missing["items"]] == [s.people[3].name]
    assert missing["items"][0]["certified_on"] is None

    # XLSX: the same people in the same order, masked, and the print audited
    sheet = _body_rows(xlsx_rows(await get_file(api, s.district, base.replace("/rows", ".xlsx"))))
    header = xlsx_rows(await get_file(api, s.district, base.replace("/rows", ".xlsx")))
    labels = next(r for r in header if r and r[0] == "序号")
    name_at, id_at = labels.index("姓名"), labels.index("身份证号")
    assert [r[name_at] for r in sheet] == [p.name for p in s.people[:3]]
    assert [r[id_at] for r in sheet] == [r["id_number"] for r in rows]
    # PDF: every name, the period, the signature line
    text = extract_text(io.BytesIO(await get_file(api, s.district, base.replace("/rows", ".pdf"))))
    assert "资格认证花名册" in text and "认证期间" in text and "制表人" in text
    for person in s.people[:3]:
        assert person.name in text
    assert s.people[3].name not in text
    audits = await prints(registry_hub, "7.11")
    assert audits[-1]["format"] == "pdf" and audits[-1]["subject"]["people"] == 3
    assert audits[-1]["subject"]["masked"] is True and audits[-1]["subject"]["parameters"]["name"] == s.surname


async def test_7_11_unmasked_only_for_the_district_and_scope_from_outside(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    s = setting
    await _certify(api, registry_hub, s)
    base = f"/api/v1/reports/7.11.xlsx?name={s.surname}&sort=name"
    full = _body_rows(xlsx_rows(await get_file(api, s.district, base + "&unmasked=true")))
    labels = next(r for r in xlsx_rows(await get_file(api, s.district, base)) if r and r[0] == "序号")
    assert [r[labels.index("身份证号")] for r in full] == [p.id_number for p in s.people[:3]]
    assert [r[labels.index("联系电话")] for r in full] == [p.phone for p in s.people[:3]]
    masked = _body_rows(xlsx_rows(await get_file(api, s.district, base)))
    assert all(r[labels.index("联系电话")] != p.phone for r, p in zip(masked, s.people[:3], strict=True) if p.phone)
    mine = [a for a in await prints(registry_hub, "7.11") if a["subject"]["parameters"].get("name") == s.surname]
    assert [a["subject"]["masked"] for a in mine] == [False, True, True]
    refused = await api.call("GET", base + "&unmasked=true", await token(api, s.viewer))
    assert refused.status_code == 403 and refused.json()["code"] == "EXPORT_UNMASKED_REFUSED"
    # the viewer of communities[0] sees its own two people only; another district nothing, on every endpoint
    mine = await get_json(api, s.viewer, f"/api/v1/reports/7.11/rows?name={s.surname}")
    assert sorted(r["name"] for r in mine["items"]) == [p.name for p in s.people[:2]]
    assert (await get_json(api, s.outsider, f"/api/v1/reports/7.11/rows?name={s.surname}"))["total"] == 0
    outside = _body_rows(xlsx_rows(await get_file(api, s.outsider, base)))
    assert all(s.surname not in str(cell) for row in outside for cell in row)
    text = extract_text(io.BytesIO(await get_file(api, s.outsider, base.replace(".xlsx", ".pdf"))))
    assert s.surname not in text
    # an institution outside the caller's scope, a parameter it does not take, an unknown sort: refused by name
    other = s.tree.communities[2].id
    narrowed = await api.call("GET", f"/api/v1/reports/7.11/rows?institution_id={other}", await token(api, s.viewer))
    assert narrowed.status_code in (403, 404), narrowed.text
    odd = await api.call("GET", "/api/v1/reports/7.11/rows?colour=red", await token(api, s.district))
    assert odd.status_code == 422 and odd.json()["detail"]["field"] == "colour"
    assert "报表 7.11" in odd.json()["message"]
    badsort = await api.call("GET", "/api/v1/reports/7.11/rows?sort=id_number", await token(api, s.district))
    assert badsort.status_code == 422 and badsort.json()["code"] == "QUERY_SORT_INVALID"
    summary = await api.call("GET", "/api/v1/reports/7.15/rows", await token(api, s.district))
    assert summary.status_code == 404 and summary.json()["code"] == "REPORT_NOT_FOUND"
    roster = await api.call("GET", "/api/v1/reports/7.11", await token(api, s.district))
    assert roster.status_code == 404 and "/api/v1/reports/7.11/rows" in roster.json()["message"]


async def test_7_11_not_certified_as_of_a_past_date_lists_who_was_managed_then(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    """people[3] died ten days ago: twenty days ago they were managed and not certified, today they are not on the
    roster of whom to chase — on screen, in the XLSX and in the PDF alike."""
    s = setting
    died = calendar.today() - timedelta(days=10)
    await record_death(registry_hub, s.people[3].id or 0, died)
    base = f"/api/v1/reports/7.11/rows?name={s.surname}&list=uncertified&sort=name"
    today = await get_json(api, s.district, base)
    assert [r["name"] for r in today["items"]] == [p.name for p in s.people[:3]]
    before = (calendar.today() - timedelta(days=20)).isoformat()
    then = await get_json(api, s.district, f"{base}&on={before}")
    assert then["on"] == before and [r["name"] for r in then["items"]] == [p.name for p in s.people]
    sheet = xlsx_rows(await get_file(api, s.district, f"{base}&on={before}".replace("/rows", ".xlsx")))
    labels = next(r for r in sheet if r and r[0] == "序号")
    assert [r[labels.index("姓名")] for r in _body_rows(sheet)] == [p.name for p in s.people]
    text = extract_text(io.BytesIO(await get_file(api, s.district, f"{base}&on={before}".replace("/rows", ".pdf"))))
    assert f"数据日期：{before}" in text and s.people[3].name in text


async def test_7_11_page_statement_gives_the_export_rows_and_total(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    """A page of 7.11 is read by ``page_sql`` (not certified) and counted by ``count_sql``, the export by the full
    statement: the same rows, columns and order for every sort, today and as of a past date, and the same total."""
    s = setting
    await _certify(api, registry_hub, s)
    district = Actor(name="区经办", kind="staff", role="operator", institution_path=s.tree.district.path)
    before = calendar.today() - timedelta(days=20)
    roster = CERTIFICATION_ROSTER.query
    sorts = [c.key for c in roster.columns if c.sortable]
    seen: dict[tuple[str, str], int] = {}
    for listed in ("uncertified", "certified"):
        raw = {"name": s.surname, "list": listed}
        for on in (None, before):
            for sort in (*sorts, *(f"-{key}" for key in sorts)):
                async with registry_hub.sessions() as session:
                    page = await queries.run_page(session, district, roster, raw, on=on, sort=sort, page=1, size=50)
                    export = await queries.run_export(session, district, roster, raw, on=on, sort=sort, unmasked=False)
                    exported = [row async for row in export.rows]
                assert page.items == exported and page.total == export.total == len(exported)
                seen[(listed, str(on))] = page.total
    # today people[0..2] certified, people[3] not; twenty days back the period ended before anyone was certified
    totals = {("uncertified", "None"): 1, ("uncertified", str(before)): 4, ("certified", "None"): 3}
    assert seen == {**totals, ("certified", str(before)): 0}


async def _hand_over(api: Api, s: Setting, people: list[Retiree], voucher: str, *, receive: bool) -> dict[str, Any]:
    """Two copies of two items a person; received (the first person with a discrepancy) or left submitted."""
    results: list[dict[str, Any]] = [{"retiree_id": p.id, "result": "received"} for p in people[1:]]
    missing = {"discrepancy": "materials_incomplete", "remarks": "缺医疗关系"}
    results.insert(0, {"retiree_id": people[0].id, "result": "discrepancy", **missing})
    items = ("retirement_approval", "personnel_file")
    return await hand_over(
        api,
        s.district,
        s.employer,
        s.tree.district,
        people,
        voucher,
        items=items,
        copies=2,
        results=results if receive else None,
    )


async def test_7_9_hand_over_roster_by_employer_and_batch_on_screen_in_xlsx_and_pdf(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    s = setting
    received = await _hand_over(api, s, s.people[:3], "JF1-" + s.surname, receive=True)
    waiting = await _hand_over(api, s, s.people[3:], "JF2-" + s.surname, receive=False)
    base = f"/api/v1/reports/7.9/rows?employer={s.employer.code}&sort=personal_number"
    page = await get_json(api, s.district, base)
    assert page["total"] == 3 and {r["handover_number"] for r in page["items"]} == {received["number"]}
    by_person = {r["name"]: r for r in page["items"]}
    first = by_person[s.people[0].name]
    assert first["result"] == "有差异：材料不全（缺医疗关系）" and first["items"] == "退休审批表、档案正本"
    assert first["copies"] == 2 and first["employer"] == s.employer.name and "*" in first["id_number"]
    assert first["received_on"] == calendar.today().isoformat()
    everything = await get_json(api, s.district, base + "&batches=all")
    assert everything["total"] == 4
    assert {r["handover_number"] for r in everything["items"]} == {received["number"], waiting["number"]}
    one = await get_json(api, s.district, f"/api/v1/reports/7.9/rows?batches=all&batch={waiting['number']}")
    assert [(r["name"], r["result"]) for r in one["items"]] == [(s.people[3].name, "待接收")]

    # XLSX: the three people, then the 合计 line adding up the copies
    rows = xlsx_rows(await get_file(api, s.district, base.replace("/rows", ".xlsx")))
    labels = next(r for r in rows if r and r[0] == "序号")
    body = _body_rows(rows)
    assert [r[labels.index("姓名")] for r in body[:-1]] == [r["name"] for r in page["items"]]
    assert body[-1][0] == "合计" and int(body[-1][labels.index("份数")]) == 6
    # PDF: the names, the batch, both signature lines, the total
    text = extract_text(io.BytesIO(await get_file(api, s.district, base.replace("/rows", ".pdf"))))
    assert "移交花名册" in text and received["number"] in text and "接收经办机构经办人（签字）" in text
    assert "制表人" in text and "合计" in text
    for person in s.people[:3]:
        assert person.name in text
    audit = (await prints(registry_hub, "7.9"))[-1]
    assert audit["subject"]["rows"] == 3 and audit["subject"]["people"] == 3 and audit["subject"]["masked"] is True
    # scope: another district sees nothing on every endpoint; a community is not the receiving agency's scope
    await assert_roster_hidden(api, s.outsider, base, s.surname)
    assert (await get_json(api, s.viewer, base))["total"] == 0
    bad = await api.call("GET", "/api/v1/reports/7.9/rows?batches=lost", await token(api, s.district))
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "batches"
