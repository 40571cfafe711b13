"""Issue 19: the statistical reports of section 7 drawn from declarations, through the staff API over real
PostgreSQL — each by its function point on data made by the command path (status_log.apply), the figures on screen,
in XLSX and in the PDF the same, scope (1.3), as of a past date, parameters refused naming them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from pdfminer.high_level import extract_text

from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import RecordDeath, Register, Resume, Status, Suspend
from domain.retirees.models import Retiree
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


@dataclass
class Setting:
    tree: factories.Tree
    district_operator: str
    community_viewer: str  # of communities[0]
    people: dict[str, int]


async def _apply(hub: Hub, retiree_id: int, command: Any, on: date) -> int:
    async with hub.sessions() as session, session.begin():
        person = await status_log.locked_retiree(session, retiree_id)
        entry = await status_log.apply(
            hub.unit_of_work(session, "test"),
            factories.SETUP,
            person,
            command,
            effective_date=on,
            cause=status_log.Cause(CauseType.STAFF, "test"),
        )
        assert entry.id is not None
        return entry.id


@pytest.fixture
async def setting(registry_hub: Hub) -> Setting:
    """Street 0 (communities 0, 1) and street 1 (communities 2, 3) of a fresh district. In October 2026, in
    community 0: 甲 registered on 10-05 (approved before), 乙 died on 10-20, 丙 suspended (S04) on 10-10 and resumed
    (R02) on 10-25, 丁 suspended (S01) on 10-12 — restored as an error; in community 2: 戊 managed all along.
    Management forms: 甲 社区管理, 丙 委托原单位管理, 戊 社保经办机构管理."""
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        home, other = tree.communities[0], tree.communities[2]
        people: dict[str, Retiree] = {
            "甲": await factories.retiree(session, None, name="统甲"),
            "乙": await factories.retiree(session, home, name="统乙"),
            "丙": await factories.retiree(session, home, name="统丙"),
            "丁": await factories.retiree(session, home, name="统丁"),
            "戊": await factories.retiree(session, other, name="统戊"),
        }
        people["甲"].approval_date = date(2026, 9, 1)
        people["丙"].management_form = "3"
        people["戊"].management_form = "2"
        for person in people.values():
            person.approval_date = person.approval_date or date(2020, 1, 1)
        result = Setting(
            tree,
            (await factories.account(session, tree.district, "operator")).username,
            (await factories.account(session, home, "viewer")).username,
            {},
        )
        await session.flush()
        result.people = {key: person.id for key, person in people.items() if person.id is not None}
    ids = result.people
    await _apply(registry_hub, ids["甲"], Register(tree.communities[0].id or 0), date(2026, 10, 5))
    await _apply(registry_hub, ids["乙"], RecordDeath(date(2026, 10, 20)), date(2026, 10, 20))
    await _apply(registry_hub, ids["丙"], Suspend(ReasonCode.SUSPENDED_BY_STAFF), date(2026, 10, 10))
    await _apply(registry_hub, ids["丙"], Resume(ReasonCode.RESUMED_BY_STAFF), date(2026, 10, 25))
    wrong = await _apply(registry_hub, ids["丁"], Suspend(ReasonCode.CERTIFICATION_OVERDUE), date(2026, 10, 12))
    async with registry_hub.sessions() as session, session.begin():
        await status_log.restore_in_error(
            registry_hub.unit_of_work(session, "test"), factories.SETUP, wrong, retiree_id=ids["丁"]
        )
    return result


async def _report(api: Api, user: str, path: str) -> Any:
    answer = await api.call("GET", path, await api.token(user))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _by_name(report: Any) -> dict[str, dict[str, Any]]:
    return {row["name"]: row["values"] for row in report["rows"]}


async def test_7_15_the_monthly_work_report_per_street(api: Api, setting: Setting) -> None:
    report = await _report(api, setting.district_operator, "/api/v1/reports/7.15?month=2026-10")
    streets = _by_name(report)
    first, second = (s.name for s in setting.tree.streets)
    assert streets[first] == {
        "opening": 3,  # 乙 丙 丁 (甲 approved, not registered yet)
        "registered": 1,
        "transferred_in": 0,
        "transferred_out": 0,
        "deceased": 1,
        "suspended": 1,  # 丙; 丁's suspension was restored as an error
        "resumed": 1,
        "certified": 0,
        "closing": 3,  # 甲 丙 丁
    }
    assert streets[second]["opening"] == streets[second]["closing"] == 1
    assert report["total"]["values"]["closing"] == 4 and report["total"]["name"] == "合计"
    assert report["subtitle"].startswith("统计月份：2026年10月")


async def test_7_13_suspensions_and_resumptions_by_reason_over_a_period(api: Api, setting: Setting) -> None:
    path = "/api/v1/reports/7.13?from=2026-10-01&to=2026-10-31"
    streets = _by_name(await _report(api, setting.district_operator, path))
    first = streets[setting.tree.streets[0].name]
    assert first["s04"] == 1 and first["s01"] == 0 and first["suspended"] == 1  # 丁's S01 restored: not counted
    assert first["r02"] == 1 and first["resumed"] == 1
    earlier = _by_name(
        await _report(api, setting.district_operator, "/api/v1/reports/7.13?from=2026-10-01&to=2026-10-15")
    )
    assert earlier[setting.tree.streets[0].name]["resumed"] == 0
    answer = await api.call(
        "GET", "/api/v1/reports/7.13?from=2026-10-31&to=2026-10-01", await api.token(setting.district_operator)
    )
    assert answer.status_code == 422 and answer.json()["detail"]["field"] == "to"


async def test_7_8_by_management_form_today_and_as_of_a_past_date(api: Api, setting: Setting) -> None:
    today = _by_name(await _report(api, setting.district_operator, "/api/v1/reports/7.8"))
    first, second = (s.name for s in setting.tree.streets)
    assert today[first] == {"community": 2, "agency": 0, "employer": 1, "total": 3}  # 甲 丁, 丙 (乙 died)
    assert today[second] == {"community": 0, "agency": 1, "employer": 0, "total": 1}
    before = _by_name(await _report(api, setting.district_operator, "/api/v1/reports/7.8?on=2026-09-30"))
    assert before[first]["total"] == 3  # 乙 丙 丁; 甲 not registered yet


async def test_7_x_a_community_sees_its_own_figures_only(api: Api, setting: Setting) -> None:
    report = await _report(api, setting.community_viewer, "/api/v1/reports/7.15?month=2026-10")
    assert [row["name"] for row in report["rows"]] == ["本级直管"]
    assert report["total"]["values"]["closing"] == 3 and report["scope_name"] == setting.tree.communities[0].name


async def test_7_15_screen_xlsx_and_pdf_show_the_same_figures(api: Api, setting: Setting) -> None:
    headers = await api.token(setting.district_operator)
    screen = await _report(api, setting.district_operator, "/api/v1/reports/7.15?month=2026-10")
    sheet_answer = await api.call("GET", "/api/v1/reports/7.15.xlsx?month=2026-10", headers)
    assert sheet_answer.status_code == 200, sheet_answer.text
    sheet = load_workbook(io.BytesIO(sheet_answer.content), read_only=True).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    labelled = {row[0]: row[1:] for row in rows if row and row[0]}
    for row in (*screen["rows"], screen["total"]):
        assert list(labelled[row["name"]][:9]) == list(row["values"].values()), row["name"]
    pdf_answer = await api.call("GET", "/api/v1/reports/7.15.pdf?month=2026-10", headers)
    assert pdf_answer.status_code == 200
    text = extract_text(io.BytesIO(pdf_answer.content))
    assert "社会化管理服务工作月报" in text and "第 1 页 共 1 页" in text and "审核人" in text
    assert "统计月份：2026年10月" in text
    for row in screen["rows"]:
        assert row["name"] in text


async def test_7_x_the_catalogue_and_unknown_reports(api: Api, setting: Setting) -> None:
    catalogue = await _report(api, setting.community_viewer, "/api/v1/reports")
    assert {"7.8", "7.13", "7.15"} <= {r["id"] for r in catalogue["reports"]}
    headers = await api.token(setting.community_viewer)
    assert (await api.call("GET", "/api/v1/reports/7.99", headers)).json()["code"] == "REPORT_NOT_FOUND"
    refused = await api.call("GET", "/api/v1/reports/7.15?month=2026-13", headers)
    assert refused.status_code == 422 and refused.json()["detail"]["field"] == "month"
    assert (await api.call("GET", "/api/v1/reports/7.13?on=2026-01-01", headers)).status_code == 422
    assert Status.REGISTERED  # the setting's states come from the log, not inserted rows
