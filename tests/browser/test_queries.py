"""The console's queries of section 6 (issue 18): a district worker opens 6.3 from the menu, filters by name, sees
the registered and active people only, asks as of a past date and sees who was registered then, sorts, exports
every row as Excel; 6.12 asks for its required day and names the field; 6.22 lists what the province has not yet
acknowledged, its 15 columns on a 1440px screen (the table scrolls, the name stays). Each page is axe-clean."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Suspend
from domain.staff.permissions import Role
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser

# Scrolls every part of the table that scrolls sideways to its right end; answers how far it went.
_SCROLL_TO_THE_END = """(table) => [table, ...table.querySelectorAll('*')]
  .filter((e) => e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX !== 'visible')
  .reduce((moved, e) => { e.scrollLeft = e.scrollWidth; return moved + e.scrollLeft }, 0)"""


async def _district(hub: Hub) -> tuple[str, str]:
    """A district worker, and a surname: 甲 and 乙 registered; 丙 suspended on 2026-10-01 (registered before)."""
    surname = "查" + uuid.uuid4().hex[:3]
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        for given, birth in (("甲", date(1950, 3, 15)), ("乙", date(1956, 7, 1))):
            await factories.retiree(session, community, name=f"{surname}{given}", birth=birth)
        third = await factories.retiree(session, community, name=f"{surname}丙", birth=date(1953, 3, 15))
        await status_log.apply(
            hub.unit_of_work(session, "test"),
            factories.SETUP,
            third,
            Suspend(ReasonCode.SUSPENDED_BY_STAFF),
            effective_date=date(2026, 10, 1),
            cause=status_log.Cause(CauseType.STAFF, "test"),
        )
        return (await factories.account(session, tree.district, Role.OPERATOR)).username, surname


async def test_6_3_a_district_worker_queries_the_registered_as_of_a_date_and_exports(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, surname = await _district(registry_hub)
    await console.login(worker)
    page = console.page
    await console.open_from_menu("6.3 已登记人员查询")
    await page.get_by_role("textbox", name="姓名", exact=True).fill(surname)
    await page.get_by_role("button", name="查询").click()
    results = page.get_by_role("main")
    await expect(page.get_by_text("共 2 条", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=f"{surname}甲")).to_be_visible()
    await expect(page.get_by_role("link", name=f"{surname}丙")).to_have_count(0)
    await console.settled()
    await console.check_accessibility()

    await page.get_by_label("数据日期").fill("2026-09-30")
    await page.get_by_label("数据日期").press("Enter")
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("数据日期 2026年9月30日")).to_be_visible()
    await expect(page.get_by_text("共 3 条", exact=True)).to_be_visible()
    await expect(results.get_by_role("link", name=f"{surname}丙")).to_be_visible()

    await page.get_by_role("columnheader", name="出生日期 按 出生日期 排序").click()  # ascending: the oldest first
    await expect(page.get_by_role("row").filter(has_text=surname).first).to_contain_text(f"{surname}甲")

    names = await console.exported_cells("已登记人员查询", tmp_path / "registered.xlsx", surname)
    assert names == {f"{surname}甲", f"{surname}乙", f"{surname}丙"}
    assert not console.problems()


async def test_6_12_the_birthday_query_asks_for_its_day_and_finds_the_birthdays(
    registry_hub: Hub, console: Console
) -> None:
    worker, surname = await _district(registry_hub)
    await console.login(worker)
    await console.visit("queries/6.12")
    page = console.page
    await expect(page.get_by_role("heading", level=1)).to_have_text("6.12 按生日查询")
    await page.get_by_role("textbox", name="姓名", exact=True).fill(surname)
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("请填写生日自")).to_be_visible()
    await page.get_by_label("生日自").fill("03-15")
    await page.get_by_role("button", name="查询").click()
    results = page.get_by_role("main")
    await expect(results.get_by_role("link", name=f"{surname}甲")).to_be_visible()
    await expect(results.get_by_role("link", name=f"{surname}丙")).to_be_visible()  # suspended: still visited
    await expect(results.get_by_role("link", name=f"{surname}乙")).to_have_count(0)
    await console.settled()
    await console.check_accessibility()


async def test_6_22_staff_see_what_the_province_has_not_acknowledged(registry_hub: Hub, console: Console) -> None:
    worker, surname = await _district(registry_hub)
    await console.login(worker)
    await console.visit("queries/6.22")
    page = console.page
    await page.get_by_role("textbox", name="姓名", exact=True).fill(surname)
    await page.get_by_role("combobox", name="上报状态").click(force=True)  # its placeholder takes the click
    await page.get_by_role("option", name="省平台未确认（待上报、已上报、失败）").click()
    await page.get_by_role("button", name="查询").click()
    results = page.get_by_role("main")
    await expect(results.get_by_role("link", name=f"{surname}丙")).to_be_visible()
    await expect(results.get_by_text("暂停发放").first).to_be_visible()
    await expect(results.get_by_text("待上报省平台").first).to_be_visible()
    await console.settled()
    await console.check_accessibility()

    # 15 columns fit a 1440px screen: the table scrolls inside itself, the page never sideways, and the name (a fixed
    # column) stays in view when the table is scrolled to its last column.
    assert await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    table = page.get_by_label("人员状态变更查询结果", exact=True)
    await table.evaluate(_SCROLL_TO_THE_END)
    await expect(table.get_by_role("columnheader", name="上报失败原因")).to_be_in_viewport()
    name = results.get_by_role("link", name=f"{surname}丙")
    await expect(name).to_be_in_viewport()
    box, frame = await name.bounding_box(), await table.bounding_box()
    assert box and frame and frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    assert not console.problems()
