"""Section 7 reports at 1,000,000 retirees (issue 19): every report of the catalogue
(domain.reports.catalogue.REPORTS — those added later are measured too) run through domain.reports.service.run as
the API does, by a city, a district and a community operator (the largest community and its district), today and,
for the reports that count people's state, as of a date a year back; p50/p99 of N runs each. Prints a table and
writes bench/results/reports-<date>.json.

    python -m bench.reports [--runs 5] [--only 7.8 7.15]

Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench, upgraded to head by `make bench-reports`); reads only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bench.queries import DEFAULT_URL, pct
from domain.queries.spec import FilterKind, QueryFilter
from domain.reports import service as reports
from domain.reports.catalogue import REPORTS
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import DomainError
from hub.db import create_engine, create_session_factory
from hub.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"


def required_parameters(filters: Sequence[QueryFilter], today: date, employer: str) -> dict[str, str]:
    """The value each required parameter takes (a realistic selection): its default or first choice, this month,
    this year, the last 30 days, the largest employer."""
    given: dict[str, str] = {}
    for f in filters:
        if not f.required or f.default:
            continue
        if f.kind is FilterKind.CHOICE:
            given[f.key] = f.choices[0].value
        elif f.kind is FilterKind.MONTH_DAY:
            given[f.key] = "03-01"
        elif f.kind is FilterKind.DATE:
            given[f.key] = (today - timedelta(days=30)).isoformat()
        elif f.kind is FilterKind.YEAR:
            given[f.key] = str(today.year)
        elif f.kind is FilterKind.MONTH:
            given[f.key] = f"{today:%Y-%m}"
        else:
            given[f.key] = employer
    return given


async def main(runs: int, only: set[str]) -> None:
    settings = Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL))
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    today = calendar.today()
    year_back = today - timedelta(days=365)
    async with sessions() as session:
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
        retirees = (await session.execute(text("SELECT count(*) FROM retiree"))).scalar_one()
        employer = (
            await session.execute(
                text(
                    "SELECT employer_code FROM retiree WHERE employer_code IS NOT NULL "
                    "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
                )
            )
        ).scalar_one_or_none() or ""
    scopes = {"community": community, "district": district, "city": city}
    print(
        f"{retirees} retirees; community {community.name} ({people}), district {district.name}; "
        f"today {today}, as of {year_back}; {runs} runs each; {len(REPORTS)} reports"
    )
    rows: list[dict[str, Any]] = []
    for report_id, spec in REPORTS.items():
        if only and report_id not in only:
            continue
        for scope_name, node in scopes.items():
            actor = Actor(
                name="bench-reports",
                kind="staff",
                role="operator",
                institution_id=node.id,
                institution_path=node.path,
                source="bench",
            )
            for on in (None, year_back) if spec.as_of else (None,):
                samples: list[float] = []
                lines = 0
                failed = ""
                for _ in range(runs):
                    async with sessions() as session:
                        started = time.perf_counter()
                        try:
                            async with session.begin():
                                result = await reports.run(
                                    session, actor, report_id, required_parameters(spec.filters, today, employer), on
                                )
                        except DomainError as refused:  # e.g. a report a level may not ask
                            failed = f"{refused.code}: {refused.message}"
                            break
                        except DBAPIError as broken:  # e.g. the database is behind the report's migration
                            failed = str(broken.orig).splitlines()[0]
                            break
                        samples.append(time.perf_counter() - started)
                        lines = len(result.rows)
                if failed:
                    print(f"{report_id:>5} {scope_name:<10} refused: {failed}", flush=True)
                    rows.append({"report": report_id, "scope": scope_name, "refused": failed})
                    continue
                r = {
                    "report": report_id,
                    "title": spec.title,
                    "scope": scope_name,
                    "on": "today" if on is None else str(on),
                    "rows": lines,
                    "p50_ms": round(pct(samples, 0.5), 1),
                    "p99_ms": round(pct(samples, 0.99), 1),
                }
                rows.append(r)
                print(
                    f"{r['report']:>5} {r['scope']:<10} {r['on']:<10} rows {r['rows']:>6}  "
                    f"p50 {r['p50_ms']:>8.1f} ms  p99 {r['p99_ms']:>8.1f} ms",
                    flush=True,
                )
    await engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"reports-{datetime.now(UTC):%Y%m%d-%H%M}.json"
    out.write_text(json.dumps({"retirees": retirees, "reports": rows}, ensure_ascii=False, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=[], help="these reports only (7.8 7.15 …)")
    args = parser.parse_args()
    asyncio.run(main(args.runs, set(args.only)))
