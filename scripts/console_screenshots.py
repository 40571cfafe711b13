"""Screenshots of the staff console's main pages for docs/console/, taken in Chromium against a running hub with the
demo accounts (``make run``, or the console benchmark's registry):

    .venv/bin/python scripts/console_screenshots.py --base-url http://127.0.0.1:8000 [--out docs/console]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from seed.loader import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")


async def login(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/console/login")
    await page.get_by_label("账号", exact=True).fill(username)
    await page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page.get_by_role("button", name=re.compile("^当前用户"))).to_be_visible()


async def shot(page: Page, out: Path, name: str) -> None:
    await page.wait_for_load_state("networkidle")
    await page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    await page.screenshot(path=out / f"{name}.png")
    print(f"  {name}.png")


async def take(base: str, out: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"] if os.geteuid() == 0 else []
        )
        expect.set_options(timeout=60_000)

        async def as_user(username: str) -> Page:
            context = await browser.new_context(
                locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1440, "height": 900}
            )
            page = await context.new_page()
            await login(page, base, username)
            return page

        page = await browser.new_page(locale="zh-CN", viewport={"width": 1440, "height": 900})
        await page.goto(f"{base}/console/login")
        await shot(page, out, "01-login")

        page = await as_user("community_operator")
        await shot(page, out, "02-home-worklists")
        await page.goto(f"{base}/console/retirees")
        await page.get_by_label("姓名", exact=True).fill("王")
        await page.get_by_label("姓名", exact=True).press("Enter")
        await expect(page.get_by_role("region", name="退休人员列表").get_by_role("row").nth(1)).to_be_visible()
        await shot(page, out, "03-retiree-search")
        await page.get_by_role("region", name="退休人员列表").get_by_role("link").first.click()
        await expect(page.get_by_text("查看完整信息将记入审计日志")).to_be_visible()
        await shot(page, out, "04-retiree-detail-timeline")
        await page.goto(f"{base}/console/registrations/counter")
        await shot(page, out, "05-counter-registration")
        await page.goto(f"{base}/console/reports/retiree-distribution")
        await shot(page, out, "06-report-7-2")

        page = await as_user("sysadmin")
        await page.goto(f"{base}/console/admin/accounts")
        await shot(page, out, "07-accounts-system-admin")
        await page.goto(f"{base}/console/admin/institutions")
        await shot(page, out, "08-institutions")

        page = await as_user("auditor")
        await page.goto(f"{base}/console/admin/audit")
        await shot(page, out, "09-audit-trail")
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "console")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(args.base_url, args.out))


if __name__ == "__main__":
    main()
