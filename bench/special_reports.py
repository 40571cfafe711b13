"""Reports 7.4 (institutions), 7.5 (special people distribution) and 7.2 (retiree distribution) at 1,000,000
retirees (issue 19): p50/p99 of N runs each through the domain service, for the largest community, its district and
the whole city, today and (7.5, 7.2) as of a date a year back; then 7.10, one retiree's base-info sheet gathered
and drawn (time per sheet, PDF size). Prints a table and writes bench/results/special-reports-<date>.json.

    python -m bench.special_reports [--runs 5]

Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench); reads only (the sheet's audit entry is rolled back).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.queries import DEFAULT_URL, RESULTS, pct
from channels.staff import retiree_sheet
from domain.reports import distribution
from domain.reports import service as reports
from domain.shared import calendar
from domain.shared.actor import Actor
from hub.db import create_engine, create_session_factory
from hub.settings import Settings


def _actor(node: Any) -> Actor:
    return Actor(
        name="bench-reports",
        kind="staff",
        role="operator",
        institution_id=node.id,
        institution_path=node.path,
        source="bench",
    )


async def _scopes(session: AsyncSession) -> dict[str, Any]:
    community_id, people = (
        await session.execute(
            text(
                "SELECT institution_id, count(*) FROM retiree WHERE institution_id IS NOT NULL "
                "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
            )
        )
    ).one()
    community = (
        await session.execute(text("SELECT id, path, name FROM institution WHERE id = :id"), {"id": community_id})
    ).one()
    district_path = "/".join(community.path.split("/")[:3]) + "/"
    district = (
        await session.execute(text("SELECT id, path, name FROM institution WHERE path = :p"), {"p": district_path})
    ).one()
    city = (await session.execute(text("SELECT id, path, name FROM institution WHERE level = 'city'"))).one()
    return {f"community ({people} people)": community, "district": district, "city": city}


async def _report(actor: Actor, report_id: str, on: date | None, session: AsyncSession) -> object:
    if report_id == "7.2":
        return await distribution.retiree_distribution(session, actor, on)
    return await reports.run(session, actor, report_id, {}, on)


async def _timed(sessions: Any, runs: int, work: Callable[[AsyncSession], Awaitable[object]]) -> list[float]:
    samples = []
    for _ in range(runs):
        async with sessions() as session:
            started = time.perf_counter()
            async with session.begin():
                await work(session)
            samples.append(time.perf_counter() - started)
    return samples


async def main(runs: int) -> None:
    settings = Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL))
    sessions = create_session_factory(create_engine(settings))
    today = calendar.today()
    year_back = today - timedelta(days=365)
    async with sessions() as session:
        scopes = await _scopes(session)
        retirees = (await session.execute(text("SELECT count(*) FROM retiree"))).scalar_one()
    print(f"{retirees} retirees; today {today}, as of {year_back}; {runs} runs each\n")
    print("| report | scope | date | p50 ms | p99 ms |\n|---|---|---|---|---|")
    rows: list[dict[str, Any]] = []
    for scope, node in scopes.items():
        actor = _actor(node)
        cases = [(r, on) for r in ("7.4", "7.5") for on in ((None, year_back) if reports.spec_of(r).as_of else (None,))]
        cases += [("7.2", None), ("7.2", year_back)]
        for report_id, on in cases:
            work = partial(_report, actor, report_id, on)
            samples = await _timed(sessions, runs, work)
            row = {
                "report": report_id,
                "scope": scope,
                "on": (on or today).isoformat(),
                "p50_ms": round(pct(samples, 0.5)),
                "p99_ms": round(pct(samples, 0.99)),
            }
            rows.append(row)
            print(f"| {report_id} | {scope} | {row['on']} | {row['p50_ms']} | {row['p99_ms']} |")
    city_actor = _actor(scopes["city"])
    async with sessions() as session:
        ids = (await session.execute(text("SELECT id FROM retiree ORDER BY id LIMIT :n"), {"n": runs})).scalars().all()
    sheet_samples, sizes = [], []
    for retiree_id in ids:
        async with sessions() as session:
            started = time.perf_counter()
            _, sheet = await retiree_sheet._sheet(session, city_actor, retiree_id, unmasked=False)
            sizes.append(len(retiree_sheet.draw(sheet)))
            sheet_samples.append(time.perf_counter() - started)
            await session.rollback()
    sheet_figures = {
        "p50_ms": round(pct(sheet_samples, 0.5)),
        "p99_ms": round(pct(sheet_samples, 0.99)),
        "pdf_bytes_p50": sorted(sizes)[len(sizes) // 2],
    }
    print(f"\n7.10 base-info sheet (gathered and drawn): {sheet_figures}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"special-reports-{datetime.now(UTC):%Y%m%d}.json"
    payload = {"retirees": retirees, "runs": runs, "reports": rows, "sheet_7_10": sheet_figures}
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"report: {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
