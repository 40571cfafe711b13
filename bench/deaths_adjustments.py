"""7.12 the death reduction report and 7.14 the adjustment sheet at 1,000,000 retirees (issue 19): the first page of
each (count and page, as the console asks) for the largest community, a district and the whole city, and the
largest community's adjustment sheet printed as PDF through the channel's printing path.

The benchmark database holds no adjustments: inside one transaction, rolled back at the end, every registered
retiree gets this year's adjustment (one batch, effective in January, as the yearly burst leaves it), so the sheet
is measured at its real size (one row per person); 7.12 reads the whole status-change log (its cost is the scan of
the log for deaths, whatever their number).

    python -m bench.deaths_adjustments [--runs 3]

Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench); leaves nothing behind. Aim (issue 19): every
report ≤ 3 s for the whole city.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics as stats
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.queries import DEFAULT_URL, RESULTS
from channels.printing import PrintFormat
from channels.staff import statistics
from domain.queries import service as queries
from domain.reports.catalogue import ROSTERS
from domain.shared import calendar
from domain.shared.actor import Actor
from hub.db import create_engine, create_session_factory
from hub.settings import Settings

_ADJUST_EVERYONE = """
    INSERT INTO pension_adjustment
        (retiree_id, batch_id, adjustment_year, amount_before, amount_after, increase, effective_month, event_id)
    SELECT id, 'BENCH-' || :year, :year, coalesce(monthly_pension, 3000), coalesce(monthly_pension, 3000) + 60, 60,
           :year || '-01', 'bench'
    FROM retiree WHERE institution_id IS NOT NULL
"""
_SCOPES = """
    (SELECT 'city' AS scope, id, path, name FROM institution WHERE parent_id IS NULL ORDER BY id LIMIT 1)
    UNION ALL
    (SELECT 'district', i.id, i.path, i.name FROM institution i JOIN institution p ON p.id = i.parent_id
     WHERE p.parent_id IS NULL ORDER BY i.id LIMIT 1)
    UNION ALL
    (SELECT 'largest community', i.id, i.path, i.name FROM institution i JOIN retiree r ON r.institution_id = i.id
     GROUP BY i.id ORDER BY count(*) DESC LIMIT 1)
"""


def _actor(institution_id: int, path: str) -> Actor:
    return Actor(name="bench", kind="staff", role="operator", institution_id=institution_id, institution_path=path)


async def _page(session: AsyncSession, actor: Actor, report: str, raw: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    page = await queries.run_page(session, actor, ROSTERS[report].query, raw, on=None, sort=None, page=1, size=20)
    return page.total, time.perf_counter() - started


async def _pdf(session: AsyncSession, actor: Actor, raw: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    response = await statistics._print_roster(session, actor, PrintFormat.PDF, ROSTERS["7.14"], raw, None, None, False)
    size = 0
    async for chunk in response.body_iterator:
        size += len(chunk)
    return size, time.perf_counter() - started


async def main(runs: int) -> None:
    settings = Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL))
    sessions = create_session_factory(create_engine(settings))
    year = calendar.today().year
    figures: dict[str, Any] = {"year": year, "runs": runs, "reports": {}}
    async with sessions() as session:
        started = time.perf_counter()
        inserted = await session.execute(text(_ADJUST_EVERYONE), {"year": year})
        adjusted = int(getattr(inserted, "rowcount", 0) or 0)
        await session.execute(text("ANALYZE pension_adjustment"))
        figures["adjusted_people"] = adjusted
        figures["setup_seconds"] = round(time.perf_counter() - started, 1)
        scopes = (await session.execute(text(_SCOPES))).all()
        for report, raw in (("7.12", {"from": "2000-01-01"}), ("7.14", {"year": str(year)})):
            for scope, node_id, path, name in scopes:
                actor = _actor(node_id, path)
                timings, total = [], 0
                for _ in range(runs):
                    total, seconds = await _page(session, actor, report, raw)
                    timings.append(seconds)
                figures["reports"][f"{report} {scope}"] = {
                    "institution": name,
                    "rows": total,
                    "p50_ms": round(stats.median(timings) * 1000),
                    "max_ms": round(max(timings) * 1000),
                }
        scope, node_id, path, name = scopes[-1]
        actor = _actor(node_id, path)
        size, seconds = await _pdf(session, actor, {"year": str(year)})
        figures["7.14 pdf largest community"] = {"seconds": round(seconds, 2), "pdf_mb": round(size / 2**20, 1)}
        await session.rollback()  # the adjustments and the print's audit entry: nothing stays
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"deaths-adjustments-{datetime.now(UTC):%Y%m%d}.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"report: {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    asyncio.run(main(parser.parse_args().runs))
