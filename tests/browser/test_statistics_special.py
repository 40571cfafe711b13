"""The console's 7.5 特殊人员分布情况统计 and 7.10 退休人员基本信息表 (issue 19): a district worker opens 7.5 from the
menu, reads a street's ledger counts and prints the PDF with the same figures, then prints a retiree's base-info
sheet from the retiree page. Each page is axe-clean."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.retirees import supplementary
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console, pdf_text

pytestmark = pytest.mark.browser


async def _district(hub: Hub) -> tuple[str, list[str], int, str]:
    """Street 0 manages 特甲 (born 1960; 工残 and 党员, recorded through 4.2) and 特乙 (born 1945: 高龄)."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        home = tree.communities[0]
        first = await factories.retiree(session, home, name="特甲", birth=date(1960, 5, 6))
        await factories.retiree(session, home, name="特乙", birth=date(1945, 5, 6))
        assert first.id is not None
        await supplementary.record(
            hub.unit_of_work(session, "test"),
            factories.SETUP,
            first.id,
            supplementary.SupplementaryForm(special_categories=["01", "08"], household_address="测试路1号"),
        )
        worker = (await factories.account(session, tree.district, Role.OPERATOR)).username
        return worker, [street.name for street in tree.streets], first.id, first.personal_number


async def test_7_5_special_people_on_screen_and_printed_then_7_10_from_the_retiree_page(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, streets, person, number = await _district(registry_hub)
    await console.login(worker)
    page = console.page
    menu = page.get_by_role("navigation", name="主菜单")
    await menu.get_by_role("menuitem", name="7.5 特殊人员分布情况统计").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("7.5 特殊人员分布情况统计")
    # 工残 1, 孤寡 0, 高龄 1, 劳模 0, 重病 0, 特困 0, 军转 0, 党员 1, 特殊人员合计 2
    await expect(page.get_by_role("row", name=f"{streets[0]} 1 0 1 0 0 0 0 1 2")).to_be_visible()
    await expect(page.get_by_role("row", name=f"{streets[1]} 0 0 0 0 0 0 0 0 0")).to_be_visible()
    await console.settled()
    await console.check_accessibility()
    await console.download("打印PDF", tmp_path / "special.pdf")
    text = pdf_text(tmp_path / "special.pdf")
    assert "特殊人员分布情况统计" in text and streets[0] in text and "审核人" in text

    await console.visit(f"retirees/{person}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("特甲")
    assert (await console.download("打印基本信息表", tmp_path / "sheet.pdf")).startswith("退休人员基本信息表-特甲")
    text = pdf_text(tmp_path / "sheet.pdf")
    assert "退休人员基本信息表" in text and "特甲" in text and "测试路1号" in text
    await console.settled()
    await console.check_accessibility()

    # The reports menu's 7.10 page: find the person by personal number, print from the row.
    await console.visit("reports/7.10")
    await page.get_by_label("个人编号或身份证号码").fill(number)
    await page.get_by_role("button", name="查找").click()
    row = page.get_by_role("row", name=number)
    await expect(row).to_contain_text("特甲")
    printed = await console.download("打印基本信息表", tmp_path / "row-sheet.pdf", within=row)
    assert printed.startswith("退休人员基本信息表-特甲")
    await console.settled()
    await console.check_accessibility()
    assert not console.problems()
