"""Issue 19: the employer reports 7.1 (business by employer), 7.6 (head counts), 7.7 (registered per employer) and the
archive storage distribution 7.3, through the staff API over real PostgreSQL, on data made by the real workflows
(status_log.apply for registration, death, suspension and resumption; the hand-over API for archives; the talent
centre flag by its endpoint): figures, as of a past date, a naive recomputation, XLSX and PDF, and scope (1.3)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from openpyxl import load_workbook
from pdfminer.high_level import extract_text
from sqlalchemy import select
from sqlmodel import col

from domain.dictionary.codes import ReasonCode
from domain.employers.models import Employer
from domain.handover.models import ArchiveCustody
from domain.reports.distribution import MANAGED
from domain.retirees.lifecycle import RecordDeath, Register, Resume, Status, Suspend
from domain.retirees.models import Retiree
from domain.shared import calendar
from hub.bootstrap import Hub
from tests import factories
from tests.integration.test_statistics import _apply, _by_name, _report
from tests.support.api import Api

pytestmark = pytest.mark.integration


@dataclass
class Setting:
    tree: factories.Tree
    operator: str  # the district's
    outsider: str  # a community viewer of another district
    plant: Employer  # 甲厂
    talent: Employer  # the talent service centre
    ids: dict[str, int]


async def _handover(api: Api, operator: str, s: factories.Tree, employer: Employer, people: list[int]) -> None:
    headers = await api.token(operator)
    body = {
        "employer_id": employer.id,
        "agency_id": s.district.id,
        "voucher_number": "JF20261001001",
        "voucher_amount": "900.00",
        "voucher_date": calendar.today().isoformat(),
        "people": [{"retiree_id": i, "items": ["personnel_file"], "copies": 1} for i in people],
    }
    drafted = await api.call("POST", "/api/v1/handovers", headers, json=body)
    assert drafted.status_code == 201, drafted.text
    batch = drafted.json()["id"]
    assert (await api.call("POST", f"/api/v1/handovers/{batch}/submit", headers)).status_code == 200
    receipt = {"results": [{"retiree_id": i, "result": "received"} for i in people]}
    received = await api.call("POST", f"/api/v1/handovers/{batch}/receive", headers, json=receipt)
    assert received.status_code == 200 and received.json()["state"] == "received", received.text


@pytest.fixture
async def setting(registry_hub: Hub, api: Api) -> Setting:
    """甲厂's people: a1 (community 0), a2 (community 1), a3 approved 2026-09-01 and registered at community 0 on
    10-05, a4 (community 2) died on 10-20, a5 (community 0) suspended 10-10 and resumed 10-25, a6 moved out of the
    city; a1, a2 and a4 handed over (received today). The talent centre's: t1 (community 3, 委托原单位管理), t2
    approved. n1 (community 0) has no employer. Everyone insured at the district's agency."""
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        other = await factories.tree(session)
        agency = tree.district.code
        plant = Employer(code=factories.code("E"), name=f"甲厂{factories.code('')}", insuring_agency_code=agency)
        talent = Employer(code=factories.code("E"), name=f"人才中心{factories.code('')}", insuring_agency_code=agency)
        session.add_all([plant, talent])
        c = tree.communities
        people: dict[str, Retiree] = {
            "a1": await factories.retiree(session, c[0], agency=agency),
            "a2": await factories.retiree(session, c[1], agency=agency),
            "a3": await factories.retiree(session, None, agency=agency),
            "a4": await factories.retiree(session, c[2], agency=agency),
            "a5": await factories.retiree(session, c[0], agency=agency),
            "a6": await factories.retiree(session, None, status=Status.MOVED_AWAY, agency=agency),
            "t1": await factories.retiree(session, c[3], agency=agency),
            "t2": await factories.retiree(session, None, agency=agency),
            "n1": await factories.retiree(session, c[0], agency=agency),
        }
        for key, person in people.items():
            person.approval_date = date(2026, 9, 1) if key == "a3" else date(2020, 1, 1)
            person.employer_code = {"a": plant.code, "t": talent.code}.get(key[0])
        people["t1"].management_form = "3"
        operator = (await factories.account(session, tree.district, "operator")).username
        outsider = (await factories.account(session, other.communities[0], "viewer")).username
        await session.flush()
        ids = {key: person.id for key, person in people.items() if person.id is not None}
        for row in (plant, talent):
            session.expunge(row)
    headers = await api.token(operator)
    flagged = await api.call(
        "PUT", f"/api/v1/employers/{talent.code}/talent-centre", headers, json={"talent_centre": True}
    )
    assert flagged.status_code == 200, flagged.text
    await _apply(registry_hub, ids["a3"], Register(c[0].id or 0), date(2026, 10, 5))
    await _apply(registry_hub, ids["a4"], RecordDeath(date(2026, 10, 20)), date(2026, 10, 20))
    await _apply(registry_hub, ids["a5"], Suspend(ReasonCode.SUSPENDED_BY_STAFF), date(2026, 10, 10))
    await _apply(registry_hub, ids["a5"], Resume(ReasonCode.RESUMED_BY_STAFF), date(2026, 10, 25))
    await _handover(api, operator, tree, plant, [ids["a1"], ids["a2"], ids["a4"]])
    return Setting(tree, operator, outsider, plant, talent, ids)


