"""Issue 19: 7.12 the death reduction report and 7.14 the adjustment sheet, roster reports through the staff API over
real PostgreSQL — deaths recorded by staff (4.6, the API and the deaths service), reported by the province (2.3) and
restored as an error; adjustments applied by the 2.5 inbound handler. Screen, XLSX (read back) and PDF (its text)
agree, the 合计 line adds up, ID numbers masked, every print audited, scope (1.3) on every endpoint, and 7.12 as of
the end of an earlier period."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.adjustments.inbound import on_pension_adjusted
from domain.deaths import service as deaths
from domain.deaths.rules import DeathEvidence
from domain.employers.models import Employer
from domain.retirees.inbound import Inbound, on_retiree_changed
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
    pdf_text,
    prints,
    table,
    token,
    xlsx_rows,
)

pytestmark = pytest.mark.integration

PENSION = Decimal("3000.00")


@dataclass
class Setting:
    tree: factories.Tree
    surname: str
    employer: Employer
    people: list[Retiree]  # the employer's: [0] [1] [3] [4] [5] at communities[0], [2] at communities[2]
    district: str  # operator of the district agency
    viewer: str  # viewer of communities[0]
    outsider: str  # operator of another district


@pytest.fixture
async def setting(registry_hub: Hub) -> Setting:
    surname = "亡" + uuid.uuid4().hex[:4]
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        other = await factories.tree(session)
        employer = Employer(code=factories.code("E"), name=f"{surname}机床厂", insuring_agency_code=tree.district.code)
        c0, c2 = tree.communities[0], tree.communities[2]
        people = await employer_people(session, tree, employer, surname, (c0, c0, c2, c0, c0, c0), pension=PENSION)
        district, viewer, outsider = await accounts(
            session, (tree.district, "operator"), (c0, "viewer"), (other.district, "operator")
        )
        for row in (*people, employer):
            session.expunge(row)
    return Setting(tree, surname, employer, people, district, viewer, outsider)


def _sheet(content: bytes) -> tuple[list[Any], list[list[Any]]]:
    """The header row (starting with 序号) and the rows after it."""
    return table(xlsx_rows(content))


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# --- 7.12 --------------------------------------------------------------------------------------------------------


async def _record_death(api: Api, s: Setting, person: Retiree, death: date) -> dict[str, Any]:
    body = {"death_date": death.isoformat(), "evidence": "death_certificate", "document_number": "SW-1"}
    answer = await api.call("POST", f"/api/v1/retirees/{person.id}/death", await token(api, s.district), json=body)
    assert answer.status_code == 201, answer.text
    record: dict[str, Any] = answer.json()
    return record


async def _restore(api: Api, s: Setting, person: Retiree, entry: int) -> None:
    path = f"/api/v1/retirees/{person.id}/status-changes/{entry}/restore"
    answer = await api.call("POST", path, await token(api, s.district), json={"remarks": "误登记死亡，本人健在"})
    assert answer.status_code == 201, answer.text


async def _province_reports_death(hub: Hub, person: Retiree, death: date) -> None:
    data = {
        "personal_number": person.personal_number,
        "change_kind": "death",
        "effective_date": death.isoformat(),
        "exchange_row_id": factories.code("EX"),
        "changes": {"death_date": death.isoformat()},
    }
    async with hub.sessions() as session, session.begin():
        await on_retiree_changed(data, Inbound(factories.code("EV"), datetime.now()), hub.unit_of_work(session, "test"))


async def _deaths_this_month(api: Api, hub: Hub, s: Setting) -> date:
    """people[0] died two months back (two months overpaid), [1] today (none), [2] a month back (one month), all
    recorded today by the district; the province reported [3]'s death; [4]'s death was recorded and restored as an
    error. Returns today."""
    today = calendar.today()
    await _record_death(api, s, s.people[0], _months_back(today, 2))
    await _record_death(api, s, s.people[1], today)
    await _record_death(api, s, s.people[2], _months_back(today, 1))
    await _province_reports_death(hub, s.people[3], _months_back(today, 1))
    wrong = await _record_death(api, s, s.people[4], today)
    await _restore(api, s, s.people[4], wrong["status_change_id"])
    return today


async def test_7_12_death_reduction_report_on_screen_in_xlsx_and_pdf_with_totals(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    s = setting
    today = await _deaths_this_month(api, registry_hub, s)
    base = f"/api/v1/reports/7.12/rows?employer={s.employer.code}&sort=name"
    page = await get_json(api, s.district, base)
    assert page["total"] == 4  # not [4]: a death restored as an error is no death
    rows = {r["name"]: r for r in page["items"]}
    assert list(rows) == [p.name for p in s.people[:4]]
    first, second, third, reported = (rows[p.name] for p in s.people[:4])
    assert first["death_date"] == _months_back(today, 2).isoformat() and first["recorded_on"] == today.isoformat()
    assert (first["overpaid_month_count"], Decimal(first["overpaid_amount"])) == (2, 2 * PENSION)
    assert first["overpaid_months"] == f"{_months_back(today, 1).isoformat()[:7]}、{today.isoformat()[:7]}"
    assert first["recovery"] == "待追回" and first["source"] == "经办人员办理"
    assert first["employer"] == s.employer.name and first["institution"] == s.tree.communities[0].name
    assert (second["overpaid_month_count"], Decimal(second["overpaid_amount"]), second["recovery"]) == (
        0,
        Decimal("0.00"),
        "无多发待遇",
    )
    assert (third["overpaid_month_count"], third["institution"]) == (1, s.tree.communities[2].name)
    # the province's report: no overpayment known, nothing to acknowledge
    assert reported["source"] == "省平台同步" and reported["overpaid_amount"] is None
    assert reported["acknowledgement"] == "无需上报（省平台发起）"
    assert first["acknowledgement"] in {"待上报省平台", "已上报，待省平台确认", "省平台已确认"}
    shown = zip(rows.values(), s.people[:4], strict=True)
    assert all("*" in r["id_number"] and r["id_number"] != p.id_number for r, p in shown)

    # XLSX: the same people in the same order, masked, and the 合计 line: 3 months, 9,000.00
    header, body = _sheet(await get_file(api, s.district, base.replace("/rows", ".xlsx")))
    assert [r[header.index("姓名")] for r in body[:-1]] == list(rows)
    assert [r[header.index("身份证号")] for r in body[:-1]] == [r["id_number"] for r in rows.values()]
    total = body[-1]
    assert total[0] == "合计" and int(total[header.index("多发月数")]) == 3
    assert Decimal(str(total[header.index("多发金额（元）")])) == 3 * PENSION
    # PDF: the title, the period, every name, the total and the signature lines
    text = pdf_text(await get_file(api, s.district, base.replace("/rows", ".pdf")))
    assert "退休人员死亡减员报告表" in text and f"登记期间 {today.replace(day=1).isoformat()}" in text
    assert "合计" in text and "9000.00" in text and "经办人" in text and "审核人" in text and "单位（盖章）" in text
    for person in s.people[:4]:
        assert person.name in text
    assert s.people[4].name not in text
    audit = (await prints(registry_hub, "7.12"))[-1]
    assert audit["format"] == "pdf" and audit["subject"]["people"] == 4 and audit["subject"]["masked"] is True


async def test_7_12_scope_from_outside_and_within(api: Api, registry_hub: Hub, setting: Setting) -> None:
    s = setting
    await _deaths_this_month(api, registry_hub, s)
    base = f"/api/v1/reports/7.12/rows?employer={s.employer.code}"
    mine = await get_json(api, s.viewer, base)  # communities[0]: not [2], who lived in communities[2]
    assert sorted(r["name"] for r in mine["items"]) == [s.people[n].name for n in (0, 1, 3)]
    street = await get_json(api, s.district, base + f"&institution_id={s.tree.streets[1].id}")
    assert [r["name"] for r in street["items"]] == [s.people[2].name]
    await assert_roster_hidden(api, s.outsider, base, s.surname)
    other = s.tree.communities[2].id
    narrowed = await api.call("GET", f"{base}&institution_id={other}", await token(api, s.viewer))
    assert narrowed.status_code in (403, 404), narrowed.text
    backwards = await api.call("GET", f"{base}&from=2026-05-02&to=2026-05-01", await token(api, s.district))
    assert backwards.status_code == 422 and backwards.json()["detail"]["field"] == "to"
    assert "不能早于起始日期" in backwards.json()["message"]


async def test_7_12_as_of_the_end_of_an_earlier_period(api: Api, registry_hub: Hub, setting: Setting) -> None:
    """[5]'s death recorded last month (the deaths service on last month's calendar), restored as an error today:
    last month's report today leaves it out, the same report as of last month's end lists it, overpaid nothing and
    not yet acknowledged; this month's report never had it."""
    s = setting
    today = calendar.today()
    first = _months_back(today, 1)
    last = today.replace(day=1) - timedelta(days=1)
    actor = Actor(
        name="区经办",
        kind="staff",
        role="operator",
        institution_id=s.tree.district.id,
        institution_path=s.tree.district.path,
    )
    async with registry_hub.sessions() as session, session.begin():
        death = await deaths.record(
            registry_hub.unit_of_work(session, "test"),
            actor,
            s.people[5].id or 0,
            death_date=first,
            evidence=DeathEvidence.FAMILY_REPORT,
            document_number=None,
            remarks="家属来报",
            today=first + timedelta(days=3),
        )
        entry = death.record.status_change_id
    period = f"/api/v1/reports/7.12/rows?employer={s.employer.code}&from={first.isoformat()}&to={last.isoformat()}"
    then = await get_json(api, s.district, period + f"&on={last.isoformat()}")
    assert [r["name"] for r in then["items"]] == [s.people[5].name]
    row = then["items"][0]
    assert row["recorded_on"] == (first + timedelta(days=3)).isoformat() and row["overpaid_month_count"] == 0
    assert row["acknowledgement"] == "待上报省平台"
    assert (await get_json(api, s.district, period))["total"] == 1
    await _restore(api, s, s.people[5], entry)
    assert (await get_json(api, s.district, period))["total"] == 0  # today: withdrawn
    assert (await get_json(api, s.district, period + f"&on={last.isoformat()}"))["total"] == 1  # then: a death
    this_month = await get_json(api, s.district, f"/api/v1/reports/7.12/rows?employer={s.employer.code}")
    assert this_month["total"] == 0
    text = pdf_text(await get_file(api, s.district, period.replace("/rows", ".pdf") + f"&on={last.isoformat()}"))
    assert s.people[5].name in text and f"登记期间 {first.isoformat()} 至 {last.isoformat()}" in text


