"""Section 6 queries at 1,000,000 retirees (issue 18): the first page (20 rows, default sort) of every catalogued
query for the largest community, its district and the whole city, today and as of a date a year back (the queries
that describe people's state), p50/p99 of 10 runs each through the domain service (count + page, as the API does);
then the city-wide 6.3 XLSX export through the service and channels/printing's renderer (time, rows, file size,
peak RSS of this process). Prints a table and writes bench/results/queries-<date>.json.

    python -m bench.queries [--runs 10] [--no-export]

Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench, upgraded to head by `make bench-queries`); reads only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from channels.printing.document import PrintColumn, PrintedDocument
from channels.printing.xlsx import render_xlsx
from channels.staff.queries import _ALIGN, _cells
from domain.queries import service as queries
from domain.queries.catalogue import QUERIES
from domain.queries.spec import FilterKind, QuerySpec
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import DomainError
from hub.db import create_engine, create_session_factory
from hub.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"


def required_filters(spec: QuerySpec, today: date, employer: str) -> dict[str, str]:
    """The value each required filter takes in the benchmark (a realistic, not tiny, selection): its default or
    first choice, a week of birthdays, the last 30 days, the largest employer."""
    given: dict[str, str] = {}
    for f in spec.filters:
        if not f.required or f.default:
            continue
        if f.kind is FilterKind.CHOICE:
            given[f.key] = f.choices[0].value
        elif f.kind is FilterKind.MONTH_DAY:
            given[f.key] = "03-01"
            if spec.filter("to"):
                given["to"] = "03-07"
        elif f.kind is FilterKind.DATE:
            given[f.key] = (today - timedelta(days=30)).isoformat()
        elif f.kind is FilterKind.YEAR:
            given[f.key] = str(today.year)
        elif f.kind is FilterKind.MONTH:
            given[f.key] = f"{today:%Y-%m}"
        else:
            given[f.key] = employer
    return given


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def main(runs: int, export: bool, only: set[str]) -> None:
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
    scopes = {
        f"community ({community.name}, {people})": community,
        f"district ({district.name})": district,
        "city": city,
    }
    print(f"{retirees} retirees; today {today}, as of {year_back}; {runs} runs each; first page of 20 rows")
    rows: list[dict[str, Any]] = []
    for query_id, spec in QUERIES.items():
        if only and query_id not in only:
            continue
        for scope_name, node in scopes.items():
            actor = Actor(
                name="bench-queries",
                kind="staff",
                role="operator",
                institution_id=node.id,
                institution_path=node.path,
                source="bench",
            )
            for on in (None, year_back) if spec.as_of else (None,):
                samples: list[float] = []
                total = 0
                failed = ""
                for _ in range(runs):
                    async with sessions() as session:
                        started = time.perf_counter()
                        try:
                            async with session.begin():
                                page = await queries.run_page(
                                    session,
                                    actor,
                                    query_id,
                                    required_filters(spec, today, employer),
                                    on=on,
                                    sort=None,
                                    page=1,
                                    size=20,
                                )
                        except DomainError as refused:  # e.g. a query a level may not ask
                            failed = f"{refused.code}: {refused.message}"
                            break
                        except DBAPIError as broken:  # e.g. the database is behind the query's migration
                            failed = str(broken.orig).splitlines()[0]
                            break
                        samples.append(time.perf_counter() - started)
                        total = page.total
                if failed:
                    print(f"{query_id:>5} {scope_name.split(' ')[0]:<10} refused: {failed}", flush=True)
                    rows.append({"query": query_id, "scope": scope_name.split(" ")[0], "refused": failed})
                    continue
                rows.append(
                    {
                        "query": query_id,
                        "scope": scope_name.split(" ")[0],
                        "on": "today" if on is None else str(on),
                        "total": total,
                        "p50_ms": round(pct(samples, 0.5), 1),
                        "p99_ms": round(pct(samples, 0.99), 1),
                    }
                )
                r = rows[-1]
                print(
                    f"{r['query']:>5} {r['scope']:<10} {r['on']:<10} total {r['total']:>8}  "
                    f"p50 {r['p50_ms']:>8.1f} ms  p99 {r['p99_ms']:>8.1f} ms",
                    flush=True,
                )
    figures: dict[str, Any] = {"retirees": retirees, "pages": rows, "scopes": list(scopes)}
    if export:
        figures["export_6_3_city"] = await export_city(sessions, city)
        print("6.3 city-wide XLSX export:", figures["export_6_3_city"])
    await engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"queries-{datetime.now(UTC):%Y%m%d-%H%M}.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    print(f"written {out}")


async def export_city(sessions: Any, city: Any) -> dict[str, Any]:
    """The city-wide 6.3 export: the service's streamed rows rendered by channels/printing's XLSX renderer into a
    temporary file, as the API's export does (without HTTP and the audit entry)."""
    actor = Actor(
        name="bench-queries",
        kind="staff",
        role="operator",
        institution_id=city.id,
        institution_path=city.path,
        source="bench",
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        result = await queries.run_export(session, actor, "6.3", {}, on=None, sort=None, unmasked=False)
        spec = result.spec
        document = PrintedDocument(
            title=f"{spec.id} {spec.title}",
            institution=city.name,
            data_as_of=result.context.on,
            columns=(
                PrintColumn("序号", 12, "center"),
                *(PrintColumn(c.label, c.width, _ALIGN.get(c.kind, "left")) for c in spec.columns),
            ),
            landscape=True,
        )
        with tempfile.TemporaryFile() as out:
            await render_xlsx(
                document, _cells(spec, result.rows), printed_by="bench", printed_at=datetime.now(UTC), out=out
            )
            size = out.tell()
    seconds = time.perf_counter() - started
    return {
        "rows": result.total,
        "seconds": round(seconds, 1),
        "rows_per_s": round(result.total / seconds),
        "file_mib": round(size / 2**20, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mib": round(rss_before, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--only", nargs="*", default=[], help="these queries only (6.3 6.4 …)")
    args = parser.parse_args()
    asyncio.run(main(args.runs, not args.no_export, set(args.only)))
