"""The console's death registration (4.6): a community worker records a death from the retiree's page, reads the
overpaid months and the amount to recover, finds it from the home page's worklist on 「待追回多发待遇」 and writes it
off (核销) with remarks."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.async_api import Page, expect

from domain.shared import calendar
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


async def _still(console: Console) -> None:
    """axe once every transition has finished (a dialog's fade would wash out the colours)."""
    await console.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await console.check_accessibility()


async def _confirm(page: Page, title: str, button: str) -> None:
    box = page.get_by_role("dialog", name=title)
    await expect(box).to_be_visible()
    await box.get_by_role("button", name=button).click()


async def test_4_6_a_worker_records_a_death_and_the_overpayment_appears_in_the_worklist(
    registry_hub: Hub, console: Console
) -> None:
    today = calendar.today()
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        worker = await factories.account(session, tree.communities[0], Role.OPERATOR)
        person = await factories.retiree(session, tree.communities[0], name="赵德明")
        person.monthly_pension = Decimal("3200.50")
        assert person.id is not None
    death = _months_back(today, 2)  # two months back: the next month and this one were overpaid
    months = [_months_back(today, 1).isoformat()[:7], today.isoformat()[:7]]
    page = console.page
    await console.login(worker.username)
    await console.visit(f"retirees/{person.id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员详情：赵德明")

    await page.get_by_role("button", name="死亡登记").click()
    dialog = page.get_by_role("dialog", name="死亡登记")
    await expect(dialog).to_be_visible()
    await _still(console)
    picker = dialog.get_by_role("combobox", name="死亡日期")
    await picker.fill(death.isoformat())
    await picker.press("Enter")
    await dialog.get_by_role("combobox", name="死亡信息来源").click(force=True)  # over its placeholder
    await page.get_by_role("option", name="火化证明").click()
    await dialog.get_by_label("证明文件编号").fill("HH-2026-0815")
    await dialog.get_by_role("button", name="确认登记").click()
    await _confirm(page, "确认死亡登记", "确认登记")
    await expect(dialog.get_by_text("已登记死亡")).to_be_visible()
    await expect(dialog.get_by_text(f"多发待遇 2 个月（{'、'.join(months)}），应追回 6401.00 元")).to_be_visible()
    await _still(console)
    await dialog.get_by_role("button", name="关闭", exact=True).click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text(re.compile(r"^已死亡.*；养老金终止发放$"))).to_be_visible()
    await expect(page.get_by_role("button", name="死亡登记")).to_have_count(0)
    history = page.get_by_role("list", name="人员经历")
    await expect(history.get_by_role("heading", name=re.compile(r"^死亡登记（火化证明"))).to_be_visible()

    await console.visit("")
    shortcut = page.get_by_role("link", name=re.compile(r"待追回多发待遇"))
    await expect(shortcut).to_contain_text("1")
    await shortcut.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("待追回多发待遇")
    table = page.get_by_role("region", name="多发待遇")
    await expect(table.get_by_role("link", name="赵德明")).to_be_visible()
    await expect(table.get_by_text("6401.00")).to_be_visible()
    await _still(console)

    await table.get_by_role("button", name="核销：赵德明").click()
    marking = page.get_by_role("dialog", name="核销多发待遇")
    await marking.get_by_label("核销说明").fill("家属无力偿还，经审批核销")
    await _still(console)
    await marking.get_by_role("button", name="确认核销").click()
    await _confirm(page, "请确认", "确认核销")
    await expect(page.get_by_text("赵德明 的多发待遇已标记为“核销”")).to_be_visible()
    await expect(table.get_by_role("link", name="赵德明")).to_have_count(0)
    await console.visit("deaths/overpayments?state=waived")
    await expect(page.get_by_role("heading", level=1)).to_have_text("待追回多发待遇")
    await expect(table.get_by_text("家属无力偿还，经审批核销")).to_be_visible()
