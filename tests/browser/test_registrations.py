"""4.1 registration in the staff console: a community worker sees the pending mobile application on the home page,
confirms it, then registers another approved person at the counter; a second registration is refused as such."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import expect

from domain.registrations.models import RegistrationApplication
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


_STILL = "() => document.getAnimations().every((animation) => animation.playState !== 'running')"


async def _axe(console: Console) -> None:
    """axe-core once Element Plus's transitions (dialogs fading in, messages sliding) have finished, with the pointer
    off the button last clicked (its hover shade is not what the page shows)."""
    await console.page.mouse.move(1430, 890)
    await console.page.wait_for_function(_STILL)
    await console.check_accessibility()


async def test_4_1_a_community_worker_confirms_a_mobile_application_and_registers_a_retiree_at_the_counter(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        worker = await factories.account(session, community, Role.OPERATOR)
        applicant = await factories.retiree(session, name="李秀兰", sex="2")
        mistaken = await factories.retiree(session, name="王德胜")  # applied to the wrong community: rejected
        walk_in = await factories.retiree(session, name="张国庆")
        raced = await factories.retiree(session, name="赵大成")  # registered by a colleague while the page shows them
        for person in (applicant, mistaken):
            assert person.id is not None and community.id is not None
            session.add(
                RegistrationApplication(
                    id=str(uuid.uuid4()),
                    retiree_id=person.id,
                    community_id=community.id,
                    channel_client="测试渠道",
                    contact_phone="13903111234",
                )
            )
    page = console.page
    await console.login(worker.username)

    await page.get_by_role("link", name="待确认的手机端登记申请：2").click()
    await expect(page).to_have_url(re.compile(r"/console/registrations/applications$"))
    await console.settled()
    applications = page.get_by_role("region", name="待确认的手机端登记申请")
    await expect(applications.get_by_text("李秀兰")).to_be_visible()
    await expect(applications.get_by_text("139****1234").first).to_be_visible()
    await expect(applications.get_by_text(community.name).first).to_be_visible()
    await _axe(console)

    await applications.get_by_role("button", name="退回：王德胜").click()
    rejection = page.get_by_role("dialog", name="退回登记申请")
    await expect(rejection).to_contain_text("王德胜")
    await rejection.get_by_role("button", name="确认退回").click()
    await expect(rejection.get_by_text("请输入退回原因")).to_be_visible()  # the reason is required
    await _axe(console)
    await rejection.get_by_label("退回原因").fill("申请社区有误，请向户籍所在社区申请")
    await rejection.get_by_role("button", name="确认退回").click()
    await expect(page.get_by_text("已退回 王德胜 的登记申请")).to_be_visible()
    await expect(applications.get_by_text("王德胜")).to_have_count(0)

    await applications.get_by_role("button", name="确认登记：李秀兰").click()
    confirmation = page.get_by_role("dialog", name="确认登记")
    await expect(confirmation).to_contain_text("李秀兰")
    await _axe(console)
    await confirmation.get_by_role("button", name="确认登记").click()
    await expect(page.get_by_text("李秀兰 已登记")).to_be_visible()
    await expect(applications.get_by_text("暂无待确认的登记申请")).to_be_visible()

    await page.get_by_role("navigation", name="主菜单").get_by_role("menuitem", name="柜台登记").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("柜台登记")
    await console.settled()
    await _axe(console)

    async def look_up() -> None:
        await page.get_by_label("个人编号").fill(walk_in.personal_number)
        await page.get_by_label("参保机构编码").fill(walk_in.insuring_agency_code)
        await page.get_by_role("button", name="查询", exact=True).click()

    await look_up()
    await expect(page.get_by_text("张国庆")).to_be_visible()
    await expect(page.get_by_text("已核准未登记")).to_be_visible()
    await _axe(console)
    await page.get_by_role("button", name="确认登记").click()
    confirmation = page.get_by_role("dialog", name="确认登记")
    await expect(confirmation).to_contain_text(community.name)
    await confirmation.get_by_role("button", name="确认登记").click()
    await expect(page.get_by_text("登记成功", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name="查看人员信息")).to_have_attribute(
        "href", f"/console/retirees/{walk_in.id}"
    )
    await _axe(console)

    await look_up()
    await expect(page.get_by_role("alert").filter(has_text="人员已登记，不能重复登记")).to_be_visible()
    await expect(page.get_by_role("button", name="确认登记")).to_have_count(0)
    await _axe(console)

    # A colleague registers the next person between the look-up and the confirmation: the API's refusal is shown.
    await page.get_by_label("个人编号").fill(raced.personal_number)
    await page.get_by_role("button", name="查询", exact=True).click()
    await expect(page.get_by_text("赵大成")).to_be_visible()
    async with httpx.AsyncClient(base_url=console.base_url) as client:
        colleague = await client.post(
            "/api/v1/registrations",
            headers={"Authorization": f"Bearer {await console.token()}"},
            json={"personal_number": raced.personal_number, "insuring_agency_code": raced.insuring_agency_code},
        )
    assert colleague.status_code == 201, colleague.text
    await page.get_by_role("button", name="确认登记").click()
    await page.get_by_role("dialog", name="确认登记").get_by_role("button", name="确认登记").click()
    await expect(page.get_by_role("alert").filter(has_text="人员已登记，不能重复登记")).to_be_visible()
    await expect(page.get_by_role("button", name="确认登记")).to_have_count(0)
    await _axe(console)


async def test_4_1_a_viewer_sees_the_pending_applications_but_cannot_decide_or_register(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        viewer = await factories.account(session, tree.streets[0], Role.VIEWER)
        applicant = await factories.retiree(session, name="陈淑芬", sex="2")
        assert applicant.id is not None and tree.communities[1].id is not None
        session.add(
            RegistrationApplication(
                id=str(uuid.uuid4()), retiree_id=applicant.id, community_id=tree.communities[1].id, channel_client="t"
            )
        )
    page = console.page
    await console.login(viewer.username)
    await console.visit("registrations/applications")

    applications = page.get_by_role("region", name="待确认的手机端登记申请")
    await expect(applications.get_by_text("陈淑芬")).to_be_visible()
    await expect(applications.get_by_text("测试社区01")).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile("^(确认登记|退回)"))).to_have_count(0)
    menu = page.get_by_role("navigation", name="主菜单")
    await expect(menu.get_by_role("menuitem", name="手机端登记申请")).to_be_visible()
    await expect(menu.get_by_role("menuitem", name="柜台登记")).to_have_count(0)


async def test_4_1_a_street_operator_looks_up_at_the_counter_but_registration_is_for_community_staff(
    registry_hub: Hub, console: Console
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.streets[0], Role.OPERATOR)
        person = await factories.retiree(session, name="刘玉珍", sex="2")
    page = console.page
    await console.login(operator.username)
    await console.visit("registrations/counter")
    await expect(page.get_by_text("登记须由社区工作人员办理")).to_be_visible()

    await page.get_by_label("个人编号").fill(person.personal_number)
    await page.get_by_label("参保机构编码").fill("999999")
    await page.get_by_role("button", name="查询", exact=True).click()
    await expect(page.get_by_text("未找到该人员：请核对个人编号和参保机构编码")).to_be_visible()
    await page.get_by_label("参保机构编码").fill(person.insuring_agency_code)
    await page.get_by_role("button", name="查询", exact=True).click()
    await expect(page.get_by_text("刘玉珍")).to_be_visible()
    await expect(page.get_by_role("button", name="确认登记")).to_have_count(0)
    await _axe(console)
