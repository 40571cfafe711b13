"""The console's people queries of section 6 (issue 18 item 2): a district worker opens 6.4 历史人员, filters by name
and by whether people are still here (the deceased one has left), pages through everyone ever registered, and
exports every row as Excel; the page is axe-clean. The side menu shows every query's whole title, 6.5's the longest,
with its function-point number (wrapped, never cut)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
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
    await console.open_from_menu("6.4 历史人员查询")
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

    names = await console.exported_cells("历史人员查询", tmp_path / "history.xlsx", surname)
    assert len(names) == 21 and f"{surname}故" not in names
    assert not console.problems()


# The longest menu titles (pages/queries/routes.ts, pages/statistics/routes.ts), cut by the menu before.
_LONG_TITLES = (
    "6.5 参保地在外区、居住并登记在本区人员查询",
    "6.6 参保地在本区、居住并登记在外区人员查询",
    "7.13 暂停（恢复）发放统计表",
    "7.15 社会化管理服务工作月报",
)
# Whether an element's text is all shown: nothing cut inside it, and inside its menu item and the side menu.
_WHOLLY_SHOWN = """(title) => {
  const box = title.getBoundingClientRect()
  const item = title.closest('li').getBoundingClientRect()
  const aside = title.closest('aside').getBoundingClientRect()
  return title.scrollWidth <= title.clientWidth && title.scrollHeight <= title.clientHeight
    && box.right <= item.right && box.bottom <= item.bottom && box.right <= aside.right
}"""


async def test_6_5_the_side_menu_shows_the_whole_title_of_every_entry(registry_hub: Hub, console: Console) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        worker = (await factories.account(session, tree.district, Role.OPERATOR)).username
    await console.login(worker)
    menu = console.page.get_by_role("navigation", name="主菜单")
    longest = _LONG_TITLES[0]
    entry = menu.get_by_role("menuitem", name=longest, exact=True)
    await expect(entry).to_be_visible()
    assert await entry.get_by_text(longest, exact=True).evaluate(_WHOLLY_SHOWN)
    titles = [t.strip() for t in await menu.get_by_role("menuitem").all_inner_texts()]
    assert set(_LONG_TITLES) <= set(titles)
    for title in titles:  # every entry, the function-point number included, is readable whole
        shown = menu.get_by_role("menuitem", name=title, exact=True).get_by_text(title, exact=True)
        assert await shown.evaluate(_WHOLLY_SHOWN), f"the menu cuts {title}"
    await console.open_from_menu(longest)
    await console.check_accessibility()
    assert not console.problems()
