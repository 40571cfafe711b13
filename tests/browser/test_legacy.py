"""The console's 历史数据迁移 (issue 17): a city operator opens the runs, picks the dry run and reads its
reconciliation report — per table, per status, the reasons rows were refused (file, row, column), the refused rows of
one table, the differences with the province's data — with nothing imported; axe-clean."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from connectors.legacy.generator import Dirt, generate
from connectors.legacy.mapping import load_mapping
from connectors.legacy.pipeline import run_import
from domain.shared import calendar
from domain.shared.actor import system_actor
from domain.staff.permissions import Role
from hub.bootstrap import Hub
from tests import factories
from tests.browser.support import Console

pytestmark = pytest.mark.browser


async def test_17_a_city_operator_reads_the_dry_run_report(registry_hub: Hub, console: Console, tmp_path: Path) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.city, Role.OPERATOR)
    generate(
        tmp_path,
        120,
        seed=7,
        prefix=f"B{uuid.uuid4().hex[:6].upper()}",
        districts=[tree.district.code],
        areas=("540128", "540129"),
        id_offset=random.randrange(10**6),
        as_of=calendar.today() - timedelta(days=1),
        rates={Dirt.WRONG_CHECK: 0.05, Dirt.DUPLICATE: 0.05},
    )
    outcome = await run_import(
        registry_hub.sessions,
        system_actor("test-legacy"),
        tmp_path,
        load_mapping(),
        dry_run=True,
        today=calendar.today(),
    )
    page = console.page
    await console.login(operator.username)
    await console.visit("legacy-runs")
    await expect(page.get_by_role("heading", level=1)).to_have_text("历史数据迁移")
    await page.get_by_role("button", name=f"查看批次 {outcome.run_id} 的对账报告").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"迁移对账报告（批次 {outcome.run_id}）")
    await expect(page.get_by_text("试运行（只校验，未导入）")).to_be_visible()
    tables = page.get_by_role("region", name="按表对账")
    await expect(tables.get_by_role("row")).to_have_count(8)  # the header and the seven tables
    await expect(tables.get_by_role("row").filter(has_text="AC01")).to_contain_text("人员")
    reasons = page.get_by_role("region", name="拒绝原因汇总")
    await expect(reasons.get_by_text("身份证号码错误")).to_be_visible()
    await expect(reasons.get_by_text("重复人员")).to_be_visible()
    await expect(page.get_by_role("region", name="按状态").get_by_text("已登记")).to_be_visible()
    await console.check_accessibility()

    await page.get_by_role("combobox", name="表").click(force=True)
    await page.get_by_role("option", name="AC01 人员", exact=True).filter(visible=True).click()
    refused = page.get_by_role("region", name="被拒绝的行")
    await expect(refused.get_by_text("校验位错误").first).to_be_visible()
    await expect(refused.get_by_role("cell", name="IC10", exact=True)).to_have_count(0)
    await expect(refused.get_by_role("cell", name="AC01", exact=True).first).to_be_visible()
    await console.check_accessibility()
