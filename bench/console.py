"""Staff console figures (issue 13): the production bundle's size, and, measured in Chromium against a registry of
1,000,000 retirees, the time to the first usable page and to a retiree search result. Prints a table and writes
bench/results/console-<date>-<retirees>.json.

    python -m bench.console [--retirees 1000000] [--reuse] [--runs 5]

Runs against the benchmarks' database (HUB_BENCH_DATABASE_URL, default retiree_hub_bench), which it resets and
loads with the demo accounts unless --reuse; serves the console from console/dist (``bash scripts/console.sh build``
first: make bench-console does). Each run is a fresh browser context (empty cache), as a worker's first visit of
the day; the figures are wall-clock times seen by the browser, API and database included.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import subprocess
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
from playwright.async_api import Browser, Page, async_playwright, expect

from app.migrate import downgrade, upgrade
from bench.registry import DEFAULT_URL, machine, scalar_count, vacuum, versions
from bench.support import RESULTS, ROOT, free_port
from hub.settings import Settings
from seed.loader import DEMO_PASSWORD, load

DIST = ROOT / "console" / "dist"
CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
# The largest community of the seeded city, and the whole city: the two scopes staff search in.
SCOPES = {"community": "community_operator", "city": "city_operator"}


def bundle_figures() -> dict[str, Any]:
    """The size of what a browser downloads (gzip, as the hub's GZip middleware or a proxy would send it)."""
    if not (DIST / "index.html").is_file():
        raise SystemExit("console/dist is missing: run `bash scripts/console.sh build` first")
    files = [p for p in DIST.rglob("*") if p.is_file() and p.suffix in {".js", ".css", ".html", ".svg"}]
    sizes = {
        str(p.relative_to(DIST)): {"bytes": p.stat().st_size, "gzip": len(gzip.compress(p.read_bytes(), 6))}
        for p in files
    }
    scripts = {name: size for name, size in sizes.items() if name.endswith(".js")}
    largest = max(scripts, key=lambda name: scripts[name]["gzip"])
    return {
        "files": len(sizes),
        "total_bytes": sum(s["bytes"] for s in sizes.values()),
        "total_gzip": sum(s["gzip"] for s in sizes.values()),
        "largest_chunk": largest,
        "largest_chunk_gzip": scripts[largest]["gzip"],
        "largest_chunk_bytes": scripts[largest]["bytes"],
    }


class Api:
    """`hub api` on the benchmark database, as `make run` starts it."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_ENVIRONMENT": "development"}
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "hub"), "api", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                try:
                    if (await client.get(f"{self.url}/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise SystemExit("hub api did not become healthy within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


async def first_usable_page(browser: Browser, base: str, username: str) -> dict[str, float]:
    """From typing the console's address to the login form, then from pressing 登录 to the home page's worklist
    counts on screen."""
    context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = await context.new_page()
    try:
        started = time.perf_counter()
        await page.goto(f"{base}/console/")
        await expect(page.get_by_role("button", name="登录")).to_be_visible()
        login_ready = time.perf_counter() - started
        await page.get_by_label("账号").fill(username)
        await page.get_by_label("密码").fill(DEMO_PASSWORD)
        started = time.perf_counter()
        await page.get_by_role("button", name="登录").click()
        await expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
        await expect(page.get_by_role("list", name="待办事项")).to_be_visible(timeout=60_000)
        home_ready = time.perf_counter() - started
        search = await retiree_search(page, base)
        return {"login_page_s": login_ready, "home_usable_s": home_ready, "search_s": search}
    finally:
        await context.close()


async def retiree_search(page: Page, base: str) -> float:
    """The retiree list by a name prefix (the commonest search at the counter), from pressing 查询 to the rows."""
    await page.goto(f"{base}/console/retirees")
    await expect(page.get_by_role("heading", name="退休人员查询")).to_be_visible()
    await page.get_by_label("姓名", exact=True).fill("张")
    started = time.perf_counter()
    async with page.expect_response(lambda r: "/api/v1/retirees?" in r.url and "name=" in r.url, timeout=60_000):
        await page.get_by_label("姓名", exact=True).press("Enter")
    table = page.get_by_role("region", name="退休人员列表")
    await expect(table.get_by_role("row").filter(has_text="张").first).to_be_visible(timeout=60_000)
    return time.perf_counter() - started


async def dictionary(settings: Settings) -> None:
    """The data dictionary's built-in codes, as `hub db upgrade` adds them (the pages' choices come from it)."""
    from domain.dictionary.service import ensure_builtin
    from hub.bootstrap import bootstrap

    hub = bootstrap(settings, consumer_groups=())
    try:
        async with hub.sessions() as session, session.begin():
            await ensure_builtin(session)
    finally:
        await hub.engine.dispose()


def largest_community(dsn: str) -> int:
    """Put the demo community operator in the community with the most retirees (the city's largest has about
    12,000 at 1,000,000); the size of its registry."""
    with psycopg.connect(dsn) as connection:
        row = connection.execute(
            "SELECT institution_id, count(*) FROM retiree WHERE institution_id IS NOT NULL"
            " GROUP BY institution_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        assert row is not None, "no retiree belongs to a community"
        connection.execute(
            "UPDATE staff_account SET institution_id = %s WHERE username = %s", (row[0], SCOPES["community"])
        )
        connection.commit()
    return int(row[1])


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def browser_figures(base: str, runs: int) -> dict[str, Any]:
    # A figure, not a pass/fail: wait as long as it takes (the default 5 s would turn a slow answer into an error).
    expect.set_options(timeout=120_000)
    figures: dict[str, Any] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"] if os.geteuid() == 0 else []
        )
        try:
            for scope, username in SCOPES.items():
                measured: list[dict[str, float]] = []
                # One unmeasured run first: the API process's first requests (connection pool, caches) are not what
                # a worker meets in the day.
                await first_usable_page(browser, base, username)
                for _ in range(runs):
                    measured.append(await first_usable_page(browser, base, username))
                figures[scope] = {key: summary([m[key] for m in measured]) for key in measured[0]}
        finally:
            await browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--retirees", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the registry an earlier run loaded")
    parser.add_argument("--runs", type=int, default=5, help="measured visits per scope")
    args = parser.parse_args()
    settings = Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL))
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "versions": versions(settings.psycopg_dsn),
        "bundle": bundle_figures(),
    }
    if not args.reuse:
        downgrade(settings, "base")
        upgrade(settings)
        seeded = load(settings.psycopg_dsn, retiree_count=args.retirees, demo_accounts=True)
        vacuum(settings.psycopg_dsn)
        print(f"loaded {seeded.retirees:,} retirees in {seeded.seconds:.1f} s", flush=True)
    asyncio.run(dictionary(settings))
    report["retirees"] = scalar_count(settings.psycopg_dsn)
    report["largest_community_retirees"] = largest_community(settings.psycopg_dsn)
    api = Api(settings.database_url)
    try:
        asyncio.run(api.ready())
        report["browser"] = asyncio.run(browser_figures(api.url, args.runs))
    finally:
        api.stop()
    bundle = report["bundle"]
    print(
        f"\nbundle: {bundle['files']} files, {bundle['total_gzip'] / 1024:.0f} KiB gzip "
        f"({bundle['total_bytes'] / 1024:.0f} KiB raw); largest chunk {bundle['largest_chunk']} "
        f"{bundle['largest_chunk_gzip'] / 1024:.0f} KiB gzip"
    )
    print(
        f"\nin Chromium, {report['retirees']:,} retirees (the community: {report['largest_community_retirees']:,}), "
        f"median (max) of {args.runs} fresh visits:"
    )
    for scope, figures in report["browser"].items():
        line = "  ".join(f"{key} {f['median_ms']:.0f} ms ({f['max_ms']:.0f})" for key, f in figures.items())
        print(f"  {scope:<10} {line}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"console-{datetime.now(UTC):%Y-%m-%d}-{report['retirees']}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
