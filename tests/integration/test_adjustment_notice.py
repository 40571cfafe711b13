"""4.9 调资公示 through the staff API: a community's yearly adjustment notice (rows, totals, two batches of one year
summed, other communities, years and statuses absent), refused for a non-community and outside the scope, printed as
PDF and XLSX with the same rows (ID numbers masked), and a retiree's adjustment history."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from pdfminer.high_level import extract_text
from sqlalchemy import func, select
from sqlmodel import col

from domain.adjustments.models import PensionAdjustment
from domain.audit.models import AuditEntry
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

YEAR = 2031  # a year no other test's adjustments use, so the years list shows it


@dataclass
class Setting:
    tree: factories.Tree
    community_operator: str
    street_operator: str
    other_community_operator: str
    people: list[Retiree]  # of communities[0], adjusted in YEAR: [two batches, one batch, suspended]
    not_adjusted: Retiree
    other_year: Retiree
    moved_away: Retiree
    elsewhere: Retiree


def _adjustment(
    person: Retiree, year: int, before: str, after: str, month: str, batch: str | None = None
) -> PensionAdjustment:
    assert person.id is not None
    return PensionAdjustment(
        retiree_id=person.id,
        batch_id=batch or f"TZ{year}-{uuid.uuid4().hex[:8]}",
        adjustment_year=year,
        amount_before=Decimal(before),
        amount_after=Decimal(after),
        increase=Decimal(after) - Decimal(before),
        effective_month=month,
        event_id=str(uuid.uuid4()),
    )


async def _setting(hub: Hub) -> Setting:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        a = await factories.retiree(session, community, name="张甲")
        b = await factories.retiree(session, community, name="李乙")
        c = await factories.retiree(session, community, name="王丙", status=Status.SUSPENDED)
        not_adjusted = await factories.retiree(session, community, name="赵丁")
        other_year = await factories.retiree(session, community, name="钱戊")
        moved_away = await factories.retiree(session, community, name="孙己", status=Status.MOVED_AWAY)
        elsewhere = await factories.retiree(session, tree.communities[1], name="周庚")
        session.add_all(
            [
                _adjustment(a, YEAR, "3000.00", "3060.00", f"{YEAR}-01"),
                _adjustment(a, YEAR, "3060.00", "3090.50", f"{YEAR}-07"),
                _adjustment(b, YEAR, "2500.00", "2550.00", f"{YEAR}-01"),
                _adjustment(c, YEAR, "4000.00", "4080.00", f"{YEAR}-01"),
                _adjustment(a, YEAR - 1, "2900.00", "3000.00", f"{YEAR - 1}-01"),
                _adjustment(other_year, YEAR - 1, "2000.00", "2040.00", f"{YEAR - 1}-01"),
                _adjustment(moved_away, YEAR, "2000.00", "2040.00", f"{YEAR}-01"),
                _adjustment(elsewhere, YEAR, "2000.00", "2040.00", f"{YEAR}-01"),
            ]
        )
        await session.flush()
        setting = Setting(
            tree,
            (await factories.account(session, community, "operator")).username,
            (await factories.account(session, tree.streets[0], "operator")).username,
            (await factories.account(session, tree.communities[2], "operator")).username,
            [a, b, c],
            not_adjusted,
            other_year,
            moved_away,
            elsewhere,
        )
        for person in (a, b, c, not_adjusted, other_year, moved_away, elsewhere):
            session.expunge(person)
        return setting


async def test_4_9_the_notice_lists_the_communitys_adjusted_people_with_totals(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    headers = await api.token(s.community_operator)
    community = s.tree.communities[0]

    years = (await api.call("GET", "/api/v1/adjustments/years", headers)).json()["years"]
    assert YEAR in years and YEAR - 1 in years and years == sorted(years, reverse=True)

    answer = await api.call("GET", f"/api/v1/adjustments/notice?institution_id={community.id}&year={YEAR}", headers)
    assert answer.status_code == 200, answer.text
    notice = answer.json()
    assert notice["community"] == community.name and notice["people"] == 3 and notice["total"] == 3
    assert Decimal(notice["total_increase"]) == Decimal("90.50") + Decimal("50.00") + Decimal("80.00")
    rows = {r["retiree_id"]: r for r in notice["items"]}
    assert set(rows) == {p.id for p in s.people}  # not the unadjusted, other year, moved away or other community
    a = rows[s.people[0].id]
    assert a["name"] == "张甲" and "*" in a["id_number"] and a["id_number"] != s.people[0].id_number
    assert a["id_number"][:6] == s.people[0].id_number[:6] and a["id_number"][-4:] == s.people[0].id_number[-4:]
    assert Decimal(a["amount_before"]) == Decimal("3000.00") and Decimal(a["amount_after"]) == Decimal("3090.50")
    assert Decimal(a["increase"]) == Decimal("90.50") and a["effective_months"] == f"{YEAR}-01、{YEAR}-07"
    assert [r["seq"] for r in notice["items"]] == [1, 2, 3]

    paged = (
        await api.call(
            "GET", f"/api/v1/adjustments/notice?institution_id={community.id}&year={YEAR}&page=2&size=2", headers
        )
    ).json()
    assert paged["people"] == 3 and [r["seq"] for r in paged["items"]] == [3]
    assert paged["items"][0]["retiree_id"] == notice["items"][2]["retiree_id"]

    earlier = (
        await api.call("GET", f"/api/v1/adjustments/notice?institution_id={community.id}&year={YEAR - 1}", headers)
    ).json()
    assert {r["retiree_id"] for r in earlier["items"]} == {s.people[0].id, s.other_year.id}

    street = await api.token(s.street_operator)
    from_street = await api.call("GET", f"/api/v1/adjustments/notice?institution_id={community.id}&year={YEAR}", street)
    assert from_street.status_code == 200 and from_street.json()["people"] == 3
    not_a_community = await api.call(
        "GET", f"/api/v1/adjustments/notice?institution_id={s.tree.streets[0].id}&year={YEAR}", street
    )
    assert not_a_community.status_code == 422 and not_a_community.json()["code"] == "NOTICE_COMMUNITY_ONLY"

    outsider = await api.token(s.other_community_operator)
    for path in (
        f"/api/v1/adjustments/notice?institution_id={community.id}&year={YEAR}",
        f"/api/v1/adjustments/notice.pdf?institution_id={community.id}&year={YEAR}",
        f"/api/v1/adjustments/notice.xlsx?institution_id={community.id}&year={YEAR}",
        f"/api/v1/retirees/{s.people[0].id}/adjustments",
    ):
        refused = await api.call("GET", path, outsider)
        assert refused.status_code == 404, (path, refused.text)
    people = (await api.call("GET", f"/api/v1/adjustments/people?year={YEAR}&q=张甲", outsider)).json()
    assert all(p["retiree_id"] != s.people[0].id for p in people)
    found = (await api.call("GET", f"/api/v1/adjustments/people?year={YEAR}&q=张", headers)).json()
    assert [p["retiree_id"] for p in found if p["name"] == "张甲"] == [s.people[0].id]
    assert all("*" in p["id_number"] for p in found)


async def test_4_9_the_notice_prints_as_pdf_and_xlsx_with_the_rows_of_the_list(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    headers = await api.token(s.community_operator)
    query = f"institution_id={s.tree.communities[0].id}&year={YEAR}"
    listed = (await api.call("GET", f"/api/v1/adjustments/notice?{query}", headers)).json()

    pdf = await api.call("GET", f"/api/v1/adjustments/notice.pdf?{query}", headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert "filename*=UTF-8''" in pdf.headers["content-disposition"]
    flat = "".join(extract_text(io.BytesIO(pdf.content)).split())
    assert f"{YEAR}年调整退休人员基本养老金公示表" in flat and s.tree.communities[0].name in flat
    assert "如有异议请于公示期内向社区反映" in flat and "合计" in flat and "220.50" in flat
    for row in listed["items"]:
        assert row["name"] in flat and row["id_number"] in flat and row["increase"] in flat
    for person in s.people:
        assert person.id_number not in flat
    assert s.not_adjusted.name not in flat and s.elsewhere.name not in flat

    xlsx = await api.call("GET", f"/api/v1/adjustments/notice.xlsx?{query}", headers)
    assert xlsx.status_code == 200, xlsx.text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    assert rows[header][:7] == [
        "序号",
        "姓名",
        "身份证号码",
        "调整前（元）",
        "调整后（元）",
        "增加额（元）",
        "执行月份",
    ]
    body = [r for r in rows[header + 1 :] if r and isinstance(r[0], int | float)]
    assert [r[1] for r in body] == [row["name"] for row in listed["items"]]
    assert [r[2] for r in body] == [row["id_number"] for row in listed["items"]]
    assert [Decimal(str(r[5])) for r in body] == [Decimal(row["increase"]) for row in listed["items"]]
    total = next(r for r in rows[header + 1 :] if r and r[0] == "合计")
    assert total[1] == "3人" and Decimal(str(total[5])) == Decimal("220.50")

    async with registry_hub.sessions() as session:
        printed = await session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.action) == "document.printed")
            .where(col(AuditEntry.detail)["subject"]["institution_id"].as_integer() == s.tree.communities[0].id)
        )
        assert printed.scalar_one() == 2


async def test_4_9_a_retirees_adjustment_history(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    headers = await api.token(s.community_operator)
    history = (await api.call("GET", f"/api/v1/retirees/{s.people[0].id}/adjustments", headers)).json()
    assert [h["effective_month"] for h in history] == [f"{YEAR}-07", f"{YEAR}-01", f"{YEAR - 1}-01"]
    assert Decimal(history[0]["amount_after"]) == Decimal("3090.50")


async def test_4_9_an_institution_that_does_not_exist_is_not_found_also_for_the_city(
    registry_hub: Hub, api: Api
) -> None:
    """Found by the API fuzz: the city level sees records with no institution, and an unknown institution id was
    taken for one (a server error); it is now "not found", like an institution outside the scope."""
    s = await _setting(registry_hub)
    async with registry_hub.sessions() as session, session.begin():
        city = (await factories.account(session, s.tree.city, "operator")).username
    headers = await api.token(city)
    unknown = 2**63 - 2
    for path in ("/api/v1/adjustments/notice", "/api/v1/adjustment-objections"):
        answer = await api.call("GET", f"{path}?institution_id={unknown}&year={YEAR}", headers)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["code"] == "NOT_FOUND"
