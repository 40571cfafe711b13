"""What a browser test drives: ``Console``, one Chromium tab on the staff console served by the real ``hub api``
process, with axe-core checks and the tab's JavaScript errors kept for the fixture's teardown (tests/browser/
conftest.py builds it; tests use role, label and text locators and Playwright's auto-waiting ``expect``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pdfminer.high_level import extract_text
from playwright.async_api import ConsoleMessage, Locator, Page, expect
from playwright.async_api import Error as PlaywrightError

from tests.factories import PASSWORD
from tests.support.harness import PROJECT_ROOT

CONSOLE_BUILD = PROJECT_ROOT / "console" / "dist" / "index.html"
AXE_SCRIPT = PROJECT_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / ".local" / "artifacts" / "browser"
TOKEN_KEY = "retiree-hub.token"  # console/src/stores/session.ts
USER_MENU = re.compile(r"^当前用户")  # MainLayout's user button: 当前用户：<name>，打开用户菜单
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
SHOWN_TARGETS = 3

# axe-core on the whole document; only what the fixture reports is sent back (not the DOM snapshots of each node).
_AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] })
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map((node) => node.target.map(String).join(' ')),
    summary: (v.nodes[0] && v.nodes[0].failureSummary) || '',
  }))
}"""
# Element Plus's v-loading mask: axe would judge the page under it (and its contrast) while data still loads.
_NOT_LOADING = """() => [...document.querySelectorAll('.el-loading-mask')]
  .every((mask) => mask.offsetParent === null)"""


def sheet_rows(saved: Path) -> list[tuple[Any, ...]]:
    """The values of every row of a saved XLSX file's active sheet."""
    sheet = load_workbook(saved, read_only=True).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def pdf_text(saved: Path) -> str:
    """The text of a saved PDF file (pdfminer), after checking it is a PDF."""
    assert saved.read_bytes().startswith(b"%PDF"), saved
    return extract_text(saved)


def artefact_name(test_name: str) -> str:
    """A file name for a test's artefacts: its name with brackets and other punctuation replaced."""
    return re.sub(r"[^\w.-]+", "_", test_name).strip("_")


