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
from functools import partial
from typing import Any

from bench.support import DEFAULT_URL, RESULTS, Scopes, operator, required_filters, scopes, timed
from channels.printing.document import PrintColumn, PrintedDocument
from channels.printing.xlsx import render_xlsx
from channels.staff.queries import _ALIGN, _cells
from domain.queries import service as queries
from domain.queries.catalogue import QUERIES
from domain.shared import calendar
from domain.shared.actor import Actor
from hub.db import create_engine, create_session_factory
from hub.settings import Settings


async def first_page(sessions: Any, actor: Actor, query: str, raw: dict[str, str], on: date | None) -> int:
    """The first page of 20 as the API asks it (count and page); the total."""
    async with sessions() as session, session.begin():
        page = await queries.run_page(session, actor, query, raw, on=on, sort=None, page=1, size=20)
    return page.total


async def main(runs: int, export: bool, only: set[str]) -> None:
    settings = Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL))
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    today = calendar.today()
    year_back = today - timedelta(days=365)
    async with sessions() as session:
        where: Scopes = await scopes(session)
    retirees = where.retirees
    print(f"{retirees} retirees; today {today}, as of {year_back}; {runs} runs each; first page of 20 rows")
    rows: list[dict[str, Any]] = []
    for query_id, spec in QUERIES.items():
        if only and query_id not in only:
            continue
        raw = required_filters(spec.filters, today, where.employer)
        for scope_name, node in where.nodes().items():
            actor = operator(node, "bench-queries")
            for on in (None, year_back) if spec.as_of else (None,):
                measured = await timed(runs, partial(first_page, sessions, actor, query_id, raw, on))
                if measured.refused:
                    print(f"{query_id:>5} {scope_name:<10} refused: {measured.refused}", flush=True)
                    rows.append({"query": query_id, "scope": scope_name, "refused": measured.refused})
                    continue
                r = {"query": query_id, "scope": scope_name, "on": "today" if on is None else str(on)}
                r.update(measured.figures())
                r["total"] = r.pop("rows")
                rows.append(r)
                print(
                    f"{r['query']:>5} {r['scope']:<10} {r['on']:<10} total {r['total']:>8}  "
                    f"p50 {r['p50_ms']:>8.1f} ms  p99 {r['p99_ms']:>8.1f} ms",
                    flush=True,
                )
    scopes_named = {
        f"community ({where.community.name}, {where.people})": where.community,
        f"district ({where.district.name})": where.district,
        "city": where.city,
    }
    city = where.city
    figures: dict[str, Any] = {"retirees": retirees, "pages": rows, "scopes": list(scopes_named)}
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
    actor = operator(city, "bench-queries")
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
