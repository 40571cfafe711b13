"""The console's transfers (4.4): a community worker transfers a retiree to another community of the city from the
retiree's page (「转移」, the receiving community chosen in the city's institution tree); the receiving community's
worker sees the waiting transfer on the home page, takes the person in on 「转移接收」 and then sees them, the timeline
showing both steps; and the sending side cancels a transfer not yet taken in."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Page, expect

from domain.retirees.lifecycle import Status
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _still(console: Console) -> None:
    """axe once every transition has finished (a dialog's fade would wash out the colours)."""
    await console.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await console.check_accessibility()


async def _confirm(page: Page, title: str, button: str) -> None:
    box = page.get_by_role("dialog", name=title)
    await expect(box).to_be_visible()
    await box.get_by_role("button", name=button).click()


async def _setting(hub: Hub, name: str) -> tuple[str, str, int, str]:
    """A sender and a receiver (operators of two communities of different streets), a retiree registered with the
    sender, and the receiving community's (unique) name."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        receiving = tree.communities[2]
        receiving.name = f"接收社区{uuid.uuid4().hex[:6]}"
        sender = await factories.account(session, tree.communities[0], Role.OPERATOR)
        receiver = await factories.account(session, receiving, Role.OPERATOR)
        person = await factories.retiree(session, tree.communities[0], name=name)
        assert person.id is not None
        return sender.username, receiver.username, person.id, receiving.name


async def _transfer(console: Console, retiree_id: int, name: str, receiving: str) -> None:
    page = console.page
    await console.visit(f"retirees/{retiree_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"退休人员详情：{name}")
    await page.get_by_role("button", name="转移", exact=True).click()
    dialog = page.get_by_role("dialog", name="转移")
    await expect(dialog).to_be_visible()
    await _still(console)
    chooser = dialog.get_by_role("combobox", name="接收社区")
    await chooser.click(force=True)  # over its placeholder
    await chooser.fill(receiving)
    await page.get_by_role("treeitem", name=receiving, exact=True).click()
    await dialog.get_by_label("备注").fill("随子女居住")
    await dialog.get_by_role("button", name="确认转移").click()
    await _confirm(page, "确认转移", "确认转移")
    await expect(dialog.get_by_text("已转出，待接收")).to_be_visible()
    await expect(dialog.get_by_text(f"已转往 {receiving}")).to_be_visible()
    await _still(console)
    await dialog.get_by_role("button", name="关闭", exact=True).click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text(re.compile(r"^转出待转入")).first).to_be_visible()
    await expect(page.get_by_role("button", name="转移", exact=True)).to_have_count(0)


async def test_4_4_a_community_transfers_a_retiree_to_another_and_the_receiver_takes_them_in(
    registry_hub: Hub, console: Console
) -> None:
    sender, receiver, retiree_id, receiving = await _setting(registry_hub, "孙立平")
    await console.login(sender)
    await _transfer(console, retiree_id, "孙立平", receiving)

    # the receiving community's worker, in a tab of their own
    other = Console(await console.page.context.new_page(), console.base_url)
    other.watch()
    page = other.page
    await other.login(receiver)
    await other.settled()
    shortcut = page.get_by_role("link", name="待接收的转移人员：1")
    await expect(shortcut).to_be_visible()
    await shortcut.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("转移接收")
    await other.settled()
    waiting = page.get_by_role("region", name="待接收的转移人员")
    await expect(waiting.get_by_text("孙**")).to_be_visible()  # masked until taken in
    await _still(other)
    await waiting.get_by_role("button", name="接收：孙**").click()
    await _confirm(page, "确认接收", "确认接收")
    await expect(page.get_by_text(re.compile(r"^已接收 "))).to_be_visible()
    await expect(waiting.get_by_text("暂无待接收的转移人员")).to_be_visible()

    await other.visit(f"retirees/{retiree_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员详情：孙立平")
    history = page.get_by_role("list", name="人员经历")
    await expect(history.get_by_role("heading", name=re.compile(rf"^转入（转入）：{receiving}"))).to_be_visible()
    await expect(history.get_by_role("heading", name=re.compile(r"^转出（转出）"))).to_be_visible()
    assert not other.problems()


async def test_4_4_the_sending_community_cancels_a_transfer_not_yet_taken_in(
    registry_hub: Hub, console: Console
) -> None:
    sender, _, retiree_id, receiving = await _setting(registry_hub, "钱玉兰")
    await console.login(sender)
    await _transfer(console, retiree_id, "钱玉兰", receiving)
    page = console.page
    await console.visit("transfers")
    outgoing = page.get_by_role("region", name="本机构转出待接收的人员")
    await expect(outgoing.get_by_role("link", name="钱玉兰")).to_be_visible()
    await outgoing.get_by_role("button", name="撤销：钱玉兰").click()
    await _confirm(page, "确认撤销转移", "确认撤销")
    await expect(page.get_by_text("已撤销 钱玉兰 的转移")).to_be_visible()
    await expect(outgoing.get_by_text("暂无转出待接收的人员")).to_be_visible()

    await console.visit(f"retirees/{retiree_id}")
    await expect(page.get_by_role("button", name="转移", exact=True)).to_be_visible()  # registered here again
    history = page.get_by_role("list", name="人员经历")
    await expect(history.get_by_role("heading", name=re.compile(r"^差错恢复（转移撤销）"))).to_be_visible()


async def test_4_4_a_retiree_returning_from_another_city_is_registered_at_the_receiving_community(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        receiver = await factories.account(session, tree.communities[2], Role.OPERATOR)
        person = await factories.retiree(session, tree.communities[0], name="周桂英", status=Status.MOVED_AWAY)
        number, agency, retiree_id = person.personal_number, person.insuring_agency_code, person.id
    page = console.page
    await console.login(receiver.username)
    await console.visit("transfers")
    arrival = page.get_by_role("region", name="外市转入")
    await arrival.get_by_label("个人编号", exact=True).fill(number)
    await arrival.get_by_label("参保机构编码", exact=True).fill(agency)
    await arrival.get_by_role("button", name="办理转入").click()
    await _confirm(page, "确认外市转入", "确认转入")
    await expect(page.get_by_text(re.compile(r"^周桂英 已转入"))).to_be_visible()
    await console.visit(f"retirees/{retiree_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员详情：周桂英")
    history = page.get_by_role("list", name="人员经历")
    await expect(history.get_by_role("heading", name=re.compile(r"^转入（转入）"))).to_be_visible()
