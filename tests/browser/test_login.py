"""Logging in and out of the staff console (1.2, login hardening of issue 13): the form, the user menu's logout that
revokes the token, the lock-out after repeated failures, and the way back after the session ended under the user."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from channels.security import issue_token
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from hub.settings import Settings
from tests import factories
from tests.browser.support import TOKEN_KEY, USER_MENU, Console

pytestmark = pytest.mark.browser


async def _worker(registry_hub: Hub) -> str:
    """A community worker (a fresh institution tree); the account's username."""
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        account = await factories.account(session, tree.communities[0], Role.OPERATOR)
        return account.username


async def test_1_2_an_unauthenticated_visit_lands_on_the_login_page_which_passes_axe(console: Console) -> None:
    await console.visit("")

    await expect(console.page).to_have_url(re.compile(r"/console/login\?redirect=/$"))
    await expect(console.page.get_by_role("heading", level=1)).to_have_text("石家庄市企业退休人员社会化管理服务系统")
    await expect(console.page.get_by_label("账号", exact=True)).to_be_visible()
    await expect(console.page.get_by_label("密码", exact=True)).to_be_visible()


async def test_1_2_a_worker_logs_in_and_out_and_the_token_no_longer_works(registry_hub: Hub, console: Console) -> None:
    username = await _worker(registry_hub)
    page = console.page

    await console.visit("login")
    await console.login(username)
    await expect(page).to_have_url(re.compile(r"/console/$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("待办事项")
    await console.check_accessibility()
    token = await console.token()
    assert token, "the console keeps the session's token in sessionStorage"

    await page.get_by_role("button", name=USER_MENU).click()
    await page.get_by_role("menuitem", name="退出登录").click()

    await expect(page).to_have_url(re.compile(r"/console/login"))
    await expect(page.get_by_text("您已安全退出")).to_be_visible()
    assert await console.token() is None
    async with httpx.AsyncClient(base_url=console.base_url) as client:
        answer = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "TOKEN_REVOKED"


async def test_1_2_five_failed_logins_lock_the_account_the_security_admin_unlocks_it_and_the_owner_is_told(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        username = (await factories.account(session, tree.communities[0], Role.OPERATOR)).username
        security_admin = (await factories.account(session, tree.city, Role.SECURITY_ADMIN)).username
    page = console.page
    await console.visit("login")
    failure = page.get_by_role("alert")

    for attempt in range(5):
        await page.get_by_label("账号", exact=True).fill(username)
        await page.get_by_label("密码", exact=True).fill(f"wrong-password-{attempt}")
        async with page.expect_response("**/api/v1/auth/login") as answered:
            await page.get_by_role("button", name="登录", exact=True).click()
        assert (await answered.value).status == 401
        if attempt < 4:  # the fifth failure locks the account, and its answer may say so already
            await expect(failure).to_have_text("用户名或密码错误")

    await page.get_by_label("账号", exact=True).fill(username)
    await page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
    async with page.expect_response("**/api/v1/auth/login") as answered:
        await page.get_by_role("button", name="登录", exact=True).click()
    refusal = await answered.value
    assert refusal.status == 401
    assert (await refusal.json())["code"] == "ACCOUNT_LOCKED"

    await expect(failure).to_contain_text("账号因连续登录失败已被锁定")
    await expect(page).to_have_url(re.compile(r"/console/login"))
    await console.check_accessibility()

    # The security administrator sees the account locked and unlocks it.
    await console.login(security_admin)
    await console.visit("admin/accounts")
    await page.get_by_role("textbox", name="按用户名、姓名或机构筛选").fill(username)
    row = page.get_by_role("row", name=re.compile(f"^{username} "))
    await expect(row).to_contain_text("已锁定")
    await row.get_by_role("button", name=f"解锁 {username}").click()
    await page.get_by_role("dialog", name="请确认").get_by_role("button", name="确定").click()
    await expect(page.get_by_text("账号已解锁")).to_be_visible()
    await expect(row).not_to_contain_text("已锁定")
    await page.get_by_role("button", name=USER_MENU).click()
    await page.get_by_role("menuitem", name="退出登录").click()

    # The owner logs in and is told of the failed attempts since their last login.
    await console.login(username)
    # five wrong passwords and the right one refused while locked
    await expect(
        page.get_by_text(re.compile("曾因多次密码错误被锁定；上次登录后有 6 次失败的登录尝试"))
    ).to_be_visible()
    await console.check_accessibility()


async def test_1_2_an_expired_session_returns_to_login_with_the_message_and_back_to_the_page(
    registry_hub: Hub, console: Console, settings: Settings
) -> None:
    username = await _worker(registry_hub)
    page = console.page
    await console.login(username)
    await console.visit("password?from=home")
    await expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")

    # The token the console holds expired a minute ago (signed as the API signs them, the suite's secret).
    expired, _ = issue_token(settings.secret_key, username, "staff", minutes=-1)
    await page.evaluate("([key, value]) => sessionStorage.setItem(key, value)", [TOKEN_KEY, expired])
    await page.reload()

    await expect(page).to_have_url(re.compile(r"/console/login\?redirect="))
    await expect(page.get_by_text("登录已过期，请重新登录")).to_be_visible()
    await console.check_accessibility()

    await console.login(username)
    await expect(page).to_have_url(re.compile(r"/console/password\?from=home$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
