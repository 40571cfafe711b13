"""The console's 7.12 death reduction report (issue 19): a district worker opens 退休人员死亡减员报告表 from the menu,
narrows it to one employer, reads the deceased with the pension overpaid after the death, and prints the PDF with
the same people and the 合计 line. The page is axe-clean."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.deaths import service as deaths
from domain.deaths.rules import DeathEvidence
from domain.employers.models import Employer
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console, pdf_text

pytestmark = pytest.mark.browser


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


async def _deaths(hub: Hub) -> tuple[str, str, list[str]]:
    """Two people of one employer and one of another, each with a pension of 3,000.00, recorded dead today by the
    district (the deaths service): the employer's first died two months back (two months overpaid), its second
    today (none)."""
    surname = "殁" + uuid.uuid4().hex[:4]
    today = calendar.today()
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        employer = Employer(code=factories.code("E"), name=f"{surname}化工厂", insuring_agency_code=tree.district.code)
        session.add(employer)
        people = [await factories.retiree(session, tree.communities[n], name=f"{surname}{n}") for n in range(3)]
        for person in people:
            person.monthly_pension = Decimal("3000.00")
        people[0].employer_code = people[1].employer_code = employer.code
        await session.flush()
        place = tree.district
        actor = Actor(name="经办", kind="staff", role="operator", institution_id=place.id, institution_path=place.path)
        for person, died in zip(people, (_months_back(today, 2), today, today), strict=True):
            await deaths.record(
                hub.unit_of_work(session, "test"),
                actor,
                person.id or 0,
                death_date=died,
                evidence=DeathEvidence.DEATH_CERTIFICATE,
                document_number=None,
                remarks=None,
                today=today,
            )
        worker = (await factories.account(session, tree.district, Role.OPERATOR)).username
        return worker, employer.code, [p.name for p in people]


async def test_7_12_a_district_worker_filters_the_death_reduction_report_and_prints_it(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, employer, names = await _deaths(registry_hub)
    await console.login(worker)
    page = console.page
    menu = page.get_by_role("navigation", name="主菜单")
    await menu.get_by_role("menuitem", name="7.12 退休人员死亡减员报告表").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("7.12 退休人员死亡减员报告表")
    await page.get_by_role("textbox", name="单位", exact=True).fill(employer)
    await page.get_by_role("button", name="统计").click()
    await expect(page.get_by_text("共 2 人次")).to_be_visible()
    first = page.get_by_role("row", name=names[0]).first
    await expect(first).to_contain_text("6000.00")
    await expect(first).to_contain_text("待追回")
    await expect(page.get_by_role("row", name=names[1]).first).to_contain_text("无多发待遇")
    await expect(page.get_by_role("row", name=names[2])).to_have_count(0)
    await console.settled()
    await console.check_accessibility()

    pdf = await console.download("打印PDF", tmp_path / "deaths.pdf")
    assert pdf.startswith("退休人员死亡减员报告表-") and pdf.endswith(".pdf")
    text = pdf_text(tmp_path / "deaths.pdf")
    assert names[0] in text and names[1] in text and names[2] not in text
    assert "合计" in text and "6000.00" in text and "经办人" in text and "第 1 页 共 1 页" in text
    assert not console.problems()
