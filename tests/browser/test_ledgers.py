"""The console's special ledgers (业务台账, 5.1): a community worker opens 业务台账, sees the eight ledgers' counts over
their community, opens 高龄 (computed from the birth date) and 劳模 (a special category), and exports the ledger as
Excel and prints it as PDF; the page is axe-clean."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.ledgers.models import aged_cutoff
from domain.retirees.models import SupplementaryInfo
from domain.shared import calendar
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _community(hub: Hub) -> str:
    """A community with 周福海 (80), 吴秀英 (75 tomorrow: not yet 高龄) and 郑国强 (劳模 and 党员, 66)."""
    today = calendar.today()
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        await factories.retiree(session, community, name="周福海", birth=aged_cutoff(today, 80))
        await factories.retiree(session, community, name="吴秀英", birth=aged_cutoff(today, 75) + timedelta(days=1))
        model = await factories.retiree(session, community, name="郑国强", birth=date(today.year - 66, 3, 3))
        assert model.id is not None
        session.add(SupplementaryInfo(retiree_id=model.id, special_categories=["04", "08"], recorded_by="test"))
        return (await factories.account(session, community, Role.OPERATOR)).username


async def test_5_1_a_community_worker_opens_the_ledgers_and_exports_them(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker = await _community(registry_hub)
    await console.login(worker)
    page = console.page
    await page.get_by_role("navigation", name="主菜单").get_by_role("menuitem", name="业务台账", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("业务台账")
    ledgers = page.get_by_role("group", name="八类台账")
    for label, count in (("工残", 0), ("孤寡", 0), ("高龄", 1), ("劳模", 1), ("党员", 1), ("军转", 0)):
        await expect(ledgers.get_by_role("button", name=re.compile(rf"^{label}\s*{count}\s*人$"))).to_be_visible()

    aged = page.get_by_role("table").filter(has=page.get_by_text("周福海"))
    await expect(page.get_by_role("heading", name="高龄老人台账")).to_be_visible()
    await expect(aged.get_by_text("周福海")).to_be_visible()
    await expect(page.get_by_text("吴秀英")).to_have_count(0)
    await expect(page.get_by_text("满龄日期")).to_be_visible()
    await console.settled()
    await console.check_accessibility()

    await ledgers.get_by_role("button", name=re.compile(r"^劳模")).click()
    await expect(page.get_by_role("heading", name="劳动模范台账")).to_be_visible()
    await expect(page.get_by_role("link", name="郑国强")).to_be_visible()
    await expect(page.get_by_role("link", name="周福海")).to_have_count(0)
    await expect(page.get_by_text("类别登记日期")).to_be_visible()
    await console.settled()
    await console.check_accessibility()

    sheet = await console.download("导出Excel", tmp_path / "ledger.xlsx")
    assert sheet.startswith("劳动模范台账-") and sheet.endswith(".xlsx")
    saved = tmp_path / "ledger.pdf"
    await console.download("打印PDF", saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert not console.problems()
