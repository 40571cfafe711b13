"""The staff console's home page (待办, issue 13) and the 7.2 distribution report: the counts cover the worker's scope
only and each opens its list (masked rows linking to the person); the report shows its tables and downloads as XLSX."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.certifications.rules import add_months
from domain.dictionary.codes import ReasonCode
from domain.institutions.models import Institution
from domain.registrations.models import RegistrationApplication
from domain.retirees.lifecycle import ChangeKind, Status
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.staff.permissions import Role
from domain.status_log.models import StatusChange, SyncState
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console, sheet_rows
from tests.support.harness import wait_until

pytestmark = pytest.mark.browser


_STILL = "() => document.getAnimations().every((animation) => animation.playState !== 'running')"


async def _axe(console: Console) -> None:
    """axe-core once Element Plus's transitions (dialogs fading in, messages sliding) have finished, with the pointer
    off the button last clicked (its hover shade is not what the page shows)."""
    await console.page.mouse.move(1430, 890)
    await console.page.wait_for_function(_STILL)
    await console.check_accessibility()


def _change(
    person: Retiree, kind: ChangeKind, reason: ReasonCode, sync: SyncState, error: str | None = None
) -> StatusChange:
    assert person.id is not None
    state = {"status": person.status, "institution_id": person.institution_id}
    return StatusChange(
        retiree_id=person.id,
        personal_number=person.personal_number,
        kind=kind.value,
        reason_code=reason.value,
        from_status=Status.REGISTERED.value,
        to_status=person.status,
        before_state=state,
        after_state=state,
        effective_date=calendar.today(),
        institution_id=person.institution_id,
        cause_type="staff",
        actor="test",
        sync_state=sync.value,
        sync_error=error,
    )


@dataclass
class Desk:
    operator: str  # an operator of community A
    due_soon: Retiree  # A: due in 10 days
    due_later: Retiree  # A: due in 40 days, not on the list
    suspended: Retiree  # A: suspended for missing certification, its change refused by the province
    elsewhere: Retiree  # community B: due in 5 days, its changes failed and pending: never counted for A


async def _desk(hub: Hub) -> Desk:
    async def clear_of_midnight() -> bool:  # the counts and the data must be of the same city day
        return datetime.now(calendar.BUSINESS_TZ).time() < time(23, 58)

    await wait_until(clear_of_midnight, 150, "the city's new day")
    today = calendar.today()
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        a, b = tree.communities[0], tree.communities[1]
        operator = await factories.account(session, a, Role.OPERATOR)

        async def person(community: Institution, name: str, due_in: int, status: Status | None = None) -> Retiree:
            made = await factories.retiree(session, community, name=name, status=status)
            made.last_certified_on = add_months(today + timedelta(days=due_in), -6)
            return made

        desk = Desk(
            operator.username,
            due_soon=await person(a, "赵春华", 10),
            due_later=await person(a, "钱秋实", 40),
            suspended=await person(a, "孙冬梅", -30, Status.SUSPENDED),
            elsewhere=await person(b, "李夏荷", 5),
        )
        desk.suspended.suspension_reason = ReasonCode.CERTIFICATION_OVERDUE.value
        applicants = [await factories.retiree(session, name=name) for name in ("周立新", "吴远方")]
        for applicant, community in zip(applicants, (a, b), strict=True):
            assert applicant.id is not None and community.id is not None
            session.add(
                RegistrationApplication(
                    id=uuid.uuid4().hex, retiree_id=applicant.id, community_id=community.id, channel_client="t"
                )
            )
        session.add_all(
            [
                _change(desk.due_soon, ChangeKind.REGISTERED, ReasonCode.REGISTERED, SyncState.SENT),
                _change(
                    desk.suspended,
                    ChangeKind.SUSPENDED,
                    ReasonCode.CERTIFICATION_OVERDUE,
                    SyncState.FAILED,
                    "省平台拒收：人员不存在",
                ),
                _change(desk.elsewhere, ChangeKind.SUSPENDED, ReasonCode.SUSPENDED_BY_STAFF, SyncState.FAILED),
                _change(desk.elsewhere, ChangeKind.REGISTERED, ReasonCode.REGISTERED, SyncState.PENDING),
            ]
        )
        await session.flush()
        for made in vars(desk).values():
            if isinstance(made, Retiree):
                session.expunge(made)
        return desk


async def test_4_3_home_worklists_count_what_is_in_scope_and_link_to_the_lists(
    registry_hub: Hub, console: Console
) -> None:
    desk = await _desk(registry_hub)
    page = console.page
    await console.login(desk.operator)
    await _axe(console)

    await expect(page.get_by_role("link", name="待确认的手机端登记申请：1")).to_be_visible()
    await expect(page.get_by_role("link", name="30天内认证到期人员：1")).to_be_visible()
    await expect(page.get_by_role("link", name="省平台尚未确认的状态变更：1")).to_be_visible()
    await expect(page.get_by_role("link", name="上报省平台失败的状态变更：1")).to_be_visible()
    suspended = page.get_by_role("link", name="因未认证暂停发放人员：1")
    await expect(suspended).to_have_attribute("href", "/console/retirees?status=suspended&suspension_reason=S01")

    await page.get_by_role("link", name="30天内认证到期人员：1").click()
    await expect(page).to_have_url(re.compile(r"/console/worklists/certifications-due\?within_days=30$"))
    await console.settled()
    due = page.get_by_role("region", name="认证到期人员")
    await expect(due.get_by_role("link", name="赵春华")).to_have_attribute(
        "href", f"/console/retirees/{desk.due_soon.id}"
    )
    # masked ID numbers (the check character may be X)
    await expect(due.get_by_text(re.compile(r"^\d{6}\*+\d{3}[\dX]$")).first).to_be_visible()
    await expect(page.get_by_text("钱秋实")).to_have_count(0)
    await expect(page.get_by_text("李夏荷")).to_have_count(0)
    await expect(page.get_by_text("共 1 条")).to_be_visible()
    await _axe(console)

    await console.visit("")
    await page.get_by_role("link", name="上报省平台失败的状态变更：1").click()
    await expect(page).to_have_url(re.compile(r"/console/worklists/status-sync\?sync_state=failed$"))
    await console.settled()
    changes = page.get_by_role("region", name="状态变更上报情况")
    await expect(changes.get_by_role("link", name="孙冬梅")).to_have_attribute(
        "href", f"/console/retirees/{desk.suspended.id}"
    )
    await expect(changes.get_by_text("省平台拒收：人员不存在")).to_be_visible()
    await expect(page.get_by_text("李夏荷")).to_have_count(0)
    await _axe(console)

    await console.visit("")
    await page.get_by_role("link", name="省平台尚未确认的状态变更：1").click()
    await expect(page).to_have_url(re.compile(r"/console/worklists/status-sync\?sync_state=pending&sync_state=sent$"))
    await console.settled()
    await expect(page.get_by_role("region", name="状态变更上报情况").get_by_role("link", name="赵春华")).to_be_visible()
    await expect(page.get_by_text("共 1 条")).to_be_visible()
    await _axe(console)

    # The sync-state filter on the page itself: every state of the scope, then the refused ones only.
    await page.get_by_role("combobox", name="上报状态").focus()  # its tags cover the input: opened by keyboard
    await page.keyboard.press("Enter")
    await page.get_by_role("option", name="待上报省平台").click()
    await page.get_by_role("option", name="已上报，待省平台确认").click()
    await page.get_by_role("option", name="上报失败").click()
    await page.get_by_role("heading", level=1).click()  # closes the drop-down
    await page.get_by_role("button", name="查询", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/console/worklists/status-sync\?sync_state=failed$"))
    await expect(page.get_by_role("region", name="状态变更上报情况").get_by_role("link", name="孙冬梅")).to_be_visible()
    await expect(page.get_by_text("共 1 条")).to_be_visible()
    await _axe(console)

    await console.visit("")
    today = calendar.today().isoformat()
    await expect(page.get_by_role("link", name="今日认证：0")).to_have_count(0)  # no list behind it
    await expect(page.get_by_text("今日认证")).to_be_visible()
    await page.get_by_role("link", name="今日登记：1").click()
    await expect(page).to_have_url(re.compile(rf"/console/worklists/status-sync\?kind=registered&recorded_on={today}$"))
    await console.settled()
    await expect(page.get_by_role("region", name="状态变更上报情况").get_by_role("link", name="赵春华")).to_be_visible()
    await expect(page.get_by_text("共 1 条")).to_be_visible()


async def test_4_3_admin_roles_see_their_shortcuts_instead_of_worklists(registry_hub: Hub, console: Console) -> None:
    async with registry_hub.sessions() as session, session.begin():
        auditor = await factories.account(session, await factories.city(session), Role.AUDITOR)
    requests: list[str] = []
    console.page.on("request", lambda request: requests.append(request.url))
    await console.login(auditor.username)
    await _axe(console)

    await expect(console.page.get_by_role("heading", name="常用功能")).to_be_visible()
    await expect(console.page.get_by_role("heading", name="待办", exact=True)).to_have_count(0)
    await expect(console.page.get_by_role("list", name="常用功能").get_by_role("link", name="审计日志")).to_be_visible()
    assert not [url for url in requests if "/api/v1/worklists" in url]


async def test_7_2_the_distribution_report_shows_and_downloads_as_xlsx(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        viewer = await factories.account(session, tree.district, Role.VIEWER)
        for community, sex in ((tree.communities[0], "1"), (tree.communities[0], "2"), (tree.communities[2], "2")):
            await factories.retiree(session, community, sex=sex, birth=date(1950, 3, 1))
    page = console.page
    await console.login(viewer.username)
    await console.visit("reports/retiree-distribution")
    await expect(page.get_by_role("heading", level=1)).to_have_text("退休人员分布统计")

    by_institution = page.get_by_role("region", name="按管理机构统计的退休人员分布")
    await expect(by_institution.get_by_role("row", name=re.compile(r"^测试街道0 2 "))).to_be_visible()
    await expect(by_institution.get_by_role("row", name=re.compile(r"^测试街道1 1 "))).to_be_visible()
    await expect(by_institution.get_by_role("row", name=re.compile(r"^合计 3 "))).to_be_visible()
    await expect(page.get_by_role("region", name="按参保机构统计的退休人员分布")).to_be_visible()

    saved = tmp_path / "distribution.xlsx"
    name = await console.download("导出 Excel", saved)
    assert re.fullmatch(r"retiree-distribution-\d{4}-\d{2}-\d{2}\.xlsx", name)
    assert saved.stat().st_size > 0 and saved.read_bytes()[:2] == b"PK"
    cells = [str(value) for row in sheet_rows(saved) for value in row if value is not None]
    assert any("测试街道0" in cell for cell in cells), cells[:20]
