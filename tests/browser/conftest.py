"""Browser tier: headless Chromium (Debian's, not Playwright's download) against the staff console as the real
``hub api`` process serves it on the test database.

Fixtures:
  ``registry_hub``  the hub on the test database, for building data (tests/factories.py); from the integration tier
  ``hub_server``    (session) the base URL of a ``hub api --port <free port>`` process; its log in the artefacts
  ``chromium``      (session) one headless Chromium (``HUB_CHROMIUM``, default /usr/bin/chromium)
  ``console``       (each test) a ``Console`` on a new browser context; at teardown a full-page screenshot of the
                    last page in .local/artifacts/browser/<test name>.png, its console errors next to it, and the
                    test fails if the page raised an uncaught JavaScript error or the CSP refused something.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import warnings
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Browser, async_playwright, expect

from hub.settings import Settings
from tests.browser.support import ARTIFACTS, AXE_SCRIPT, CONSOLE_BUILD, Console, artefact_name
from tests.integration.conftest import registry_hub as registry_hub
from tests.integration.conftest import services_ready as services_ready
from tests.support.processes import Processes, hub_env

DEFAULT_CHROMIUM = "/usr/bin/chromium"
STARTUP_SECONDS = 60
# Two shared cores run the suite: Playwright's defaults (5 s for expect) are too tight for a page that loads data.
expect.set_options(timeout=15_000)
ACTION_TIMEOUT_MS = 20_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stale_build() -> bool:
    built = CONSOLE_BUILD.parent / ".built"
    if not built.is_file():
        return False
    since = built.stat().st_mtime
    sources = CONSOLE_BUILD.parents[1] / "src"
    return any(path.stat().st_mtime > since for path in sources.rglob("*") if path.is_file())


@pytest.fixture(scope="session")
def hub_server(settings: Settings, services_ready: None) -> Iterator[str]:
    """``hub api`` on a free port against the test database and the suite's topics; its base URL."""
    if not CONSOLE_BUILD.is_file():
        pytest.fail(
            f"the console is not built ({CONSOLE_BUILD} is missing): run bash scripts/console.sh build (make test does)"
        )
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"{AXE_SCRIPT} is missing: run bash scripts/console.sh deps (npm ci; make test does)")
    if _stale_build():
        warnings.warn("console/src changed since the last build: run bash scripts/console.sh build", stacklevel=1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = hub_env(
        settings,
        HUB_ENVIRONMENT="test",
        # Every test logs in from 127.0.0.1: the per-address limit (60 a minute) is for a real network, not a suite
        # that logs in several times a second. The per-account limit and the lock-out stay as deployed.
        HUB_LOGIN_RATE_PER_ADDRESS="100000",
    )
    group = Processes(env, ARTIFACTS)
    process = group.hub("hub-api", "api", "--host", "127.0.0.1", "--port", str(port))
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"hub api exited with {process.returncode} at start-up:\n{group.log('hub-api')[-3000:]}")
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"hub api did not answer /health in {STARTUP_SECONDS}s:\n{group.log('hub-api')[-3000:]}")
            time.sleep(0.2)
        yield base_url
    finally:
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):  # killed below
                process.wait(15)
        group.kill_all()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One headless Chromium for the session (Debian's: Playwright's own download is not used)."""
    executable = os.environ.get("HUB_CHROMIUM", DEFAULT_CHROMIUM)
    if not os.access(executable, os.X_OK):
        pytest.fail(f"Chromium is missing at {executable}: run bash scripts/services.sh start (make test does)")
    # As root (containers, CI) Chromium refuses to start with its sandbox; /dev/shm is small in containers.
    args = ["--disable-dev-shm-usage", *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        yield browser
        await browser.close()


@pytest.fixture
async def console(chromium: Browser, hub_server: str, request: pytest.FixtureRequest) -> AsyncIterator[Console]:
    """A new browser context (zh-CN, Asia/Shanghai, 1440×900) and tab for one test."""
    context = await chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1440, "height": 900}, base_url=hub_server
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = await context.new_page()
    tab = Console(page, hub_server)
    tab.watch()
    try:
        yield tab
    finally:
        await tab.save_artefacts(artefact_name(request.node.name))
        await context.close()
    problems = tab.problems()
    if problems:
        pytest.fail("the page failed in the browser:\n" + "\n".join(problems), pytrace=False)
