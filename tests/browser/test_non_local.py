"""The console's non-local residents (4.7): a worker of the insuring agency records, from the retiree's page
(「居住地」), that a retiree lives in another city; the timeline shows it and the page 「异地居住人员」 lists them
under 本市参保异地居住; and the people insured elsewhere who live here are added on the other tab."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from domain.shared import calendar
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _still(console: Console) -> None:
    """axe once every transition has finished (a dialog's fade would wash out the colours)."""
    await console.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await console.check_accessibility()


async def _confirm(page: Page, title: str, button: str) -> None:
    box = page.get_by_role("dialog", name=title)
    await expect(box).to_be_visible()
    await box.get_by_role("button", name=button).click()


async def test_4_7_an_agency_records_a_retiree_living_in_another_city_and_finds_them_in_the_list(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        worker = await factories.account(session, tree.district, Role.OPERATOR)
        person = await factories.retiree(session, tree.district, name="钱居京", agency=tree.district.code)
        assert person.id is not None
    since = calendar.today() - timedelta(days=100)
    page = console.page
    await console.login(worker.username)
    await console.visit(f"retirees/{person.id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员详情：钱居京")

    await page.get_by_role("button", name="居住地", exact=True).click()
    dialog = page.get_by_role("dialog", name="居住地")
    await expect(dialog).to_be_visible()
    await _still(console)
    await dialog.get_by_role("combobox", name="居住城市").click(force=True)  # over its placeholder
    await page.get_by_role("option", name="北京市（110100）").click()
    picker = dialog.get_by_role("combobox", name="居住起始日期")
    await picker.fill(since.isoformat())
    await picker.press("Enter")
    await dialog.get_by_label("居住地址").fill("北京市朝阳区望京街道1号")
    await dialog.get_by_role("button", name="保存居住地").click()
    await _confirm(page, "确认居住地", "确认保存")
    await expect(dialog.get_by_text("已保存居住地")).to_be_visible()
    await expect(dialog.get_by_text(re.compile(r"北京市（110100）.*列为异地居住人员"))).to_be_visible()
    await _still(console)
    await dialog.get_by_role("button", name="关闭", exact=True).click()
    await expect(dialog).to_be_hidden()
    history = page.get_by_role("list", name="人员经历")
    entry = history.get_by_role("heading", name=re.compile(r"^居住地登记为北京市（110100），异地居住"))
    await expect(entry).to_be_visible()

    await console.visit("non-local")
    await expect(page.get_by_role("heading", level=1)).to_have_text("异地居住人员")
    await page.get_by_role("combobox", name="按居住城市筛选").click(force=True)
    await page.get_by_role("option", name="北京市（110100）").click()
    await page.get_by_role("button", name="查询").click()
    listed = page.get_by_role("region", name="本市参保异地居住人员")
    row = listed.get_by_role("row").filter(has=page.get_by_role("link", name="钱居京"))
    await expect(row).to_be_visible()
    await expect(row.get_by_text("北京市朝阳区望京街道1号")).to_be_visible()
    await _still(console)
