"""The console's 机构拆分合并 (4.8): a street operator chooses the street, the community to merge and the one it goes
into, previews who moves, chooses what becomes of the merged community's accounts, confirms, and sees the move
completed in the list (applied in the background, here by the same job the rules scheduler runs)."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Page, expect

from app.jobs import run_community_moves
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _still(console: Console) -> None:
    """axe once every transition has finished (a dialog's fade would wash out the colours)."""
    await console.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await console.check_accessibility()


async def _choose(page: Page, label: str, option: str) -> None:
    await page.get_by_role("combobox", name=label).click(force=True)
    await page.get_by_role("option", name=option, exact=True).filter(visible=True).click()
    await expect(page.get_by_role("listbox").filter(visible=True)).to_have_count(0)  # closed before the next one


async def test_4_8_a_street_operator_merges_one_community_into_another_and_sees_the_result(
    registry_hub: Hub, console: Console
) -> None:
    suffix = uuid.uuid4().hex[:6]
    street, source, target = f"拆并街道{suffix}", f"合并社区{suffix}", f"目标社区{suffix}"
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        tree.streets[0].name, tree.communities[0].name, tree.communities[1].name = street, source, target
        operator = await factories.account(session, tree.streets[0], Role.OPERATOR)
        await factories.account(session, tree.communities[0], Role.OPERATOR)
        for name in ("张桂兰", "李秀英", "王建国"):  # shown masked: 张** …
            await factories.retiree(session, tree.communities[0], name=name)
    page = console.page
    await console.login(operator.username)
    await console.visit("community-moves")
    await expect(page.get_by_role("heading", level=1)).to_have_text("机构拆分合并")

    await _choose(page, "街道（乡镇）", street)
    await _choose(page, "原社区", source)
    await _choose(page, "目标社区", target)
    await page.get_by_role("radio", name="合并（全部迁移并撤销原社区）").check(force=True)
    await page.get_by_role("radio", name="停用").check(force=True)
    await page.get_by_label("拆分合并原因").fill("社区合并调整")
    await page.get_by_role("button", name="预览迁移名单").click()
    await expect(page.get_by_text("将迁移 3 人")).to_be_visible()
    preview = page.get_by_role("region", name="将迁移的人员（前20名）")
    await expect(preview.get_by_role("row")).to_have_count(4)  # the header and three people, masked
    await expect(preview.get_by_text("张**")).to_be_visible()
    await _still(console)

    await page.get_by_role("button", name="确认办理").click()
    box = page.get_by_role("dialog", name="确认拆分合并")
    await expect(box).to_be_visible()
    await _still(console)
    await box.get_by_role("button", name="确认办理").click()
    records = page.get_by_role("region", name="拆分合并记录")
    await expect(records.get_by_text(f"{source} → {target}")).to_be_visible()

    await run_community_moves(registry_hub)  # what the rules scheduler does every few seconds
    row = records.get_by_role("row").filter(has_text=f"{source} → {target}")
    await expect(row.get_by_text("已完成")).to_be_visible(timeout=15_000)
    await expect(row.get_by_text("已迁移 3 人")).to_be_visible()
    await expect(row.get_by_text("；原社区已撤销")).to_be_visible()
    await expect(row.get_by_text("；账号停用 1 个")).to_be_visible()
    await _still(console)
