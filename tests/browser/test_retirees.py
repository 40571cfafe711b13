"""The console's retiree pages (issue 13): a community worker certifies a suspended retiree on site (4.3) and sees
them resume; a district operator cannot open or find another district's retiree (1.3); an operator suspends ticked
retirees and reads who was suspended and who could not be, with the reason (4.5)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.async_api import Locator, expect

from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Status, Suspend
from domain.shared import calendar
from domain.staff.permissions import Role
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _checked_once_still(console: Console) -> None:
    """axe on the page once every transition has finished (a dialog's fade, a result replacing a form): mid-fade
    the colours are washed out and would fail the contrast rule."""
    await console.page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await console.check_accessibility()


async def test_4_3_a_worker_certifies_on_site_and_the_suspended_retiree_resumes(
    registry_hub: Hub, console: Console
) -> None:
    today = calendar.today()
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        worker = await factories.account(session, tree.communities[0], Role.OPERATOR)
        person = await factories.retiree(session, tree.communities[0], name="刘桂芳", sex="2")
        assert person.id is not None
        locked = await status_log.locked_retiree(session, person.id)
        locked.last_certified_on = today - timedelta(days=220)
        await status_log.apply(
            registry_hub.unit_of_work(session, "test"),
            factories.SETUP,
            locked,
            Suspend(ReasonCode.CERTIFICATION_OVERDUE),
            effective_date=today - timedelta(days=30),
            cause=status_log.Cause(CauseType.RULE, "test"),
        )
    page = console.page
    await console.login(worker.username)
    await console.visit(f"retirees/{person.id}")

    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员详情：刘桂芳")
    await expect(page.get_by_text("查看完整信息将记入审计日志")).to_be_visible()
    sentence = page.get_by_text(re.compile(r"^刘桂芳.*暂停发放养老金.*自动恢复"))
    await expect(sentence).to_be_visible()
    await expect(page.get_by_text(re.compile(r"^已暂停，自.*原因：超过6个月未认证；养老金暂停发放$"))).to_be_visible()

    await page.get_by_role("button", name="现场认证").click()
    dialog = page.get_by_role("dialog", name="现场认证")
    await expect(dialog.get_by_label("认证日期")).to_have_value(today.isoformat())
    await _checked_once_still(console)
    await dialog.get_by_role("button", name="确认认证").click()
    await expect(dialog.get_by_text("已记录现场认证，并已恢复发放")).to_be_visible()
    await expect(dialog.get_by_text(re.compile(r"刘桂芳的养老金正常发放"))).to_be_visible()
    await _checked_once_still(console)
    await dialog.get_by_role("button", name="关闭", exact=True).click()
    await expect(dialog).to_be_hidden()

    await expect(page.get_by_text(re.compile(r"^已登记.*；养老金正常发放$"))).to_be_visible()
    await expect(page.get_by_text(re.compile(r"^刘桂芳的养老金正常发放；上次认证为"))).to_be_visible()
    history = page.get_by_role("list", name="人员经历")
    await expect(history.get_by_role("heading", name=re.compile(r"^资格认证"))).to_be_visible()
    await expect(history.get_by_role("heading", name=re.compile(r"认证后恢复"))).to_be_visible()
    await expect(history.get_by_text(re.compile(r"超过6个月未认证"))).not_to_have_count(0)
    await _checked_once_still(console)


async def test_1_3_a_district_operator_cannot_see_another_districts_retiree(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        own, other = await factories.tree(session), await factories.tree(session)
        operator = await factories.account(session, own.district, Role.OPERATOR)
        await factories.retiree(session, own.communities[3], name="邵本区")
        outsider = await factories.retiree(session, other.communities[0], name="邵外区")
    page = console.page
    await console.login(operator.username)

    await console.visit(f"retirees/{outsider.id}")
    await expect(page.get_by_text("无法查看该人员")).to_be_visible()
    await expect(page.get_by_text(re.compile("不在本机构管辖范围内"))).to_be_visible()
    await expect(page.get_by_text("邵外区")).to_have_count(0)

    await console.visit("retirees")
    await page.get_by_label("姓名", exact=True).fill("邵")
    await page.get_by_label("姓名", exact=True).press("Enter")
    table = page.get_by_role("region", name="退休人员列表")
    await expect(table.get_by_role("link", name="邵本区")).to_be_visible()
    await expect(table.get_by_text("邵外区")).to_have_count(0)
    await table.get_by_role("link", name="邵本区").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员详情：邵本区")
    await page.go_back()
    await expect(page.get_by_label("姓名", exact=True)).to_have_value("邵")
    await expect(table.get_by_role("link", name="邵本区")).to_be_visible()
    await _checked_once_still(console)


async def _tick(table: Locator, name: str) -> None:
    # Element Plus hides the native checkbox (0×0) under its styled box: a click on it is what a click on the box does.
    box = table.get_by_role("checkbox", name=re.compile(f"^选择 {name}"))
    await box.dispatch_event("click")
    await expect(box).to_be_checked()


async def test_4_5_an_operator_suspends_selected_retirees_and_sees_the_result_per_person(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.communities[0], Role.OPERATOR)
        await factories.retiree(session, tree.communities[0], name="钟立新", birth=date(1950, 3, 1))
        await factories.retiree(session, tree.communities[0], name="钟立华", birth=date(1945, 7, 9))
        await factories.retiree(
            session, tree.communities[0], name="钟立平", birth=date(1958, 1, 20), status=Status.SUSPENDED
        )
    page = console.page
    await console.login(operator.username)
    await console.visit("retirees")
    await page.get_by_label("姓名", exact=True).fill("钟立")
    await page.get_by_label("姓名", exact=True).press("Enter")
    table = page.get_by_role("region", name="退休人员列表")
    people = table.get_by_role("link", name=re.compile("^钟立"))
    await expect(people).to_have_count(3)
    await table.get_by_role("columnheader", name=re.compile("^出生日期")).click()
    await expect(people.first).to_have_text("钟立华")
    await table.get_by_role("columnheader", name=re.compile("^出生日期")).click()
    await expect(people.first).to_have_text("钟立平")
    await expect(page).to_have_url(re.compile(r"sort=-birth_date"))
    for name in ("钟立新", "钟立华", "钟立平"):
        await _tick(table, name)
    await expect(page.get_by_text("已选 3 人")).to_be_visible()

    await page.get_by_role("button", name="暂停发放").click()
    dialog = page.get_by_role("dialog", name="暂停发放")
    await expect(dialog).to_contain_text("钟立新")
    await dialog.get_by_label("暂停原因说明").fill("本人申请暂停")
    await _checked_once_still(console)
    await dialog.get_by_role("button", name="确认暂停").click()

    results = dialog.get_by_role("region", name="暂停结果")
    await expect(dialog.get_by_text("已暂停 2 人，1 人未能暂停（原因见下表）")).to_be_visible()
    for name in ("钟立新", "钟立华"):
        await expect(results.get_by_role("row", name=re.compile(name))).to_contain_text("已暂停")
    refused = results.get_by_role("row", name=re.compile("钟立平"))
    await expect(refused).to_contain_text("未暂停")
    await expect(refused.get_by_role("cell").last).not_to_be_empty()
    await _checked_once_still(console)
    await dialog.get_by_role("button", name="关闭", exact=True).click()

    await expect(table.get_by_role("row", name=re.compile("钟立新"))).to_contain_text("已暂停")


async def _suspended_for_missing_certification(hub: Hub, name: str) -> tuple[str, str, int]:
    """An operator and a viewer of one community, and a retiree there suspended by the 4.5 rule (S01)."""
    today = calendar.today()
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.communities[0], Role.OPERATOR)
        viewer = await factories.account(session, tree.communities[0], Role.VIEWER)
        person = await factories.retiree(session, tree.communities[0], name=name)
        assert person.id is not None
        locked = await status_log.locked_retiree(session, person.id)
        locked.last_certified_on = today - timedelta(days=220)
        await status_log.apply(
            hub.unit_of_work(session, "test"),
            factories.SETUP,
            locked,
            Suspend(ReasonCode.CERTIFICATION_OVERDUE),
            effective_date=today - timedelta(days=30),
            cause=status_log.Cause(CauseType.RULE, "test"),
        )
        return operator.username, viewer.username, person.id


async def test_4_5_a_refused_resumption_says_why_and_an_error_restoration_undoes_the_suspension(
    registry_hub: Hub, console: Console
) -> None:
    operator, viewer, person = await _suspended_for_missing_certification(registry_hub, "田玉梅")
    page = console.page
    await console.login(viewer)
    await console.visit(f"retirees/{person}")
    await expect(page.get_by_text(re.compile(r"^田玉梅.*暂停发放养老金"))).to_be_visible()
    for action in ("补充信息", "现场认证", "恢复发放", "差错恢复"):
        await expect(page.get_by_role("button", name=action)).to_have_count(0)

    await console.login(operator)
    await console.visit(f"retirees/{person}")
    await page.get_by_role("button", name="恢复发放").click()
    dialog = page.get_by_role("dialog", name="恢复发放")
    await dialog.get_by_label("恢复依据").fill("本人申请恢复")
    await dialog.get_by_role("button", name="确认恢复").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("认证")
    await _checked_once_still(console)
    await dialog.get_by_role("button", name="取消").click()
    await expect(dialog).to_be_hidden()

    history = page.get_by_role("list", name="人员经历")
    await history.get_by_role("button", name=re.compile(r"^差错恢复：.*超过6个月未认证")).click()
    restoring = page.get_by_role("dialog", name="差错恢复")
    await expect(restoring).to_contain_text("人员状态恢复为“已登记”")
    await restoring.get_by_label("差错原因").fill("认证记录漏传，规则误判")
    await _checked_once_still(console)
    await restoring.get_by_role("button", name="确认差错恢复").click()
    await expect(restoring.get_by_text("已差错恢复")).to_be_visible()
    await restoring.get_by_role("button", name="关闭", exact=True).click()
    await expect(page.get_by_text(re.compile(r"^已登记.*；养老金正常发放$"))).to_be_visible()
    await expect(history.get_by_role("heading", name=re.compile(r"差错恢复"))).to_be_visible()
    await expect(history.get_by_role("button", name=re.compile(r"^差错恢复："))).to_have_count(0)  # undone already
    await _checked_once_still(console)


async def test_4_2_an_operator_records_supplementary_information_with_special_categories(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.communities[0], Role.OPERATOR)
        person = await factories.retiree(session, tree.communities[0], name="马德胜")
    page = console.page
    await console.login(operator.username)
    await console.visit(f"retirees/{person.id}")
    await expect(page.get_by_text("尚未采集补充信息。")).to_be_visible()
    await page.get_by_role("button", name="补充信息").click()
    dialog = page.get_by_role("dialog", name="补充信息")
    await dialog.get_by_label("紧急联系人", exact=True).fill("马小红")
    await dialog.get_by_label("紧急联系电话").fill("13903110000")
    await dialog.get_by_text("退役军人").click()
    await _checked_once_still(console)
    await dialog.get_by_role("button", name="保存").click()
    await expect(dialog.get_by_text("补充信息已保存")).to_be_visible()
    await dialog.get_by_role("button", name="关闭", exact=True).click()
    supplementary = page.get_by_role("region", name="补充信息")
    await expect(supplementary).to_contain_text("马小红")
    await expect(supplementary).to_contain_text("退役军人")


async def test_6_7_a_worker_looks_up_anyone_in_the_city_and_is_told_who_is_outside_the_scope(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        own, other = await factories.tree(session), await factories.tree(session)
        viewer = await factories.account(session, own.communities[0], Role.VIEWER)
        neighbour = await factories.retiree(session, own.communities[0], name="韩春生")
        stranger = await factories.retiree(session, other.communities[0], name="韩秋生")
    page = console.page
    await console.login(viewer.username)
    await console.visit("status-lookup")
    number = page.get_by_label("身份证号码或个人编号")

    await number.fill(stranger.id_number)
    await number.press("Enter")
    await expect(page.get_by_text(re.compile("该人员不在本机构管辖范围内"))).to_be_visible()
    await expect(page.get_by_text(stranger.personal_number)).to_be_visible()
    await expect(page.get_by_text("韩秋生")).to_have_count(0)
    await expect(page.get_by_role("link", name="查看详情")).to_have_count(0)
    await _checked_once_still(console)

    await number.fill(neighbour.personal_number)
    await number.press("Enter")
    await expect(page.get_by_text("韩春生")).to_be_visible()
    await expect(page.get_by_text(re.compile("该人员不在本机构管辖范围内"))).to_have_count(0)
    await page.get_by_role("link", name="查看详情").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员详情：韩春生")
    await console.settled()
    await _checked_once_still(console)
