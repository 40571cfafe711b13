"""The console's non-local residents (4.7): a worker of the insuring agency records, from the retiree's page
(「居住地」), that a retiree lives in another city; the timeline shows it and the page 「异地居住人员」 lists them
under 本市参保异地居住; and the people insured elsewhere who live here are added on the other tab."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from domain.shared import calendar
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


async def test_4_7_an_agency_records_a_retiree_living_in_another_city_and_finds_them_in_the_list(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        worker = await factories.account(session, tree.district, Role.OPERATOR)
        person = await factories.retiree(session, tree.district, name="钱居京", agency=tree.district.code)
        assert person.id is not None
    since = calendar.today() - timedelta(days=100)
    page = console.page
    await console.login(worker.username)
    await console.visit(f"retirees/{person.id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员详情：钱居京")

    await page.get_by_role("button", name="居住地", exact=True).click()
    dialog = page.get_by_role("dialog", name="居住地")
    await expect(dialog).to_be_visible()
    await _still(console)
    await dialog.get_by_role("combobox", name="居住城市").click(force=True)  # over its placeholder
    await page.get_by_role("option", name="北京市（110100）").click()
    picker = dialog.get_by_role("combobox", name="居住起始日期")
    await picker.fill(since.isoformat())
    await picker.press("Enter")
    await dialog.get_by_label("居住地址").fill("北京市朝阳区望京街道1号")
    await dialog.get_by_role("button", name="保存居住地").click()
    await _confirm(page, "确认居住地", "确认保存")
    await expect(dialog.get_by_text("已保存居住地")).to_be_visible()
    await expect(dialog.get_by_text(re.compile(r"北京市（110100）.*列为异地居住人员"))).to_be_visible()
    await _still(console)
    await dialog.get_by_role("button", name="关闭", exact=True).click()
    await expect(dialog).to_be_hidden()
    history = page.get_by_role("list", name="人员经历")
    entry = history.get_by_role("heading", name=re.compile(r"^居住地登记为北京市（110100），异地居住"))
    await expect(entry).to_be_visible()

    await console.visit("non-local")
    await expect(page.get_by_role("heading", level=1)).to_have_text("异地居住人员")
    await page.get_by_role("combobox", name="按居住城市筛选").click(force=True)
    await page.get_by_role("option", name="北京市（110100）").click()
    await page.get_by_role("button", name="查询").click()
    listed = page.get_by_role("region", name="本市参保异地居住人员")
    row = listed.get_by_role("row").filter(has=page.get_by_role("link", name="钱居京"))
    await expect(row).to_be_visible()
    await expect(row.get_by_text("北京市朝阳区望京街道1号")).to_be_visible()
    await _still(console)


async def test_4_7_a_community_adds_and_edits_a_person_insured_elsewhere_living_here(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        worker = await factories.account(session, tree.communities[0], Role.OPERATOR)
    number = factories.id_number()
    page = console.page
    await console.login(worker.username)
    await console.visit("non-local")
    await page.get_by_role("tab", name="外地参保本市居住").click()
    await page.get_by_role("button", name="新增外地参保人员").click()
    editor = page.get_by_role("dialog", name="新增外地参保人员")
    await expect(editor).to_be_visible()
    await _still(console)
    await editor.get_by_label("身份证号码").fill(number)
    await editor.get_by_label("姓名", exact=True).fill("孙唐山")
    await editor.get_by_role("combobox", name="参保地").click(force=True)
    await page.get_by_role("option", name="石家庄市（130100）").click()
    await editor.get_by_label("本市居住地址").fill("本社区3号楼")
    await editor.get_by_role("button", name="保存").click()
    await _confirm(page, "确认新增", "确认保存")
    await expect(editor.get_by_text("参保地为本市的人员属于本系统登记的退休人员")).to_be_visible()  # refused, said why
    await editor.get_by_role("combobox", name="参保地").click(force=True)
    await page.get_by_role("option", name="唐山市（130200）").click()
    await editor.get_by_role("button", name="保存").click()
    await _confirm(page, "确认新增", "确认保存")
    await expect(editor).to_be_hidden()
    listed = page.get_by_role("region", name="外地参保本市居住人员")
    row = listed.get_by_role("row").filter(has_text="孙唐山")
    await expect(row.get_by_text("唐山市")).to_be_visible()

    await row.get_by_role("button", name="修改：孙唐山").click()
    changing = page.get_by_role("dialog", name="修改外地参保人员")
    await expect(changing.get_by_label("身份证号码")).to_have_value(number)
    await changing.get_by_label("本市居住地址").fill("本社区5号楼")
    await changing.get_by_role("button", name="保存").click()
    await _confirm(page, "确认修改", "确认保存")
    await expect(changing).to_be_hidden()
    await expect(row.get_by_text("本社区5号楼")).to_be_visible()
    await _still(console)


async def test_4_7_an_insuring_agency_registers_its_retiree_living_in_another_city_at_the_counter(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        tree.district.code = f"A{uuid.uuid4().hex[:10]}"  # an insuring-agency code the counter form accepts
        await session.flush()
        worker = await factories.account(session, tree.district, Role.OPERATOR)
        person = await factories.retiree(session, None, name="周在沪", agency=tree.district.code)
    page = console.page
    await console.login(worker.username)
    await console.visit("registrations/counter")
    await expect(page.get_by_text(re.compile("参保机构.*只能登记本机构参保、居住在外市的人员"))).to_be_visible()
    await page.get_by_label("个人编号").fill(person.personal_number)
    await page.get_by_label("参保机构编码").fill(person.insuring_agency_code)
    await page.get_by_role("button", name="查询", exact=True).click()
    await expect(page.get_by_text("周在沪")).to_be_visible()

    await page.get_by_role("button", name="确认登记").click()  # no residence given: refused, said why
    await _confirm(page, "确认登记", "确认登记")
    await expect(page.get_by_label("查询结果").get_by_role("alert").filter(has_text="须填写外市居住地")).to_be_visible()
    await expect(page.get_by_role("dialog", name="确认登记")).to_be_hidden()  # its overlay gone before the next click

    await page.get_by_role("combobox", name="居住城市").click(force=True)
    await page.get_by_role("option", name="上海市（310100）").click()
    picker = page.get_by_role("combobox", name="居住起始日期")
    await picker.fill((calendar.today() - timedelta(days=30)).isoformat())
    await picker.press("Enter")
    await page.get_by_role("button", name="确认登记").click()
    await _confirm(page, "确认登记", "确认登记")
    await expect(page.get_by_text(f"周在沪 已登记到 {tree.district.name}")).to_be_visible()
    await _still(console)

    await console.visit("non-local")
    listed = page.get_by_role("region", name="本市参保异地居住人员")
    row = listed.get_by_role("row").filter(has=page.get_by_role("link", name="周在沪"))
    await expect(row).to_contain_text("上海市")
