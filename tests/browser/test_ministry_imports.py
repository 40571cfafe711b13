"""The console's 部委数据导入 (2.7): a district operator uploads the ministry's cross-region certification file, sees it
checked (the worker the rules scheduler runs, here called directly), previews the valid rows and the exceptions with
row, column and reason, downloads the exceptions, confirms the import and sees it applied with the progress bar full."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import FilePayload, expect

from app.imports import run_pending_imports
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


async def test_2_7_upload_preview_exceptions_download_and_commit_with_the_progress_bar(
    registry_hub: Hub, console: Console, tmp_path: Path
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.district, Role.OPERATOR)
        people = [await factories.retiree(session, tree.communities[0], name=n) for n in ("张桂兰", "李秀英")]
        today = calendar.today().isoformat()
        place = f"海南省三亚市社保中心{uuid.uuid4().hex[:6]}"
        wrong = people[0].id_number[:17] + ("0" if people[0].id_number[17] != "0" else "1")  # check character
        lines = [
            "姓名,身份证号,个人编号,认证日期,认证方式,认证地点",
            *[f"{p.name},{p.id_number},{p.personal_number},{today},异地认证,{place}" for p in people],
            f"王建国,{wrong},,{today},异地认证,{place}",
        ]
    content = ("\n".join(lines) + "\n").encode()
    page = console.page
    await console.login(operator.username)
    await console.visit("ministry-imports")
    await expect(page.get_by_role("heading", level=1)).to_have_text("部委数据导入")
    await _still(console)

    async with page.expect_file_chooser() as choosing:
        await page.get_by_role("button", name="选择文件").click()
    chosen: FilePayload = {"name": "跨地区认证.csv", "mimeType": "text/csv", "buffer": content}
    await (await choosing.value).set_files(files=[chosen])
    await page.get_by_role("button", name="上传并校验").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("跨地区认证.csv")
    await expect(page.get_by_role("progressbar", name="校验进度")).to_be_visible()

    await run_pending_imports(registry_hub)  # what the rules scheduler does every few seconds
    await expect(page.get_by_text("待确认")).to_be_visible(timeout=15_000)
    valid = page.get_by_role("region", name="有效数据")
    await expect(valid.get_by_role("row")).to_have_count(3)  # the header and two people
    await expect(valid.get_by_text("张桂兰")).to_be_visible()
    await _still(console)

    await page.get_by_role("tab", name="异常数据（1）").click()
    exceptions = page.get_by_role("region", name="异常数据")
    await expect(exceptions.get_by_text("第4行“身份证号”列（B列）")).to_be_visible()
    await expect(exceptions.get_by_text("校验位")).to_be_visible()
    saved = tmp_path / "exceptions.xlsx"
    assert await console.download("下载异常数据", saved) == "跨地区认证-异常数据.xlsx"
    assert saved.read_bytes().startswith(b"PK")

    await page.get_by_role("button", name="确认导入").click()
    box = page.get_by_role("dialog", name="确认导入")
    await expect(box).to_be_visible()
    await expect(box.get_by_text("2 条有效数据")).to_be_visible()
    await _still(console)
    await box.get_by_role("button", name="确认导入").click()
    await expect(page.get_by_text("导入中", exact=True)).to_be_visible()
    await run_pending_imports(registry_hub)
    await expect(page.get_by_text("已导入", exact=True)).to_be_visible(timeout=15_000)
    bar = page.get_by_role("progressbar", name="导入进度")
    await expect(bar).to_have_attribute("aria-valuenow", "100")
    await _still(console)

    await page.get_by_role("button", name="返回导入批次").click()
    batches = page.get_by_role("region", name="导入批次")
    batch = batches.get_by_role("row").filter(has_text="跨地区认证.csv").first
    await expect(batch).to_contain_text("已导入 2")
    # the 状态 column shows the committed import's tag (it is the row's 4th cell: 批次, 文件类型, 文件名, 状态)
    await expect(batch.get_by_role("cell").nth(3)).to_have_text("已导入")
    await expect(batch.get_by_role("cell", name="已导入", exact=True)).to_be_visible()
