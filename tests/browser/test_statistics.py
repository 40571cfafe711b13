"""The console's statistical reports (issue 19): a district worker opens 7.15 社会化管理服务工作月报 from the menu,
chooses October, reads each street's figures in the table and the chart's description, exports Excel and prints
the PDF with the same figures; 7.8 by management form as of a past date. Each page is axe-clean."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import RecordDeath, Suspend
from domain.staff.permissions import Role
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console, pdf_text

pytestmark = pytest.mark.browser


async def _district(hub: Hub) -> tuple[str, list[str]]:
    """Street 0 manages three people since 2020: one died on 2026-10-20, one was suspended on 2026-10-10."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        people = [await factories.retiree(session, tree.communities[0]) for _ in range(3)]
        for person in people:
            person.approval_date = date(2020, 1, 1)
        uow = hub.unit_of_work(session, "test")
        cause = status_log.Cause(CauseType.STAFF, "test")
        await status_log.apply(
            uow,
            factories.SETUP,
            people[0],
            RecordDeath(date(2026, 10, 20)),
            effective_date=date(2026, 10, 20),
            cause=cause,
        )
        await status_log.apply(
            uow,
            factories.SETUP,
            people[1],
            Suspend(ReasonCode.SUSPENDED_BY_STAFF),
            effective_date=date(2026, 10, 10),
            cause=cause,
        )
        worker = (await factories.account(session, tree.district, Role.OPERATOR)).username
        return worker, [street.name for street in tree.streets]


async def test_7_15_a_district_worker_reads_exports_and_prints_the_monthly_report(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, streets = await _district(registry_hub)
    await console.login(worker)
    page = console.page
    menu = page.get_by_role("navigation", name="主菜单")
    await menu.get_by_role("menuitem", name="7.15 社会化管理服务工作月报").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("7.15 社会化管理服务工作月报")
    await page.get_by_label("统计月份").fill("2026-10")
    await page.get_by_label("统计月份").press("Enter")
    await page.get_by_role("button", name="统计").click()
    await expect(page.get_by_text("统计月份：2026年10月")).to_be_visible()
    # 月初 3, 新登记 0, 转入 0, 转出 0, 死亡 1, 暂停 1, 恢复 0, 认证 0, 月末 2
    await expect(page.get_by_role("row", name=f"{streets[0]} 3 0 0 0 1 1 0 0 2")).to_be_visible()
    chart = "社会化管理服务工作月报图表：合计 新登记0，转入0，转出0，死亡减员1，暂停发放1，恢复发放0，资格认证人数0"
    await expect(page.get_by_role("img", name=chart)).to_be_visible()
    await console.settled()
    await console.check_accessibility()

    sheet = await console.download("导出Excel", tmp_path / "monthly.xlsx")
    assert sheet.startswith("社会化管理服务工作月报-") and sheet.endswith(".xlsx")
    await console.download("打印PDF", tmp_path / "monthly.pdf")
    text = pdf_text(tmp_path / "monthly.pdf")
    assert streets[0] in text and "审核人" in text and "第 1 页 共 1 页" in text
    assert not console.problems()


async def test_7_8_by_management_form_as_of_a_past_date(registry_hub: Hub, console: Console) -> None:
    worker, streets = await _district(registry_hub)
    await console.login(worker)
    await console.visit("reports/7.8")
    page = console.page
    # today: 社区管理 2, 社保经办机构管理 0, 委托原单位管理 0, 合计 2 (one died)
    await expect(page.get_by_role("row", name=f"{streets[0]} 2 0 0 2")).to_be_visible()
    await page.get_by_label("数据日期").fill("2026-09-30")
    await page.get_by_label("数据日期").press("Enter")
    await page.get_by_role("button", name="统计").click()
    await expect(page.get_by_text("数据日期 2026年9月30日")).to_be_visible()
    await expect(page.get_by_role("row", name=f"{streets[0]} 3 0 0 3")).to_be_visible()
    await console.settled()
    await console.check_accessibility()
