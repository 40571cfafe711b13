"""The console's adjustment notice and objections (4.9, 4.10): a community worker opens 「调资公示」 for the year,
sees the people and the total, prints the PDF and exports the XLSX; records a retiree's objection (「登记异议」); the
insuring agency's worker finds it on the home page, answers it (已更正 with the corrected amount); the community
worker sees the answer; the retiree's page shows the 调资记录."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from domain.adjustments.models import PensionAdjustment
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser

YEAR = 2033


async def _still(console: Console) -> None:
    """axe once every transition has finished (a dialog's fade would wash out the colours)."""
    await console.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await console.check_accessibility()


async def _confirm(page: Page, title: str, button: str) -> None:
    box = page.get_by_role("dialog", name=title)
    await expect(box).to_be_visible()
    await box.get_by_role("button", name=button).click()


async def _choose(scope: Page | Locator, page: Page, label: str, option: str) -> None:
    """Pick ``option`` of the Element Plus select labelled ``label`` (forced: its wrapper lies over the input)."""
    await scope.get_by_role("combobox", name=label, exact=True).click(force=True)
    await page.get_by_role("option", name=option).click()


async def _setting(hub: Hub) -> tuple[str, str, int, str, str]:
    """A community worker, the insuring agency's (district) worker, an adjusted retiree, the names."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        community.name = f"公示社区{uuid.uuid4().hex[:6]}"
        name = f"欧阳{uuid.uuid4().hex[:2].upper()}"
        person = await factories.retiree(session, community, name=name, agency=tree.district.code)
        assert person.id is not None
        session.add(
            PensionAdjustment(
                retiree_id=person.id,
                batch_id=f"TZ{YEAR}-{uuid.uuid4().hex[:8]}",
                adjustment_year=YEAR,
                amount_before=Decimal("3200.00"),
                amount_after=Decimal("3296.00"),
                increase=Decimal("96.00"),
                effective_month=f"{YEAR}-01",
                event_id=str(uuid.uuid4()),
            )
        )
        worker = await factories.account(session, community, Role.OPERATOR)
        agency = await factories.account(session, tree.district, Role.OPERATOR)
        return worker.username, agency.username, person.id, name, community.name


async def test_4_9_4_10_the_notice_is_printed_an_objection_recorded_answered_and_seen(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, agency, retiree_id, name, community = await _setting(registry_hub)
    page = console.page
    await console.login(worker)

    await console.visit("adjustments/notice")
    await expect(page.get_by_role("heading", level=1)).to_have_text("调资公示")
    await _choose(page, page, "调整年度", f"{YEAR}年")
    await page.get_by_role("button", name="查询").click()
    table = page.get_by_role("region", name="调资公示表")
    await expect(table.get_by_text(name, exact=True)).to_be_visible()
    await expect(table.get_by_text("96.00", exact=True)).to_be_visible()
    await expect(page.get_by_text("合计：1 人，增加总额 96.00 元")).to_be_visible()
    await _still(console)
    saved = tmp_path / "notice.pdf"
    assert await console.download("打印PDF", saved) == f"{YEAR}年调资公示表-{community}.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
    assert (await console.download("导出Excel", tmp_path / "notice.xlsx")).endswith(".xlsx")

    await console.visit("adjustments/objections")
    await expect(page.get_by_role("heading", level=1)).to_have_text("调资异议")
    await page.get_by_role("button", name="登记异议").click()
    dialog = page.get_by_role("dialog", name="登记调资异议")
    await expect(dialog).to_be_visible()
    await _choose(dialog, page, "调整年度", f"{YEAR}年")
    person = dialog.get_by_role("combobox", name="退休人员")
    await person.click(force=True)
    await person.fill(name)
    await page.get_by_role("option", name=re.compile(f"^{name}")).click()
    await expect(person).to_have_attribute("aria-expanded", "false")
    # its list fades out over the next field: the forced click below must not land on it
    await expect(page.get_by_role("option", name=re.compile(f"^{name}"))).to_be_hidden()
    await _choose(dialog, page, "异议类别", "调整金额有误")
    await dialog.get_by_label("异议内容").fill("工龄少算一年")
    await dialog.get_by_label("联系电话").fill("13912345678")
    await _still(console)
    await dialog.get_by_role("button", name="登记并报送").click()
    await _confirm(page, "确认登记异议", "确认登记")
    await expect(dialog.get_by_text("已登记并报送参保经办机构")).to_be_visible()
    await dialog.get_by_role("button", name="关闭", exact=True).click()
    listing = page.get_by_role("region", name="调资异议清单")
    await expect(listing.get_by_text("待经办机构核实")).to_be_visible()

    # the insuring agency, in a tab of its own
    other = Console(await page.context.new_page(), console.base_url)
    other.watch()
    their = other.page
    await other.login(agency)
    await other.settled()
    shortcut = their.get_by_role("link", name="待核实答复的调资异议：1")
    await expect(shortcut).to_be_visible()
    await shortcut.click()
    await expect(their.get_by_role("heading", level=1)).to_have_text("调资异议")
    waiting = their.get_by_role("region", name="调资异议清单")
    await expect(waiting.get_by_role("link", name=name)).to_be_visible()
    await waiting.get_by_role("button", name=f"答复：{name}").click()
    answer = their.get_by_role("dialog", name="答复调资异议")
    await expect(answer).to_be_visible()
    await answer.get_by_role("radio", name="已更正").check(force=True)  # the styled dot covers the input
    await answer.get_by_label("更正后金额").fill("3320.00")
    await answer.get_by_label("答复说明").fill("补计工龄一年，已在省系统更正")
    await _still(other)
    await answer.get_by_role("button", name="提交答复").click()
    await _confirm(their, "确认答复", "确认答复")
    await expect(answer.get_by_text("已答复：已更正")).to_be_visible()
    assert not other.problems()

    # the community sees the answer; the retiree's page shows the adjustment
    await console.visit("adjustments/objections")
    listing = page.get_by_role("region", name="调资异议清单")
    await expect(listing.get_by_text("已更正", exact=True)).to_be_visible()
    await expect(listing.get_by_text("补计工龄一年，已在省系统更正")).to_be_visible()
    await console.visit(f"retirees/{retiree_id}")
    history = page.get_by_role("region", name="调资记录")
    await expect(history.get_by_text("3296.00", exact=True)).to_be_visible()
    timeline = page.get_by_role("list", name="人员经历")
    await expect(timeline.get_by_role("heading", name=re.compile(r"^调资异议答复（已更正）"))).to_be_visible()
    assert not console.problems()
