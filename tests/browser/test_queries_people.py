"""The console's people queries of section 6 (issue 18 item 2): a district worker opens 6.4 历史人员, filters by name
and by whether people are still here (the deceased one has left), pages through everyone ever registered, and
exports every row as Excel; the page is axe-clean."""

from __future__ import annotations

import uuid
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import expect

from domain.retirees.lifecycle import RecordDeath
from domain.staff.permissions import Role
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _history(hub: Hub) -> tuple[str, str]:
    """A district worker and a surname: 21 people registered in one community, a 22nd who died there."""
    surname = "历" + uuid.uuid4().hex[:3]
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        for n in range(21):
            await factories.retiree(session, community, name=f"{surname}{n:02d}", birth=date(1950, 1, 1 + n))
        gone = await factories.retiree(session, community, name=f"{surname}故", birth=date(1949, 5, 5))
        await status_log.apply(
            hub.unit_of_work(session, "test"),
            factories.SETUP,
            gone,
            RecordDeath(date(2026, 9, 1)),
            effective_date=date(2026, 9, 1),
            cause=status_log.Cause(CauseType.STAFF, "test"),
        )
        return (await factories.account(session, tree.district, Role.OPERATOR)).username, surname


async def test_6_4_a_district_worker_filters_pages_and_exports_the_history(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, surname = await _history(registry_hub)
    await console.login(worker)
    page = console.page
    await page.get_by_role("navigation", name="主菜单").get_by_role("menuitem", name="6.4 历史人员查询").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("6.4 历史人员查询")
    await page.get_by_role("textbox", name="姓名", exact=True).fill(surname)
    await page.get_by_role("combobox", name="是否仍在本辖区").click(force=True)
    await page.get_by_role("option", name="已离开本辖区").click()
    await page.get_by_role("button", name="查询").click()
    results = page.get_by_role("main")
    await expect(page.get_by_text("共 1 条", exact=True)).to_be_visible()
    await expect(results.get_by_role("link", name=f"{surname}故")).to_be_visible()
    await expect(page.get_by_label("历史人员查询结果").get_by_text("已死亡", exact=True)).to_be_visible()
    await console.settled()
    await console.check_accessibility()

    await page.get_by_role("combobox", name="是否仍在本辖区").click(force=True)
    await page.get_by_role("option", name="仍在本辖区管理").click()
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("共 21 条", exact=True)).to_be_visible()
    await page.get_by_role("columnheader", name="姓名 按 姓名 排序").click()  # by name: 00 … 19, then 20
    await expect(results.get_by_role("link", name=f"{surname}00")).to_be_visible()
    await page.get_by_role("button", name="下一页").click()
    await expect(results.get_by_role("link", name=f"{surname}20")).to_be_visible()
    await expect(results.get_by_role("link", name=f"{surname}00")).to_have_count(0)

    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="导出Excel").click()
    download = await downloading.value
    assert download.suggested_filename.startswith("历史人员查询-") and download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "history.xlsx"
    await download.save_as(saved)
    sheet = load_workbook(BytesIO(saved.read_bytes()), read_only=True).active
    assert sheet is not None
    names = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c and str(c).startswith(surname)}
    assert len(names) == 21 and f"{surname}故" not in names
    assert not console.problems()