async def test_7_1_business_per_employer_in_the_period(api: Api, setting: Setting) -> None:
    report = await _report(api, setting.operator, "/api/v1/reports/7.1?from=2026-01-01")
    rows = _by_name(report)
    assert setting.talent.name not in rows  # no business in the period
    assert rows[setting.plant.name] == {
        "registered": 1,  # a3
        "handed_over": 3,  # a1 a2 a4
        "transferred_in": 0,
        "transferred_out": 0,
        "deceased": 1,  # a4
        "suspended": 1,  # a5
        "resumed": 1,
        "certified": 0,
    }
    assert [r["code"] for r in report["rows"] if r["name"] == setting.plant.name] == [setting.plant.code]
    assert report["subtitle"].startswith("统计期间：2026-01-01 至")
    before = _by_name(await _report(api, setting.operator, "/api/v1/reports/7.1?from=2026-01-01&to=2026-10-12"))
    assert before[setting.plant.name]["suspended"] == 1 and before[setting.plant.name]["deceased"] == 0
    assert before[setting.plant.name]["handed_over"] == 0  # received today
    named = _by_name(await _report(api, setting.operator, f"/api/v1/reports/7.1?employer={setting.talent.code}"))
    assert named == {}
    headers = await api.token(setting.operator)
    refused = await api.call("GET", "/api/v1/reports/7.1?from=2026-10-31&to=2026-10-01", headers)
    assert refused.status_code == 422 and refused.json()["detail"]["field"] == "to"


async def _naive_head_counts(registry_hub: Hub, employer: Employer) -> dict[str, int]:
    """7.6 recomputed person by person from the retirees' rows and the custody table (today)."""
    async with registry_hub.sessions() as session:
        people = (await session.execute(select(Retiree).where(col(Retiree.employer_code) == employer.code))).scalars()
        kept = set((await session.execute(select(col(ArchiveCustody.retiree_id)))).scalars())
        counts = dict.fromkeys(("total", "managed", "approved", "deceased", "moved_away", "handed_over"), 0)
        counts["not_handed_over"] = 0
        for person in people:
            counts["total"] += 1
            counts["managed"] += person.status in MANAGED
            counts["approved"] += person.status == Status.APPROVED
            counts["deceased"] += person.status == Status.DECEASED
            counts["moved_away"] += person.status == Status.MOVED_AWAY
            counts["handed_over"] += person.id in kept
            counts["not_handed_over"] += person.id not in kept and person.status != Status.MOVED_AWAY
        return counts


async def test_7_6_employer_head_counts_today_against_a_naive_recomputation_and_as_of_a_past_date(
    registry_hub: Hub, api: Api, setting: Setting
) -> None:
    rows = _by_name(await _report(api, setting.operator, "/api/v1/reports/7.6"))
    for employer in (setting.plant, setting.talent):
        naive = await _naive_head_counts(registry_hub, employer)
        assert {k: rows[employer.name][k] for k in naive} == naive, employer.name
    assert rows[setting.plant.name]["total"] == 6 and rows[setting.plant.name]["handed_over"] == 3
    assert rows[setting.talent.name] == {
        "total": 2,
        "managed": 1,
        "approved": 1,
        "deceased": 0,
        "died_this_year": 0,
        "moved_away": 0,
        "handed_over": 0,
        "not_handed_over": 2,
    }
    past = _by_name(await _report(api, setting.operator, "/api/v1/reports/7.6?on=2026-09-30"))
    assert past[setting.plant.name] == {
        "total": 6,
        "managed": 4,  # a1 a2 a4 a5
        "approved": 1,  # a3, registered later
        "deceased": 0,
        "died_this_year": 0,
        "moved_away": 1,
        "handed_over": 0,  # received after the date
        "not_handed_over": 5,
    }


