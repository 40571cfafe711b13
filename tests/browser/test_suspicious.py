"""The console's 疑似信息核查 (2.8): a community operator opens the worklist of a compared suspicious list, marks one
row checked with a note (a dialog, then the confirmation) and downloads the comparison result; axe clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from hub.bootstrap import Hub
from tests.browser.support import Console
from tests.integration.test_suspicious_compare import _compare, _world

pytestmark = pytest.mark.browser


async def _still(console: Console) -> None:
    await console.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await console.check_accessibility()


async def test_2_8_an_operator_reviews_a_suspicious_row_and_downloads_the_result(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    world = await _world(registry_hub)
    await _compare(registry_hub, world.import_id)
    page = console.page
    await console.login(world.community_operator)
    await console.visit("suspicious")
    await expect(page.get_by_role("heading", level=1)).to_have_text("疑似信息核查")
    await expect(page.get_by_role("combobox", name="疑似名单")).to_be_visible()
    table = page.get_by_role("region", name="比对结果")
    row_number = world.rows["exact"]
    await expect(table.get_by_role("button", name=f"核查无误：第{row_number}行")).to_be_visible()
    await _still(console)

    await table.get_by_role("button", name=f"核查无误：第{row_number}行").click()
    dialog = page.get_by_role("dialog", name="核查无误")
    await expect(dialog).to_be_visible()
    await _still(console)
    await dialog.get_by_label("核查说明").fill("已电话核实本人健在")
    await dialog.get_by_role("button", name="确定").click()
    box = page.get_by_role("dialog", name="请确认")
    await expect(box).to_be_visible()
    await box.get_by_role("button", name="确定").click()
    await expect(page.get_by_text(f"已完成核查无误：第{row_number}行")).to_be_visible()
    await expect(table.get_by_role("button", name=f"核查无误：第{row_number}行")).to_have_count(0)

    assert (await console.download("下载比对结果", tmp_path / "result.xlsx")).endswith(".xlsx")
    await _still(console)