# --- 7.14 --------------------------------------------------------------------------------------------------------


async def _adjust(hub: Hub, person: Retiree, year: int, before: str, after: str, month: str) -> None:
    data = {
        "personal_number": person.personal_number,
        "adjustment_year": year,
        "batch_id": f"TZ{year}-{uuid.uuid4().hex[:8]}",
        "amount_before": before,
        "amount_after": after,
        "increase": str(Decimal(after) - Decimal(before)),
        "effective_month": month,
    }
    async with hub.sessions() as session, session.begin():
        await on_pension_adjusted(
            data, Inbound(factories.code("EV"), datetime.now()), hub.unit_of_work(session, "test")
        )


def _back_months(month: str, today: date) -> int:
    """Months from the effective month up to the month before the adjustment reached the registry (today)."""
    return max(0, today.year * 12 + today.month - (int(month[:4]) * 12 + int(month[5:])))


async def test_7_14_adjustment_sheet_on_screen_in_xlsx_and_pdf_with_totals(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    """This year: [0] two batches (January, and July or this month if earlier), [1] and [2] one batch in January;
    [0] also last year. The sheet sums a person's batches like the 4.9 notice and counts the months back-paid."""
    s = setting
    today = calendar.today()
    year = today.year
    january, later = f"{year}-01", f"{year}-{min(7, today.month):02d}"
    await _adjust(registry_hub, s.people[0], year, "3000.00", "3060.00", january)
    await _adjust(registry_hub, s.people[0], year, "3060.00", "3090.50", later)
    await _adjust(registry_hub, s.people[1], year, "2500.00", "2550.00", january)
    await _adjust(registry_hub, s.people[2], year, "4000.00", "4080.00", january)
    await _adjust(registry_hub, s.people[0], year - 1, "2900.00", "3000.00", f"{year - 1}-01")
    base = f"/api/v1/reports/7.14/rows?year={year}&employer={s.employer.code}&sort=name"
    page = await get_json(api, s.district, base)
    assert page["total"] == 3
    rows = {r["name"]: r for r in page["items"]}
    assert list(rows) == [p.name for p in s.people[:3]]
    a, b, c = (rows[p.name] for p in s.people[:3])
    assert (Decimal(a["amount_before"]), Decimal(a["amount_after"]), Decimal(a["increase"])) == (
        Decimal("3000.00"),
        Decimal("3090.50"),
        Decimal("90.50"),
    )
    assert a["effective_months"] == (january if later == january else f"{january}、{later}")
    assert a["back_months"] == _back_months(january, today) and a["adjustment_year"] == year
    back_a = Decimal("60.00") * _back_months(january, today) + Decimal("30.50") * _back_months(later, today)
    assert Decimal(a["back_pay"]) == back_a
    assert Decimal(b["back_pay"]) == Decimal("50.00") * _back_months(january, today)
    assert c["institution"] == s.tree.communities[2].name and b["employer"] == s.employer.name
    assert all("*" in r["id_number"] for r in rows.values())
    back_total = back_a + Decimal("130.00") * _back_months(january, today)

    # XLSX: the same people, masked; the 合计 line adds up the increase (220.50) and the back pay
    header, body = _sheet(await get_file(api, s.district, base.replace("/rows", ".xlsx")))
    assert [r[header.index("姓名")] for r in body[:-1]] == list(rows)
    assert [r[header.index("身份证号")] for r in body[:-1]] == [r["id_number"] for r in rows.values()]
    assert body[-1][0] == "合计" and Decimal(str(body[-1][header.index("增加额（元）")])) == Decimal("220.50")
    assert Decimal(str(body[-1][header.index("补发金额（元）")])) == back_total
    text = pdf_text(await get_file(api, s.district, base.replace("/rows", ".pdf")))
    assert "调整养老金审批表" in text and f"调整年度 {year}" in text and "合计" in text and "220.50" in text
    assert f"{back_total:.2f}" in text and "审批人" in text
    for person in s.people[:3]:
        assert person.name in text
    audit = (await prints(registry_hub, "7.14"))[-1]
    assert audit["subject"]["people"] == 3 and audit["subject"]["masked"] is True
    # last year: [0] alone
    last_year = await get_json(api, s.district, base.replace(f"year={year}", f"year={year - 1}"))
    assert [(r["name"], r["increase"]) for r in last_year["items"]] == [(s.people[0].name, "100.00")]


async def test_7_14_default_year_and_scope(api: Api, registry_hub: Hub, setting: Setting) -> None:
    s = setting
    year = calendar.today().year
    for person in s.people[:3]:
        await _adjust(registry_hub, person, year, "3000.00", "3100.00", f"{year}-01")
    # no year: the latest year adjusted anywhere (what 4.9 offers first), recomputed naively over these people
    latest = (await get_json(api, s.district, "/api/v1/adjustments/years"))["years"][0]
    default = await get_json(api, s.district, f"/api/v1/reports/7.14/rows?employer={s.employer.code}")
    assert default["total"] == (3 if latest == year else 0)
    assert all(r["adjustment_year"] == latest for r in default["items"])
    base = f"/api/v1/reports/7.14/rows?year={year}&employer={s.employer.code}"
    mine = await get_json(api, s.viewer, base)
    assert sorted(r["name"] for r in mine["items"]) == [s.people[0].name, s.people[1].name]
    await assert_roster_hidden(api, s.outsider, base, s.surname)
    other = s.tree.communities[2].id
    narrowed = await api.call("GET", f"{base}&institution_id={other}", await token(api, s.viewer))
    assert narrowed.status_code in (403, 404), narrowed.text
    bad = await api.call("GET", "/api/v1/reports/7.14/rows?year=twenty", await token(api, s.district))
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "year"
    catalogue = {r["id"]: r for r in (await get_json(api, s.district, "/api/v1/reports"))["reports"]}
    assert catalogue["7.12"]["kind"] == "roster" and catalogue["7.14"]["kind"] == "roster"
    assert catalogue["7.12"]["as_of"] is True and catalogue["7.14"]["as_of"] is False


async def test_7_14_total_counts_people_as_exported_across_pages(api: Api, registry_hub: Hub, setting: Setting) -> None:
    """The page's total counts the people adjusted (``count_sql``), not their batches: [0] has two batches this year
    (and one last year), [1], [2] and [4] one each, [3] none. Pages of two, read in the default order (personal
    number), give the same people, once each, as the XLSX export, with the same figures; the audit names 4 people."""
    s = setting
    year = calendar.today().year
    january, later = f"{year}-01", f"{year}-{min(7, calendar.today().month):02d}"
    await _adjust(registry_hub, s.people[0], year, "3000.00", "3060.00", january)
    await _adjust(registry_hub, s.people[0], year, "3060.00", "3090.50", later)
    await _adjust(registry_hub, s.people[0], year - 1, "2900.00", "3000.00", f"{year - 1}-01")
    for person in (s.people[1], s.people[2], s.people[4]):
        await _adjust(registry_hub, person, year, "2500.00", "2550.00", january)
    base = f"/api/v1/reports/7.14/rows?year={year}&employer={s.employer.code}"
    first = await get_json(api, s.district, f"{base}&size=2")
    assert first["total"] == 4
    items = list(first["items"])
    for page in (2, 3):
        items += (await get_json(api, s.district, f"{base}&size=2&page={page}"))["items"]
    adjusted = [s.people[i] for i in (0, 1, 2, 4)]
    assert [r["personal_number"] for r in items] == sorted(p.personal_number for p in adjusted)
    assert len(items) == first["total"]
    header, body = _sheet(await get_file(api, s.district, base.replace("/rows", ".xlsx")))
    exported = body[:-1]
    assert len(exported) == first["total"]
    assert [r[header.index("个人编号")] for r in exported] == [r["personal_number"] for r in items]
    assert [Decimal(str(r[header.index("增加额（元）")])) for r in exported] == [Decimal(r["increase"]) for r in items]
    mine = next(r for r in items if r["personal_number"] == s.people[0].personal_number)
    assert Decimal(mine["increase"]) == Decimal("90.50") and Decimal(mine["amount_before"]) == Decimal("3000.00")
    assert Decimal(str(body[-1][header.index("增加额（元）")])) == Decimal("240.50")
    assert (await prints(registry_hub, "7.14"))[-1]["subject"]["people"] == 4
    # sorted by a figure (the grouped join, as the export): the same people, total and figures as the pages above
    by_increase = await get_json(api, s.district, f"{base}&sort=-increase")
    assert by_increase["total"] == 4 and by_increase["items"][0]["personal_number"] == s.people[0].personal_number
    key = "personal_number"
    assert sorted(by_increase["items"], key=lambda r: r[key]) == sorted(items, key=lambda r: r[key])
