"""The console's roster reports (issue 19): a district worker opens 7.11 资格认证花名册 from the menu, sees the people
certified this year (recorded by the certification service), switches to those not certified — who to chase —,
pages and sorts them on the server, exports the whole roster as Excel and prints it as PDF (both masked, the same
people). The page is axe-clean."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import expect

from domain.certifications import service as certifications
from domain.certifications.rules import CertificationSource
from domain.employers.models import Employer
from domain.shared import calendar
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console, pdf_text

pytestmark = pytest.mark.browser

PEOPLE = 23  # 22 not certified: two pages of 20


async def _community(hub: Hub) -> tuple[str, str, list[str]]:
    """A district's community with PEOPLE retirees named <surname>00…; the first certified on site today."""
    surname = "认" + uuid.uuid4().hex[:3]
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        people = [
            await factories.retiree(session, tree.communities[0], name=f"{surname}{n:02d}") for n in range(PEOPLE)
        ]
        worker = await factories.account(session, tree.district, Role.OPERATOR)
        first = people[0]
        assert first.id is not None
        await certifications.record(
            hub.unit_of_work(session, "test"),
            factories.SETUP,
            certifications.Report(
                first.id, CertificationSource.ON_SITE, factories.code("C"), "on_site", calendar.today(), True
            ),
            today=calendar.today(),
        )
        return worker.username, surname, [p.name for p in people]


async def test_7_11_a_district_worker_chases_the_uncertified_pages_exports_and_prints(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    worker, surname, names = await _community(registry_hub)
    await console.login(worker)
    await console.open_from_menu("7.11 资格认证花名册")
    page = console.page
    await page.get_by_label("姓名", exact=True).fill(surname)
    await page.get_by_role("button", name="统计").click()
    rows = page.get_by_role("main").get_by_role("row")
    await expect(rows.filter(has_text=names[0])).to_have_count(1)
    await expect(page.get_by_text("共 1 人次")).to_be_visible()

    await page.get_by_role("combobox", name="认证情况").click(force=True)
    await page.get_by_role("option", name="期间内未认证").click()
    await page.get_by_role("button", name="统计").click()
    await expect(page.get_by_text(f"共 {PEOPLE - 1} 人次")).to_be_visible()
    await expect(rows.filter(has_text=surname)).to_have_count(20)
    await expect(rows.filter(has_text=names[0])).to_have_count(0)
    # sorted by name descending on the server (the default order is the community, then who came first)
    header = page.get_by_role("columnheader", name="姓名 按 姓名 排序", exact=True)
    await header.click()
    await expect(rows.filter(has_text=names[1])).to_have_count(1)
    await header.click()
    await expect(rows.filter(has_text=names[PEOPLE - 1])).to_have_count(1)
    await expect(rows.filter(has_text=names[1])).to_have_count(0)
    await page.get_by_role("button", name="下一页").click()
    await expect(rows.filter(has_text=surname)).to_have_count(2)
    await expect(rows.filter(has_text=names[1])).to_have_count(1)
    await console.settled()
    await console.check_accessibility()

    cells = await console.exported_cells("资格认证花名册", tmp_path / "roster.xlsx", surname)
    assert cells == set(names[1:])
    await console.download("打印PDF", tmp_path / "roster.pdf")
    text = pdf_text(tmp_path / "roster.pdf")
    assert "资格认证花名册" in text and "期间内未认证人员" in text and "制表人" in text
    assert all(name in text for name in names[1:]) and names[0] not in text
    assert not console.problems()


async def test_7_9_the_hand_over_roster_of_a_received_batch(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    """A district worker's batch of three people drafted, submitted and received through the API; 7.9 lists them by
    the employer, the batch and the receipt result, its copies summed in the Excel and PDF (axe-clean page)."""
    surname = "移" + uuid.uuid4().hex[:3]
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        employer = Employer(code=factories.code("E"), name=f"{surname}机械厂", insuring_agency_code=tree.district.code)
        session.add(employer)
        people = [await factories.retiree(session, tree.communities[0], name=f"{surname}{n}") for n in range(3)]
        for person in people:
            person.employer_code = employer.code
        await session.flush()
        worker = (await factories.account(session, tree.district, Role.OPERATOR)).username
        body = {
            "employer_id": employer.id,
            "agency_id": tree.district.id,
            "voucher_number": f"JF-{surname}",
            "voucher_amount": "900.00",
            "voucher_date": calendar.today().isoformat(),
            "people": [{"retiree_id": p.id, "items": ["personnel_file"], "copies": 1} for p in people],
        }
        receipt = {"results": [{"retiree_id": p.id, "result": "received"} for p in people]}
    await console.login(worker)
    headers = {"Authorization": f"Bearer {await console.token()}"}
    request = console.page.request
    drafted = await request.post(f"{console.base_url}/api/v1/handovers", data=body, headers=headers)
    assert drafted.status == 201, await drafted.text()
    batch = await drafted.json()
    base = f"{console.base_url}/api/v1/handovers/{batch['id']}"
    assert (await request.post(f"{base}/submit", headers=headers)).status == 200
    assert (await request.post(f"{base}/receive", data=receipt, headers=headers)).status == 200

    await console.open_from_menu("7.9 移交花名册")
    page = console.page
    await page.get_by_label("单位", exact=True).fill(employer.code)
    await page.get_by_role("button", name="统计").click()
    rows = page.get_by_role("main").get_by_role("row")
    await expect(rows.filter(has_text=surname)).to_have_count(3)
    await expect(rows.filter(has_text=f"{surname}0").filter(has_text=batch["number"])).to_have_count(1)
    await expect(page.get_by_text("共 3 人次")).to_be_visible()
    await console.settled()
    await console.check_accessibility()
    cells = await console.exported_cells("移交花名册", tmp_path / "handover.xlsx", surname)
    assert cells == {f"{surname}机械厂", *(p.name for p in people)}
    assert not console.problems()