@dataclass
class Console:
    """One test's browser tab (Playwright async ``Page``: locale zh-CN, time zone Asia/Shanghai, 1440×900)."""

    page: Page
    base_url: str  # the hub api process, e.g. http://127.0.0.1:41234 (the console is under /console/)
    console_errors: list[str] = field(default_factory=list)  # console.error messages, CSP refusals included
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions and unhandled rejections

    def watch(self) -> None:
        """Keep the tab's console errors and uncaught errors (the fixture reports them at teardown)."""
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            self.console_errors.append(f"{message.text} ({where.get('url', '')}:{where.get('lineNumber', '')})")

    def _on_page_error(self, error: PlaywrightError) -> None:
        self.page_errors.append(error.stack or f"{error.name}: {error.message}")

    def url(self, path: str = "") -> str:
        """The address of a console page: ``url("password")`` → ``<base>/console/password``."""
        return f"{self.base_url}/console/{path.lstrip('/')}"

    async def visit(self, path: str = "") -> None:
        """Open ``/console/<path>`` (a full load: the session stays, it is in sessionStorage), wait until the page
        has rendered its one h1 and finished loading, then run axe-core on it."""
        await self.page.goto(self.url(path))
        await self.settled()
        await self.check_accessibility()

    async def settled(self) -> None:
        """Until the page shows its one h1, nothing is in flight and no loading mask is shown."""
        await expect(self.page.get_by_role("heading", level=1)).to_have_count(1)
        await expect(self.page.get_by_role("heading", level=1)).to_be_visible()
        await self.page.wait_for_load_state("networkidle")
        await self.page.wait_for_function(_NOT_LOADING)

    async def check_accessibility(self) -> None:
        """axe-core on the current document; fails on any violation of impact serious or critical, naming the rule,
        its help text and the first few elements. Nothing is excluded."""
        # A dialog fading in or a menu fading out has, for a moment, colours no one reads: wait until every
        # animation and transition has finished (Element Plus's last a few hundred milliseconds).
        await self.page.wait_for_function(
            "() => document.getAnimations().every((a) => a.playState !== 'running')", polling=100
        )
        if not await self.page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated through the DevTools protocol: the console's Content-Security-Policy (script-src 'self')
            # refuses an inline <script> (page.add_script_tag), but not this.
            await self.page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
        violations: list[dict[str, Any]] = await self.page.evaluate(_AXE_RUN)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            raise AssertionError(f"axe-core on {self.page.url}:\n" + "\n".join(map(_described, blocking)))

    async def login(self, username: str, password: str = PASSWORD) -> None:
        """Log in through the login form (the page shown if it is the login page, else /console/login, which
        lands on the home page) and wait until the console shows the user menu."""
        page = self.page
        if "/console/login" not in page.url:
            await page.goto(self.url("login"))
        await page.get_by_label("账号", exact=True).fill(username)
        await page.get_by_label("密码", exact=True).fill(password)
        await page.get_by_role("button", name="登录", exact=True).click()
        await expect(page.get_by_role("button", name=USER_MENU)).to_be_visible()
        await self.settled()

    async def open_from_menu(self, title: str) -> None:
        """Open a page by its side-menu entry (the whole title, e.g. ``6.3 已登记人员查询``) and wait for its h1."""
        menu = self.page.get_by_role("navigation", name="主菜单")
        await menu.get_by_role("menuitem", name=title, exact=True).click()
        await expect(self.page.get_by_role("heading", level=1)).to_have_text(title)

    async def download(self, button: str, saved: Path, *, within: Locator | None = None) -> str:
        """Click the button named exactly ``button`` (inside ``within``, else anywhere on the page), wait for the
        download it starts, save it as ``saved`` and give the file name the server suggested."""
        async with self.page.expect_download() as downloading:
            await (within or self.page).get_by_role("button", name=button, exact=True).click()
        download = await downloading.value
        await download.save_as(saved)
        return download.suggested_filename

    async def exported_cells(self, file_stem: str, saved: Path, prefix: str) -> set[str]:
        """Click 导出Excel, check the file is ``<file_stem>-….xlsx``, save it as ``saved`` and give every cell of its
        sheet that starts with ``prefix`` (a test's unique surname)."""
        name = await self.download("导出Excel", saved)
        assert name.startswith(f"{file_stem}-") and name.endswith(".xlsx"), name
        return {str(c) for row in sheet_rows(saved) for c in row if c and str(c).startswith(prefix)}

    async def token(self) -> str | None:
        """The session's API token as the console keeps it (sessionStorage)."""
        value: str | None = await self.page.evaluate("(key) => sessionStorage.getItem(key)", TOKEN_KEY)
        return value

    async def save_artefacts(self, name: str) -> list[Path]:
        """A full-page screenshot of the last page, and the console errors when there are any."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        saved = []
        screenshot = ARTIFACTS / f"{name}.png"
        try:
            await self.page.screenshot(path=screenshot, full_page=True)
            saved.append(screenshot)
        except PlaywrightError as error:  # a crashed or closed tab: the other artefacts still count
            self.console_errors.append(f"(no screenshot: {error.message})")
        log = ARTIFACTS / f"{name}.console.txt"
        if self.console_errors or self.page_errors:
            log.write_text("\n".join([*self.page_errors, *self.console_errors]) + "\n", encoding="utf-8")
            saved.append(log)
        else:
            log.unlink(missing_ok=True)
        return saved

    def problems(self) -> list[str]:
        """What fails a test at teardown: an uncaught JavaScript error, or a Content-Security-Policy refusal (the
        console must run under the API's policy: scripts from 'self' only)."""
        refused = [e for e in self.console_errors if "Content Security Policy" in e]
        return [*(f"uncaught: {e}" for e in self.page_errors), *(f"CSP: {e}" for e in refused)]


def _described(violation: dict[str, Any]) -> str:
    targets: list[str] = violation["targets"]
    more = len(targets) - SHOWN_TARGETS
    shown = ", ".join(targets[:SHOWN_TARGETS]) + (f" (+{more} more)" if more > 0 else "")
    first = " ".join(str(violation["summary"]).split())  # axe's own account of the first element (e.g. the ratio)
    return f"- {violation['id']} ({violation['impact']}): {violation['help']} [{shown}] {first} {violation['helpUrl']}"
