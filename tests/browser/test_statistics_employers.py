"""The console's employer reports (issue 19): a district worker opens 7.1 单位业务统计 from the menu, narrows it to
one employer and a period, reads the employer's business in the table and the chart's description, and exports
Excel with the same figures. The page is axe-clean."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.dictionary.codes import ReasonCode
from domain.employers.models import Employer
from domain.retirees.lifecycle import RecordDeath, Register, Suspend
from domain.staff.permissions import Role
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console, sheet_rows

pytestmark = pytest.mark.browser


async def _district(hub: Hub) -> tuple[str, str, str]:
    """An employer of a fresh district: one retiree registered on 2026-10-05, one died on 2026-10-20, one suspended
    on 2026-10-10; another employer with a death the filter leaves out."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        agency = tree.district.code
        plant = Employer(code=factories.code("E"), name=f"页面测试厂{factories.code('')}", insuring_agency_code=agency)
        other = Employer(code=factories.code("E"), name=f"页面其他厂{factories.code('')}", insuring_agency_code=agency)
        session.add_all([plant, other])
        newcomer = await factories.retiree(session, None, agency=agency)
        people = [await factories.retiree(session, tree.communities[0], agency=agency) for _ in range(3)]
        for person in (newcomer, *people):
            person.approval_date = date(2020, 1, 1)
            person.employer_code = plant.code
        people[2].employer_code = other.code
        uow = hub.unit_of_work(session, "test")
        cause = status_log.Cause(CauseType.STAFF, "test")
        for person, command, on in (
            (newcomer, Register(tree.communities[0].id or 0), date(2026, 10, 5)),
            (people[0], RecordDeath(date(2026, 10, 20)), date(2026, 10, 20)),
            (people[1], Suspend(ReasonCode.SUSPENDED_BY_STAFF), date(2026, 10, 10)),
            (people[2], RecordDeath(date(2026, 10, 21)), date(2026, 10, 21)),
        ):
            await status_log.apply(uow, factories.SETUP, person, command, effective_date=on, cause=cause)
        worker = (await factories.account(session, tree.district, Role.OPERATOR)).username
        return worker, plant.code, plant.name


async def test_7_1_a_district_worker_filters_reads_and_exports_business_by_employer(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, code, name = await _district(registry_hub)
    await console.login(worker)
    page = console.page
    menu = page.get_by_role("navigation", name="主菜单")
    await menu.get_by_role("menuitem", name="7.1 单位业务统计").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("7.1 单位业务统计")
    await page.get_by_label("起始日期", exact=True).fill("2026-10-01")
    await page.get_by_label("起始日期", exact=True).press("Enter")
    await page.get_by_label("单位", exact=True).fill(code)
    await page.get_by_role("button", name="统计").click()
    await expect(page.get_by_text("统计期间：2026-10-01 至")).to_be_visible()
    table = page.get_by_role("table", name="单位业务统计统计表")
    # 新登记 1, 档案移交接收 0, 转入 0, 转出 0, 死亡减员 1, 暂停发放 1, 恢复发放 0, 资格认证 0
    await expect(page.get_by_role("row", name=f"{name} 1 0 0 0 1 1 0 0")).to_be_visible()
    await expect(table.get_by_text("页面其他厂")).to_have_count(0)
    chart = "单位业务统计图表：合计 新登记1，档案移交接收0，转入0，转出0，死亡减员1，暂停发放1，恢复发放0，资格认证0"
    await expect(page.get_by_role("img", name=chart)).to_be_visible()
    await console.settled()
    await console.check_accessibility()

    saved = tmp_path / "business.xlsx"
    exported = await console.download("导出Excel", saved)
    assert exported.startswith("单位业务统计-") and exported.endswith(".xlsx")
    rows = {row[0]: list(row[1:9]) for row in sheet_rows(saved) if row and row[0]}
    assert rows[name] == [1, 0, 0, 0, 1, 1, 0, 0] and rows["合计"] == [1, 0, 0, 0, 1, 1, 0, 0]
    assert not console.problems()
