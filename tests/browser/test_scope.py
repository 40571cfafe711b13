"""The query scope picker in the header (1.3): a district worker narrows every list to one community of the
district, and clears it again; the choice is kept by the API and applies to the lists the pages ask for."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def test_1_3_a_district_worker_narrows_the_lists_to_one_community_and_back(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        worker = (await factories.account(session, tree.district, Role.OPERATOR)).username
        await factories.retiree(session, tree.communities[0], name="范围甲")
        await factories.retiree(session, tree.communities[3], name="范围乙")
        chosen, district = tree.communities[0].name, tree.district.name
    page = console.page
    await console.login(worker)
    table = page.get_by_role("region", name="退休人员列表")

    await console.visit("retirees")
    await expect(table.get_by_role("link", name="范围甲")).to_be_visible()
    await expect(table.get_by_role("link", name="范围乙")).to_be_visible()

    picker = page.get_by_role("combobox", name="查询范围")
    await picker.click()
    await page.keyboard.type(chosen)
    await page.get_by_role("tree").get_by_text(chosen, exact=True).click()
    await expect(page.get_by_text(f"查询范围已设为：{chosen}")).to_be_visible()
    await console.check_accessibility()

    await console.visit("retirees")
    await expect(table.get_by_role("link", name="范围甲")).to_be_visible()
    await expect(table.get_by_role("link", name="范围乙")).to_have_count(0)
    await expect(page.get_by_text(re.compile(r"^共 1 条$"))).to_be_visible()

    # Widened to the district again, the lists cover all of it.
    await picker.click()
    await page.keyboard.type(district)
    await page.get_by_role("tree").get_by_text(district, exact=True).click()
    await expect(page.get_by_text(f"查询范围已设为：{district}")).to_be_visible()
    await console.visit("retirees")
    await expect(table.get_by_role("link", name="范围甲")).to_be_visible()
    await expect(table.get_by_role("link", name="范围乙")).to_be_visible()
