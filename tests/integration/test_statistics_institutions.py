"""Issue 19: 7.4 institutions, 7.5 special people distribution, 7.2 printed as PDF and 7.10 a retiree's base-info
sheet, through the staff API over real PostgreSQL. Special categories are recorded through the supplementary-info
path (4.2), a death through the status log (status_log.apply); figures on screen, in XLSX and in PDF agree."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from pdfminer.high_level import extract_text
from sqlalchemy import select
from sqlmodel import col

from domain.audit.models import AuditEntry
from domain.shared.masking import mask_id_number
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api
from tests.support.reports import record_death

pytestmark = pytest.mark.integration

DEATH = date(2026, 11, 10)
BEFORE = date(2026, 11, 1)


@dataclass
class Setting:
    tree: factories.Tree
    operator: str  # of the district
    outsider: str  # a viewer of communities[2]
    people: dict[str, int]
    id_numbers: dict[str, str]


@pytest.fixture
async def setting(registry_hub: Hub, api: Api) -> Setting:
    """Community 0 (street 0): 甲 born 1960 (工残, 党员), 乙 born 1945 (高龄), 戊 born 1961 (none). Community 2
    (street 1): 丙 born 1962 (劳模), 丁 born 1944 (高龄) who died on 2026-11-10. Accounts: a district operator, a
    viewer of community 2."""
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        home, other = tree.communities[0], tree.communities[2]
        births = {"甲": 1960, "乙": 1945, "戊": 1961, "丙": 1962, "丁": 1944}
        people = {
            key: await factories.retiree(
                session, home if key in "甲乙戊" else other, name=f"特{key}", birth=date(year, 5, 6)
            )
            for key, year in births.items()
        }
        for person in people.values():
            person.approval_date = date(2020, 1, 1)
        operator = (await factories.account(session, tree.district, "operator")).username
        outsider = (await factories.account(session, other, "viewer")).username
        await session.flush()
        result = Setting(
            tree,
            operator,
            outsider,
            {key: p.id for key, p in people.items() if p.id is not None},
            {key: p.id_number for key, p in people.items()},
        )
    headers = await api.token(operator)
    for key, categories in (("甲", ["01", "08"]), ("丙", ["04"])):
        answer = await api.call(
            "PUT",
            f"/api/v1/retirees/{result.people[key]}/supplementary",
            headers,
            json={"special_categories": categories, "household_address": "测试路1号"},
        )
        assert answer.status_code == 200, answer.text
    await record_death(registry_hub, result.people["丁"], DEATH)
    return result


async def _get(api: Api, user: str, path: str) -> Any:
    answer = await api.call("GET", path, await api.token(user))
    assert answer.status_code == 200, answer.text
    return answer


def _by_name(report: Any) -> dict[str, dict[str, Any]]:
    return {row["name"]: row["values"] for row in report["rows"]}


async def test_7_4_institutions_staff_and_people_per_street(api: Api, setting: Setting) -> None:
    report = (await _get(api, setting.operator, "/api/v1/reports/7.4")).json()
    rows = _by_name(report)
    first, second = (s.name for s in setting.tree.streets)
    assert rows[first] == {
        "district": 0,
        "street": 1,
        "community": 2,
        "active": 3,
        "inactive": 0,
        "staff": 0,
        "retirees": 3,  # 甲 乙 戊
    }
    assert rows[second]["staff"] == 1 and rows[second]["retirees"] == 1  # the viewer; 丙 (丁 died)
    assert rows["本级直管"]["district"] == 1 and rows["本级直管"]["staff"] == 1  # the district and its operator
    assert report["total"]["values"]["active"] == 7 and report["total"]["values"]["retirees"] == 4


async def test_7_5_special_people_per_street_today_and_as_of_a_past_date(api: Api, setting: Setting) -> None:
    today = _by_name((await _get(api, setting.operator, "/api/v1/reports/7.5")).json())
    first, second = (s.name for s in setting.tree.streets)
    assert today[first] == {
        "disabled": 1,
        "widowed": 0,
        "aged": 1,
        "model_worker": 0,
        "serious_illness": 0,
        "extreme_poverty": 0,
        "veteran": 0,
        "party_member": 1,
        "people": 2,  # 甲 (two categories, once) and 乙
    }
    assert today[second]["model_worker"] == 1 and today[second]["aged"] == 0 and today[second]["people"] == 1
    # On 1 November 丁 was alive and managed; the categories were recorded after it, so they do not count then.
    before = _by_name((await _get(api, setting.operator, f"/api/v1/reports/7.5?on={BEFORE}")).json())
    assert before[second]["aged"] == 1 and before[second]["model_worker"] == 0 and before[second]["people"] == 1
    assert before[first]["aged"] == 1 and before[first]["disabled"] == 0 and before[first]["people"] == 1


async def test_7_5_screen_and_xlsx_agree(api: Api, setting: Setting) -> None:
    screen = (await _get(api, setting.operator, "/api/v1/reports/7.5")).json()
    sheet_answer = await _get(api, setting.operator, "/api/v1/reports/7.5.xlsx")
    sheet = load_workbook(io.BytesIO(sheet_answer.content), read_only=True).active
    assert sheet is not None
    labelled = {row[0]: list(row[1:10]) for row in sheet.iter_rows(values_only=True) if row and row[0]}
    for row in (*screen["rows"], screen["total"]):
        assert labelled[row["name"]] == list(row["values"].values()), row["name"]
    pdf = extract_text(io.BytesIO((await _get(api, setting.operator, "/api/v1/reports/7.5.pdf")).content))
    assert "特殊人员分布情况统计" in pdf and "党员" in pdf and "第 1 页 共 1 页" in pdf


async def test_7_4_7_5_refused_outside_the_scope(api: Api, setting: Setting) -> None:
    headers = await api.token(setting.outsider)
    home = setting.tree.communities[0].id
    for path in (f"/api/v1/reports/7.5?institution_id={home}", f"/api/v1/reports/7.4.xlsx?institution_id={home}"):
        answer = await api.call("GET", path, headers)
        assert answer.status_code in (403, 404), path
    own = (await _get(api, setting.outsider, "/api/v1/reports/7.5")).json()
    assert [row["name"] for row in own["rows"]] == ["本级直管"] and own["total"]["values"]["model_worker"] == 1


async def test_7_2_pdf_shows_the_screen_figures_as_of_a_past_date(
    api: Api, setting: Setting, registry_hub: Hub
) -> None:
    path = f"/api/v1/reports/retiree-distribution?on={BEFORE}"
    screen = (await _get(api, setting.operator, path)).json()
    rows = {row["name"]: row["counts"] for row in screen["by_institution"]}
    first, second = (s.name for s in setting.tree.streets)
    assert rows[first]["total"] == 3 and rows[second]["total"] == 2  # 丁 still alive on 1 November
    current = (await _get(api, setting.operator, "/api/v1/reports/retiree-distribution")).json()
    now = {row["name"]: row["counts"] for row in current["by_institution"]}
    assert now[second]["total"] == 1
    answer = await _get(api, setting.operator, f"/api/v1/reports/retiree-distribution.pdf?on={BEFORE}")
    text = extract_text(io.BytesIO(answer.content))
    assert "退休人员分布情况统计表" in text and "第 1 页 共 1 页" in text and "审核人" in text
    assert f"统计日期：{BEFORE.isoformat()}" in text and first in text and second in text
    for figure in (rows[first]["total"], rows[second]["total"], screen["total"]["total"]):
        assert str(figure) in text
    async with registry_hub.sessions() as session:
        printed = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(col(AuditEntry.action) == "document.printed", col(AuditEntry.actor) == setting.operator)
                    .order_by(col(AuditEntry.id).desc())
                )
            )
            .scalars()
            .first()
        )
    assert printed is not None and printed.detail["subject"]["report"] == "7.2"


async def test_7_10_the_sheet_names_the_person_masks_and_is_audited(
    api: Api, setting: Setting, registry_hub: Hub
) -> None:
    person = setting.people["甲"]
    answer = await _get(api, setting.operator, f"/api/v1/retirees/{person}/sheet.pdf")
    text = extract_text(io.BytesIO(answer.content))
    full = setting.id_numbers["甲"]
    assert "退休人员基本信息表" in text and "特甲" in text and "测试路1号" in text
    assert str(mask_id_number(full)) in text and full not in text
    assert "工伤致残" in text or "工残" in text
    assert "审核人" in text and "单位（盖章）" in text
    async with registry_hub.sessions() as session:
        entries = (
            (await session.execute(select(AuditEntry).where(col(AuditEntry.retiree_id) == person))).scalars().all()
        )
    printed = [e for e in entries if e.action == "document.printed"]
    assert printed and printed[-1].detail["masked"] is True and printed[-1].detail["title"] == "退休人员基本信息表"
    unmasked = await _get(api, setting.operator, f"/api/v1/retirees/{person}/sheet.pdf?unmasked=true")
    assert full in extract_text(io.BytesIO(unmasked.content))


async def test_7_10_refused_outside_the_scope_like_the_detail(api: Api, setting: Setting) -> None:
    headers = await api.token(setting.outsider)
    person = setting.people["甲"]
    detail = await api.call("GET", f"/api/v1/retirees/{person}", headers)
    sheet = await api.call("GET", f"/api/v1/retirees/{person}/sheet.pdf", headers)
    assert sheet.status_code == detail.status_code and sheet.status_code in (403, 404)
    assert sheet.json()["code"] == detail.json()["code"]
    own = setting.people["丙"]
    refused = await api.call("GET", f"/api/v1/retirees/{own}/sheet.pdf?unmasked=true", headers)
    assert refused.status_code == 403 and refused.json()["code"] == "EXPORT_UNMASKED_REFUSED"
