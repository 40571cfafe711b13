"""The console's administration pages (1.1 机构管理, 1.2 工作人员账号): the system administrator creates an account, the
security administrator grants its role (三员分离: each sees only their own buttons), the new user must change the
initial password at the first login; an operator adds a community under their street."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import USER_MENU, Console

pytestmark = pytest.mark.browser


async def _axe(console: Console) -> None:
    """axe-core once Element Plus's transitions are over: a dialog fading in, or a dropdown fading out, would be
    judged half transparent (worth moving into Console.check_accessibility)."""
    await console.page.evaluate("() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)))")
    await console.check_accessibility()


INITIAL_PASSWORD = "Initial2026pass"
NEW_PASSWORD = "Changed2026pass"


async def _confirm(page: Page) -> None:
    """The ElMessageBox confirmation every change asks for."""
    box = page.get_by_role("dialog", name="请确认")
    await expect(box).to_be_visible()
    await box.get_by_role("button", name="确定").click()


async def _logout(console: Console) -> None:
    page = console.page
    await page.get_by_role("button", name=USER_MENU).click()
    await page.get_by_role("menuitem", name="退出登录").click()
    await expect(page).to_have_url(re.compile(r"/console/login"))


async def test_1_2_the_system_admin_creates_an_account_the_security_admin_grants_its_role_and_the_new_user_must_change_the_password(  # noqa: E501
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        community.name = f"开户社区{factories.code('')[:8]}"  # one of thousands in the test database: make it unique
        system_admin = await factories.account(session, tree.city, Role.SYSTEM_ADMIN)
        security_admin = await factories.account(session, tree.city, Role.SECURITY_ADMIN)
    username = factories.code("n")
    page = console.page

    # The system administrator creates the account; the page offers no role grant and no unlock.
    await console.visit("login")
    await console.login(system_admin.username)
    await console.visit("admin/accounts")
    await expect(page.get_by_text("新账号的角色须由安全管理员授予")).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile("授予角色|解锁"))).to_have_count(0)
    await page.get_by_role("button", name="新建账号").click()
    dialog = page.get_by_role("dialog", name="新建账号")
    await expect(dialog.get_by_text("首次登录时必须修改初始密码")).to_be_visible()
    await _axe(console)
    await dialog.get_by_label("用户名").fill(username)
    await dialog.get_by_label("姓名").fill("新同事")
    await dialog.get_by_label("身份证号码").fill(factories.id_number())
    await dialog.get_by_label("手机号码").fill("13800000000")
    await dialog.get_by_role("combobox", name="所属机构").click()
    await page.keyboard.type(community.name)
    await page.get_by_role("tree").get_by_text(community.name, exact=True).click()
    await dialog.get_by_label("初始密码").fill(INITIAL_PASSWORD)
    await dialog.get_by_role("button", name="确认创建").click()
    await _confirm(page)
    await expect(page.get_by_text(f"账号 {username} 已创建")).to_be_visible()
    await expect(dialog).to_be_hidden()
    await _logout(console)

    # The security administrator grants 经办员, and can do nothing else on the page.
    await console.login(security_admin.username)
    await console.visit("admin/accounts")
    await expect(page.get_by_text("安全管理员只能为账号授予或收回角色、解锁被锁定的账号")).to_be_visible()
    await page.get_by_role("textbox", name="按用户名、姓名或机构筛选").fill(username)
    row = page.get_by_role("row", name=re.compile(f"^{username} "))  # not the grant dialog's own row
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("未授权")
    for refused in ("新建账号", re.compile("^修改 "), re.compile("^重置密码 "), re.compile("^停用 ")):
        await expect(page.get_by_role("button", name=refused)).to_have_count(0)
    # Unlock is offered only for a locked account (tests/browser/test_login.py unlocks one).
    await expect(row.get_by_role("button", name=f"解锁 {username}")).to_have_count(0)
    await row.get_by_role("button", name=f"为 {username} 授予角色").click()
    dialog = page.get_by_role("dialog", name="授予角色")
    await expect(dialog.get_by_text("管理员角色只能授予市级机构的人员")).to_be_visible()
    await expect(dialog.get_by_role("radio", name=re.compile("^系统管理员"))).to_be_disabled()
    await _axe(console)
    await dialog.get_by_text(re.compile(r"^经办员（")).click()
    await dialog.get_by_role("button", name="确认授予").click()
    await _confirm(page)
    await expect(page.get_by_text("已授予经办员角色")).to_be_visible()
    await expect(row).to_contain_text("经办员")
    await _logout(console)

    # The new user logs in with the initial password and is taken to the password change first.
    await console.login(username, INITIAL_PASSWORD)
    await expect(page).to_have_url(re.compile(r"/console/password"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
    await expect(page.get_by_text("首次登录，请先修改初始密码后继续使用")).to_be_visible()
    await _axe(console)
    await page.get_by_label("当前密码", exact=True).fill(INITIAL_PASSWORD)
    await page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("确认新密码", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="确认修改").click()
    await expect(page).to_have_url(re.compile(r"/console/login"))

    # … and with the new password lands on the home page.
    await console.login(username, NEW_PASSWORD)
    await expect(page).to_have_url(re.compile(r"/console/$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("待办事项")


async def test_1_1_an_operator_adds_a_community_under_their_street(registry_hub: Hub, console: Console) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        street = tree.streets[0]
        used = tree.communities[0]  # under the street, with a retiree: not to be deleted
        await factories.retiree(session, used)
        operator = await factories.account(session, street, Role.OPERATOR)
    page = console.page
    name = f"新建社区{factories.code('')[:6]}"
    code = factories.code("C")

    await console.visit("login")
    await console.login(operator.username)
    await console.visit("admin/institutions")
    tree_view = page.get_by_role("tree", name="机构树")
    await tree_view.get_by_text(street.name, exact=True).click()
    await expect(page.get_by_text("本机构自身只能由上级机构修改或删除")).to_be_visible()
    await expect(page.get_by_role("button", name="删除")).to_have_count(0)
    await page.get_by_role("button", name="新增下级机构").click()
    dialog = page.get_by_role("dialog", name="新增下级机构")
    await _axe(console)
    await dialog.get_by_label("机构编码").fill(code)
    await dialog.get_by_label("机构名称").fill(name)
    await dialog.get_by_role("button", name="确认新增").click()
    await _confirm(page)
    await expect(page.get_by_text("机构已新增")).to_be_visible()

    await expect(tree_view.get_by_text(name, exact=True)).to_be_visible()
    await expect(page.get_by_text(code, exact=True)).to_be_visible()
    await expect(page.get_by_text("社区", exact=True)).to_be_visible()

    # A community has no level below it; the new one, unused, is deleted.
    await expect(page.get_by_role("button", name="新增下级机构")).to_have_count(0)
    await page.get_by_role("button", name="删除").click()
    await _confirm(page)
    await expect(page.get_by_text("机构已删除")).to_be_visible()
    await expect(tree_view.get_by_text(name, exact=True)).to_have_count(0)

    # The API refuses deleting a community that still has a retiree, and the page says why.
    await tree_view.get_by_text(used.name, exact=True).click()
    await page.get_by_role("button", name="删除").click()
    await _confirm(page)
    refusal = page.get_by_role("dialog", name="不能删除")
    await expect(refusal).to_contain_text("退休人员1条")
    await _axe(console)
    await refusal.get_by_role("button", name="知道了").click()


async def test_1_4_the_system_admin_adds_and_deletes_a_code_and_sees_the_parameters_ranges(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        system_admin = await factories.account(session, tree.city, Role.SYSTEM_ADMIN)
        operator = await factories.account(session, tree.district, Role.OPERATOR)
    page = console.page
    code = factories.code("T")[:10]

    # An operator reads the dictionary and changes nothing.
    await console.visit("login")
    await console.login(operator.username)
    await console.visit("admin/dictionary")
    await expect(page.get_by_role("tabpanel", name="代码表")).to_contain_text("未说明的性别")
    await expect(page.get_by_role("button", name="新增代码")).to_have_count(0)
    await _logout(console)

    await console.login(system_admin.username)
    await console.visit("admin/dictionary")
    await page.get_by_role("combobox", name="代码表").click()
    await page.get_by_role("option", name="健康状况").click()
    await page.get_by_role("button", name="新增代码").click()
    dialog = page.get_by_role("dialog", name="新增代码")
    await _axe(console)
    await dialog.get_by_label("代码", exact=True).fill(code)
    await dialog.get_by_label("名称", exact=True).fill("测试状况")
    await dialog.get_by_role("button", name="确认新增").click()
    await _confirm(page)
    await expect(page.get_by_text("代码已新增")).to_be_visible()
    table = page.get_by_role("tabpanel", name="代码表")
    await expect(table.get_by_role("row", name=re.compile(code))).to_contain_text("自定义")
    await page.get_by_role("button", name=f"删除代码 {code}").click()
    await _confirm(page)
    await expect(page.get_by_text("代码已删除")).to_be_visible()
    await expect(table.get_by_role("row", name=re.compile(code))).to_have_count(0)

    # The rule parameters with their descriptions and valid ranges; changing one says its range.
    await page.get_by_role("tab", name="规则参数").click()
    parameters = page.get_by_role("tabpanel", name="规则参数")
    months = parameters.get_by_role("row", name=re.compile("certification_valid_months"))
    await expect(months).to_contain_text("认证有效期（月）")
    await expect(months).to_contain_text("1 至 24 的整数")
    await page.get_by_role("button", name="修改参数 certification_valid_months").click()
    dialog = page.get_by_role("dialog", name="修改规则参数")
    await expect(dialog).to_contain_text("1 至 24 的整数")
    await _axe(console)
    await dialog.get_by_role("button", name="取消").click()
    await expect(dialog).to_be_hidden()
