"""The console's brake on mass suspensions (4.5, issue 14): a night's rules hold two communities' people (each above
the per-institution threshold); a city-level operator sees the held batch on the home page, opens it on
「批量暂停审批」, approves one community's people and rejects the rest with a reason."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import text

from app.jobs import run_suspension_rules
from domain.staff.permissions import Role
from domain.suspensions.overdue import Rule
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser

NIGHT = date(1972, 6, 1)  # a night no other test's retirees fall due on


async def _still(console: Console) -> None:
    """axe once every transition has finished (a dialog's fade would wash out the colours)."""
    await console.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await console.check_accessibility()


async def _confirm(page: Page, title: str, button: str) -> None:
    box = page.get_by_role("dialog", name=title)
    await expect(box).to_be_visible()
    await box.get_by_role("button", name=button).click()


async def _held_night(hub: Hub, tag: str) -> tuple[str, str, str, int]:
    """A city operator, two communities with 60 overdue people each, and the batch the night's rules held."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        first, second = tree.communities[0], tree.communities[1]
        first.name, second.name = f"甲社区{tag[-6:]}", f"乙社区{tag[-6:]}"
        operator = await factories.account(session, tree.city, Role.OPERATOR)
        await session.execute(
            text(
                "INSERT INTO retiree (personal_number, id_number, name, sex, birth_date, retirement_date, "
                "insuring_agency_code, payment_status, management_form, institution_id, status, status_since, "
                "registered_on, last_certified_on, version) "
                "SELECT :tag || lpad(g::text, 4, '0'), :tag || 'ID' || lpad(g::text, 4, '0'), '李四' || g, '1', "
                "DATE '1905-01-01', DATE '1965-01-01', '130102', '1', '1', "
                "CASE WHEN g <= 60 THEN :first ELSE :second END, 'registered', DATE '1968-01-01', "
                "DATE '1968-01-01', DATE '1971-01-01', 1 FROM generate_series(1, 120) g"
            ),
            {"tag": tag, "first": first.id, "second": second.id},
        )
        names = (first.name, second.name)
    report = await run_suspension_rules(hub, NIGHT, rules=(Rule.CERTIFICATION_OVERDUE,))
    assert report.batch_id is not None
    return operator.username, *names, report.batch_id


async def test_4_5_a_city_operator_approves_one_institution_of_a_held_batch_and_rejects_the_rest(
    registry_hub: Hub, console: Console
) -> None:
    tag = f"BRB{uuid.uuid4().hex[:8]}"
    operator, approved, rejected, batch_id = await _held_night(registry_hub, tag)
    try:
        page = console.page
        await console.login(operator)
        card = page.get_by_role("link", name=re.compile(r"^挂起待审批的批量暂停：[1-9]"))
        await expect(card).to_be_visible()
        await card.click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("批量暂停审批")
        await page.get_by_role("button", name=f"查看批次 {batch_id}", exact=True).click()
        await expect(page.get_by_role("heading", name=re.compile(f"^批次 {batch_id}"))).to_be_visible()
        await expect(page.get_by_role("region", name="按管理机构的人数").get_by_text(approved)).to_be_visible()
        await _still(console)

        # Element Plus hides the native checkbox (0×0) under its styled box: a click on it is a click on the box
        box = page.get_by_role("checkbox", name=f"选择 {approved}")
        await box.dispatch_event("click")
        await expect(box).to_be_checked()
        await page.get_by_role("button", name="批准所选机构").click()
        await _confirm(page, "批准暂停", "确认批准")
        await expect(page.get_by_text("已暂停 60 人", exact=True)).to_be_visible()

        await page.get_by_role("button", name="驳回其余").click()
        dialog = page.get_by_role("dialog", name="驳回批量暂停")
        await expect(dialog).to_be_visible()
        await _still(console)
        await dialog.get_by_label("驳回原因").fill("乙社区认证数据未同步，待核实")
        await dialog.get_by_role("button", name="确认驳回").click()
        await expect(page.get_by_text("已驳回 60 人", exact=True)).to_be_visible()
        await expect(page.get_by_role("heading", name=re.compile(f"^批次 {batch_id}（.*部分批准）"))).to_be_visible()
        await expect(page.get_by_role("button", name="驳回其余")).to_have_count(0)
        assert rejected in await page.get_by_role("region", name="按管理机构的人数").inner_text()
        async with registry_hub.sessions() as session:
            suspended = (
                await session.execute(
                    text("SELECT count(*) FROM retiree WHERE personal_number LIKE :like AND status = 'suspended'"),
                    {"like": f"{tag}%"},
                )
            ).scalar_one()
        assert suspended == 60
    finally:
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE retiree SET last_certified_on = DATE '2099-01-01' WHERE personal_number LIKE :like"),
                {"like": f"{tag}%"},
            )