async def test_7_7_registered_per_employer_by_form_and_status(api: Api, setting: Setting) -> None:
    rows = _by_name(await _report(api, setting.operator, "/api/v1/reports/7.7"))
    assert rows[setting.plant.name] == {
        "community": 4,  # a1 a2 a3 a5
        "agency": 0,
        "employer": 0,
        "registered": 4,
        "suspended": 0,
        "transferring_out": 0,
        "total": 4,
    }
    assert rows[setting.talent.name]["employer"] == 1 and rows[setting.talent.name]["total"] == 1
    street = setting.tree.streets[0].id
    narrowed = _by_name(await _report(api, setting.operator, f"/api/v1/reports/7.7?institution_id={street}"))
    assert set(narrowed) == {setting.plant.name}  # t1 is registered in street 1
    past = _by_name(await _report(api, setting.operator, "/api/v1/reports/7.7?on=2026-10-15"))
    assert past[setting.plant.name]["suspended"] == 1 and past[setting.plant.name]["total"] == 5  # a1-a5 (a4 alive)


async def test_7_3_archive_storage_per_street_today_and_as_of_a_past_date(api: Api, setting: Setting) -> None:
    first, second = (s.name for s in setting.tree.streets)
    report = await _report(api, setting.operator, "/api/v1/reports/7.3")
    rows = _by_name(report)
    figures = ("agency_kept", "talent_centre", "employer_kept", "unknown", "total")
    assert [rows[first][k] for k in figures] == [2, 0, 2, 1, 5]  # a1 a2 | a3 a5 | n1
    assert [rows[second][k] for k in figures] == [1, 1, 0, 0, 2]  # a4 (deceased, kept) | t1
    assert [rows["本级直管"][k] for k in figures] == [0, 1, 0, 0, 1]  # t2, not registered: at the agency
    for values in rows.values():
        assert values["city_insured"] + values["county_insured"] == values["total"]
    past = _by_name(await _report(api, setting.operator, "/api/v1/reports/7.3?on=2026-09-30"))
    assert [past[first][k] for k in figures] == [0, 0, 3, 1, 4]  # a1 a2 a5 | n1
    assert [past["本级直管"][k] for k in figures] == [0, 1, 1, 0, 2]  # t2 | a3, approved then
    assert report["total"]["values"]["total"] == 8  # a6 moved out of the city: not counted


async def test_7_1_and_7_6_screen_xlsx_and_pdf_agree(api: Api, setting: Setting) -> None:
    headers = await api.token(setting.operator)
    for report_id, query in (("7.1", "from=2026-01-01"), ("7.6", "on=2026-09-30")):
        screen = await _report(api, setting.operator, f"/api/v1/reports/{report_id}?{query}")
        sheet_answer = await api.call("GET", f"/api/v1/reports/{report_id}.xlsx?{query}", headers)
        assert sheet_answer.status_code == 200, sheet_answer.text
        sheet = load_workbook(io.BytesIO(sheet_answer.content), read_only=True).active
        assert sheet is not None
        labelled = {row[0]: list(row[1:]) for row in sheet.iter_rows(values_only=True) if row and row[0]}
        for row in (*screen["rows"], screen["total"]):
            values = list(row["values"].values())
            assert labelled[row["name"]][: len(values)] == values, row["name"]
        pdf_answer = await api.call("GET", f"/api/v1/reports/{report_id}.pdf?{query}", headers)
        assert pdf_answer.status_code == 200
        text = extract_text(io.BytesIO(pdf_answer.content))
        assert screen["title"] in text and "第 1 页 共 1 页" in text and setting.plant.name in text
        assert screen["subtitle"] in text


async def test_7_1_7_3_7_6_7_7_a_community_outside_sees_nothing(api: Api, setting: Setting) -> None:
    for report_id in ("7.1", "7.3", "7.6", "7.7"):
        report = await _report(api, setting.outsider, f"/api/v1/reports/{report_id}")
        names = {row["name"] for row in report["rows"]}
        assert setting.plant.name not in names and setting.talent.name not in names
        assert not any(report["total"]["values"].values()), report_id
