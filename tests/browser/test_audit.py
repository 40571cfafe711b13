"""The audit trail page (安全审计员, 三员分离): the auditor filters the trail, sees the hash chain's verification, and
cannot open a retiree (the router's permissions send them to the no-permission page)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _axe(console: Console) -> None:
    """axe-core once Element Plus's transitions are over: a dialog fading in, or a dropdown fading out, would be
    judged half transparent (worth moving into Console.check_accessibility)."""
    await console.page.evaluate("() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)))")
    await console.check_accessibility()


async def test_1_2_the_auditor_sees_the_trail_and_its_verification_and_cannot_open_a_retiree(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        auditor = await factories.account(session, tree.city, Role.AUDITOR)
        worker = await factories.account(session, tree.communities[0], Role.OPERATOR)
        retiree = await factories.retiree(session, tree.communities[0])
    async with httpx.AsyncClient(base_url=console.base_url) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": worker.username, "password": factories.PASSWORD}
        )
        assert login.status_code == 200, login.text
    page = console.page

    await console.visit("login")
    await console.login(auditor.username)
    await console.visit("admin/audit")

    # The chain's verification, in plain words (what the API finds, the page says).
    async with httpx.AsyncClient(base_url=console.base_url, timeout=120) as client:
        token = await console.token()
        chain = (await client.get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})).json()
    verdict = "完整" if chain["intact"] else f"在第 {chain['first_broken_id']} 条处断开"
    check = page.get_by_role("alert").filter(has_text=verdict)
    await expect(check).to_be_visible(timeout=60_000)  # the whole trail of the shared test database is checked
    if chain["intact"]:
        await expect(check).to_contain_text("哈希链完整")

    # The worker's login, found by who and what.
    await page.get_by_label("操作人").fill(worker.username)
    await page.get_by_role("combobox", name="操作").click()
    await page.get_by_role("option", name="登录（staff.login）").click()
    await page.get_by_role("button", name="查询").click()
    table = page.get_by_role("table").first
    rows = page.get_by_role("row", name=re.compile(worker.username))
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("登录（staff.login）")
    await expect(rows).to_contain_text("经办员")
    await expect(page.get_by_text("共 1 条")).to_be_visible()
    await expect(table).to_be_visible()
    await _axe(console)

    # An auditor reads no retiree: the page's permissions send them to 无权访问.
    await page.goto(console.url(f"retirees/{retiree.id}"))
    await expect(page).to_have_url(re.compile(r"/console/forbidden$"))
    await expect(page.get_by_text("无权访问", exact=True)).to_be_visible()
    await _axe(console)
