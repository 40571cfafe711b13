"""The console's employer hand-over (3.1 - 3.3): the city bureau's operator drafts a batch (employer, receiving
agency, payment voucher, people picked from the employer's retirees not yet handed over), submits it and prints its
roster; the receiving agency's operator finds it on the home page, checks it on 「档案接收」 and receives it with one
discrepancy noted. axe-core on every page and dialog."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from domain.employers.models import Employer
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _confirm(page: Page, title: str, button: str) -> None:
    box = page.get_by_role("dialog", name=title)
    await expect(box).to_be_visible()
    await box.get_by_role("button", name=button).click()


async def _choose(page: Page, combobox_name: str, option: str, *, fill: str | None = None) -> None:
    box = page.get_by_role("combobox", name=combobox_name)
    await box.click(force=True)  # over its placeholder
    if fill is not None:
        await box.fill(fill)
    await page.get_by_role("option", name=option).first.click()


async def test_3_1_3_3_the_city_drafts_submits_and_prints_a_hand_over_and_the_agency_receives_it(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    names = ["赵国华", "钱淑珍", "孙志强"]
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        tree.district.name = f"移交测试区社保中心{tag}"
        employer = Employer(code=factories.code("E"), name=f"石家庄纺织厂{tag}", insuring_agency_code="130102")
        session.add(employer)
        for i, name in enumerate(names):
            person = await factories.retiree(session, tree.communities[i], name=name)
            person.employer_code = employer.code
        city = await factories.account(session, tree.city, Role.OPERATOR)
        agency = await factories.account(session, tree.district, Role.OPERATOR)
        district_name, employer_name, employer_code = tree.district.name, employer.name, employer.code
        city_user, agency_user = city.username, agency.username

    page = console.page
    await console.login(city_user)
    await console.visit("handovers/new")
    await expect(page.get_by_role("heading", level=1)).to_have_text("新建单位移交")
    await _choose(page, "移交单位", f"{employer_name}（{employer_code}）", fill=employer_code)
    candidates = page.get_by_role("region", name="单位未移交人员")
    for name in names:
        await expect(candidates.get_by_text(name)).to_be_visible()
    await _choose(page, "接收经办机构", district_name)
    await page.get_by_label("缴费凭证号").fill(f"JF{tag}")
    await page.get_by_label("缴费金额（元）").fill("1500")
    await page.get_by_label("单位经办人").fill("张会计")
    await page.get_by_role("button", name="本页全选").click()
    chosen = page.get_by_role("region", name="已选移交人员")
    for name in names:
        await expect(chosen.get_by_text(name)).to_be_visible()
    await console.check_accessibility()
    await page.get_by_role("button", name="保存", exact=True).click()
    await _confirm(page, "确认保存", "保存")
    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_have_text(re.compile(r"^移交批次 YJ\d{4}-\d{4}$"))
    number = (await heading.inner_text()).split()[-1]
    await console.settled()
    await console.check_accessibility()

    await page.get_by_role("button", name="提交", exact=True).click()
    await _confirm(page, "确认提交", "提交")
    await expect(page.get_by_text(f"已提交 {number}")).to_be_visible()
    await expect(page.get_by_text("待接收", exact=True).first).to_be_visible()
    roster = await console.download("打印花名册（PDF）", tmp_path / "roster.pdf")
    assert roster == f"退休人员档案移交花名册_{number}.pdf"
    assert (await console.download("导出花名册（XLSX）", tmp_path / "roster.xlsx")).endswith(".xlsx")

    # the receiving agency's operator, in a tab of their own
    other = Console(await page.context.new_page(), console.base_url)
    other.watch()
    tab = other.page
    await other.login(agency_user)
    shortcut = tab.get_by_role("link", name="待接收的单位移交档案：1")
    await expect(shortcut).to_be_visible()
    await shortcut.click()
    await expect(tab.get_by_role("heading", level=1)).to_have_text("档案接收")
    await other.settled()
    await other.check_accessibility()
    await tab.get_by_role("region", name="待接收的移交批次").get_by_role("button", name=f"核对接收：{number}").click()
    await expect(tab.get_by_role("heading", level=1)).to_have_text(f"档案接收 {number}")
    await other.settled()
    await _choose(tab, f"接收结果：{names[1]}", "有差异")
    await _choose(tab, f"差异类型：{names[1]}", "档案缺失")
    await tab.get_by_label(f"备注：{names[1]}").fill("档案袋未随移交单送达")
    await other.check_accessibility()
    await tab.get_by_role("button", name="确认接收").click()
    await _confirm(tab, "确认接收", "确认接收")
    await expect(tab.get_by_text(f"已接收 {number}")).to_be_visible()
    await expect(tab.get_by_role("heading", level=1)).to_have_text(f"移交批次 {number}")
    people = tab.get_by_role("region", name="移交人员")
    await expect(people.get_by_text("有差异：档案缺失")).to_be_visible()
    await expect(people.get_by_text("（档案袋未随移交单送达）")).to_be_visible()
    await other.check_accessibility()
    assert not other.problems()
    assert not console.problems()
