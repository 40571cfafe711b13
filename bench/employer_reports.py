"""Reports 7.1 (business by employer), 7.3 (archive storage), 7.6 (employer head counts) and 7.7 (registered per
employer) at 1,000,000 retirees (issue 19): p50/p99 of N runs each through the domain service, for the largest
community, its district and the whole city, today and (7.3, 7.6, 7.7) as of a date a year back. Prints a table and
writes bench/results/employer-reports-<date>.json.

    python -m bench.employer_reports [--runs 5]

Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench); reads only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import text

from bench.queries import DEFAULT_URL, RESULTS, pct
from bench.special_reports import _actor, _report, _scopes, _timed
from domain.reports import service as reports
from domain.shared import calendar
from hub.db import create_engine, create_session_factory
from hub.settings import Settings

REPORTS = ("7.1", "7.3", "7.6", "7.7")


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
        cases = [(r, on) for r in REPORTS for on in ((None, year_back) if reports.spec_of(r).as_of else (None,))]
        for report_id, on in cases:
            samples = await _timed(sessions, runs, partial(_report, actor, report_id, on))
            row = {
                "report": report_id,
                "scope": scope,
                "on": (on or today).isoformat(),
                "p50_ms": round(pct(samples, 0.5)),
                "p99_ms": round(pct(samples, 0.99)),
            }
            rows.append(row)
            print(f"| {report_id} | {scope} | {row['on']} | {row['p50_ms']} | {row['p99_ms']} |")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"employer-reports-{datetime.now(UTC):%Y%m%d}.json"
    out.write_text(
        json.dumps({"retirees": retirees, "runs": runs, "reports": rows}, ensure_ascii=False, indent=2) + "\n"
    )
    print(f"report: {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
