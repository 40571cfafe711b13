"""The console's business queries of section 6 (issue 18): a district worker opens 6.1 业务台账查询 from the menu,
names the employer, picks the list (the employer's roster, then its unregistered retirees), pages through the
roster and exports it as Excel. The page is axe-clean."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.employers.models import Employer
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def _employer(hub: Hub) -> tuple[str, str, str]:
    """A district worker, an employer's code and a surname: 22 of its retirees registered, 1 not registered."""
    surname = "台" + uuid.uuid4().hex[:3]
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        employer = Employer(code=factories.code("E"), name=f"纺织厂{surname}", insuring_agency_code=tree.district.code)
        session.add(employer)
        agency = tree.district.code
        people = [
            await factories.retiree(session, tree.communities[n % 4], name=f"{surname}{n:02d}", agency=agency)
            for n in range(22)
        ]
        people.append(await factories.retiree(session, None, name=f"{surname}未登记", agency=agency))
        for person in people:
            person.employer_code = employer.code
        worker = (await factories.account(session, tree.district, Role.OPERATOR)).username
        return worker, employer.code, surname


async def test_6_1_a_district_worker_pages_an_employers_roster_and_exports_it(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, code, surname = await _employer(registry_hub)
    await console.login(worker)
    page = console.page
    await console.open_from_menu("6.1 业务台账查询")
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("请填写单位")).to_be_visible()  # the employer is required
    await page.get_by_role("textbox", name="* 单位").fill(code)  # required: the label carries the asterisk
    await page.get_by_role("button", name="查询").click()
    results = page.get_by_role("main")
    await expect(page.get_by_text("共 23 条", exact=True)).to_be_visible()
    await expect(results.get_by_role("row").filter(has_text=surname)).to_have_count(20)
    await console.settled()
    await console.check_accessibility()

    await page.get_by_role("button", name="下一页").click()
    await expect(results.get_by_role("row").filter(has_text=surname)).to_have_count(3)

    names = await console.exported_cells("业务台账查询", tmp_path / "ledger.xlsx", surname)
    assert len(names) == 23

    await page.get_by_role("combobox", name="台账类别").click(force=True)
    await page.get_by_role("option", name="未登记退休人员花名册").click()
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_text("共 1 条", exact=True)).to_be_visible()
    await expect(results.get_by_role("row").filter(has_text=f"{surname}未登记")).to_have_count(1)
    await console.settled()
    await console.check_accessibility()
    assert not console.problems()
