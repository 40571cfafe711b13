"""Section 7 at 1,000,000 retirees (issue 19), the one report benchmark. For the largest community, its district and
the whole city, today and — where the report may be asked as of a date — a year back, p50/p99 of N runs of:

- every summary report of the catalogue (domain.reports.catalogue.REPORTS, those added later too) through
  domain.reports.service.run, as the API does;
- every roster (ROSTERS: 7.9, 7.11, 7.12, 7.14, …): the first page of 20 through the queries' service (count and
  page), as `GET /api/v1/reports/{7.x}/rows` asks it; 7.11 lists those not certified this year (the benchmark
  database has few certifications), 7.12 deaths since 2000;
- 7.2 the retiree distribution (domain.reports.distribution) and 7.10 one retiree's base-info sheet, gathered and
  drawn (a different retiree each run, by a city operator);
- 7.14 with data: inside one transaction, rolled back at the end, every registered retiree gets this year's
  adjustment (one batch effective in January, as the yearly burst leaves it), then the 7.14 pages and the largest
  community's 7.14 sheet printed as PDF through the channel (seconds, size);
- the largest community's 7.11 roster printed as PDF through the channel's printing path (streamed from a server-side
  cursor, drawn in a printing thread, spooled, read out as the HTTP body would be), in a child process of its own so
  that its memory is its own: seconds, size, tracemalloc peak (a second print) and ru_maxrss. Aim: the ~12,000-row
  PDF in ≤ 10 s, under 300 MB.

Prints one table and writes bench/results/reports-<date>.json.

    python -m bench.reports [--runs 5] [--only 7.8 7.14] [--no-pdf]
    python -m bench.reports --pdf-only              # the roster PDF alone (`make bench-reports BENCH_ARGS=--pdf-only`)

Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench, upgraded to head by `make bench-reports`); leaves
nothing behind (the adjustments, the prints' and sheets' audit entries are rolled back).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.support import DEFAULT_URL, RESULTS, ROOT, Timed, operator, required_filters, scopes, timed
from channels.printing import PrintFormat
from channels.staff import retiree_sheet, statistics
from domain.queries import service as queries
from domain.reports import distribution
from domain.reports import service as reports
from domain.reports.catalogue import REPORTS, ROSTERS
from domain.shared import calendar
from domain.shared.actor import Actor
from hub.db import create_engine, create_session_factory
from hub.settings import Settings

ACTOR = "bench-reports"
PDF_ROSTER, PDF_PARAMETERS = "7.11", {"list": "uncertified"}
ADJUSTED = "7.14"  # the roster measured inside the adjustment transaction
_ADJUST_EVERYONE = """
    INSERT INTO pension_adjustment
        (retiree_id, batch_id, adjustment_year, amount_before, amount_after, increase, effective_month, event_id)
    SELECT id, 'BENCH-' || :year, :year, coalesce(monthly_pension, 3000), coalesce(monthly_pension, 3000) + 60, 60,
           :year || '-01', 'bench'
    FROM retiree WHERE institution_id IS NOT NULL
"""


def roster_parameters(report: str, today: date) -> dict[str, str]:
    """A roster's parameters in the benchmark: a realistic, not tiny, list."""
    return {"7.11": PDF_PARAMETERS, "7.12": {"from": "2000-01-01"}, "7.14": {"year": str(today.year)}}.get(report, {})


Work = Callable[[AsyncSession], Awaitable[int]]


async def fresh(sessions: Any, work: Work) -> int:
    """``work`` in a session and transaction of its own, as one API request."""
    async with sessions() as session, session.begin():
        return await work(session)


async def summary(actor: Actor, report: str, raw: dict[str, str], on: date | None, session: AsyncSession) -> int:
    return len((await reports.run(session, actor, report, raw, on)).rows)


async def roster_page(actor: Actor, report: str, raw: dict[str, str], on: date | None, session: AsyncSession) -> int:
    page = await queries.run_page(session, actor, ROSTERS[report].query, raw, on=on, sort=None, page=1, size=20)
    return page.total


async def retiree_distribution(actor: Actor, on: date | None, session: AsyncSession) -> int:
    return (await distribution.retiree_distribution(session, actor, on)).total.total


async def sheet(sessions: Any, actor: Actor, retirees: Iterator[int]) -> int:
    """One retiree's 7.10 sheet gathered and drawn; its PDF's bytes (the audit entry rolled back)."""
    async with sessions() as session:
        _, gathered = await retiree_sheet._sheet(session, actor, next(retirees), unmasked=False)
        size = len(retiree_sheet.draw(gathered))
        await session.rollback()
    return size


async def print_roster(session: AsyncSession, actor: Actor, report: str, raw: dict[str, str]) -> tuple[int, float]:
    """The whole roster printed as PDF through the channel: (bytes, seconds from the request to the last byte)."""
    started = time.perf_counter()
    response = await statistics._print_roster(session, actor, PrintFormat.PDF, ROSTERS[report], raw, None, None, False)
    size = 0
    async for chunk in response.body_iterator:
        size += len(chunk)
    return size, time.perf_counter() - started


@dataclass
class Table:
    """The figures, printed as they come: one line each."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def header(self) -> None:
        print("| item | scope | date | rows | p50 ms | p99 ms |\n|---|---|---|---|---|---|", flush=True)

    def add(self, item: str, scope: str, on: date | None, measured: Timed) -> None:
        row = {"item": item, "scope": scope, "on": "today" if on is None else on.isoformat(), **measured.figures()}
        self.rows.append(row)
        if measured.refused:
            print(f"| {item} | {scope} | {row['on']} | refused: {measured.refused} | | |", flush=True)
        else:
            print(f"| {item} | {scope} | {row['on']} | {row['rows']} | {row['p50_ms']} | {row['p99_ms']} |", flush=True)


async def pdf_only() -> dict[str, Any]:
    """The largest community's 7.11 roster as PDF, twice: timed, then under tracemalloc."""
    sessions = create_session_factory(create_engine(Settings(database_url=database_url())))
    async with sessions() as session:
        where = await scopes(session)
    actor = operator(where.community, ACTOR)
    async with sessions() as session:
        size, seconds = await print_roster(session, actor, PDF_ROSTER, PDF_PARAMETERS)
        rows = await roster_page(actor, PDF_ROSTER, PDF_PARAMETERS, None, session)
        await session.rollback()  # the print's audit entry
    tracemalloc.start()
    async with sessions() as session:
        await print_roster(session, actor, PDF_ROSTER, PDF_PARAMETERS)
        await session.rollback()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "report": PDF_ROSTER,
        "parameters": PDF_PARAMETERS,
        "community": where.community.name,
        "rows": rows,
        "seconds": round(seconds, 2),
        "pdf_mb": round(size / 2**20, 1),
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def pdf_in_child() -> dict[str, Any]:
    """``pdf_only`` in a process of its own (its ru_maxrss is the print's, not this benchmark's): its figures."""
    child = subprocess.run(
        [sys.executable, "-m", "bench.reports", "--pdf-only", "--no-write"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def database_url() -> str:
    return os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL)


async def main(runs: int, only: set[str], pdf: bool) -> dict[str, Any]:
    engine = create_engine(Settings(database_url=database_url()))
    sessions = create_session_factory(engine)
    today = calendar.today()
    year_back = today - timedelta(days=365)
    async with sessions() as session:
        where = await scopes(session)
        first_ids = (await session.execute(text("SELECT id FROM retiree ORDER BY id LIMIT :n"), {"n": runs})).scalars()
        retirees = iter(list(first_ids))
    print(
        f"{where.retirees} retirees; community {where.community.name} ({where.people}), district "
        f"{where.district.name}; today {today}, as of {year_back}; {runs} runs each\n"
    )
    table = Table()
    table.header()

    def wanted(item: str) -> bool:
        return not only or item in only

    for scope, node in where.nodes().items():
        actor = operator(node, ACTOR)
        for report, spec in REPORTS.items():
            if not wanted(report):
                continue
            raw = required_filters(spec.filters, today, where.employer)
            for on in (None, year_back) if spec.as_of else (None,):
                work = partial(summary, actor, report, raw, on)
                table.add(report, scope, on, await timed(runs, partial(fresh, sessions, work)))
        for report, roster in ROSTERS.items():
            if report == ADJUSTED or not wanted(report):
                continue
            raw = roster_parameters(report, today)
            for on in (None, year_back) if queries.spec_of(roster.query).as_of else (None,):
                work = partial(roster_page, actor, report, raw, on)
                table.add(report, scope, on, await timed(runs, partial(fresh, sessions, work)))
        if wanted("7.2"):
            for on in (None, year_back):
                work = partial(retiree_distribution, actor, on)
                table.add("7.2", scope, on, await timed(runs, partial(fresh, sessions, work)))
    if wanted("7.10"):
        city = operator(where.city, ACTOR)
        table.add("7.10 sheet (PDF bytes)", "city", None, await timed(runs, partial(sheet, sessions, city, retirees)))
    figures: dict[str, Any] = {"retirees": where.retirees, "runs": runs, "community_people": where.people}
    if wanted(ADJUSTED):
        async with sessions() as adjusted:  # one transaction, rolled back: the adjustments and the print's audit
            started = time.perf_counter()
            inserted = await adjusted.execute(text(_ADJUST_EVERYONE), {"year": today.year})
            await adjusted.execute(text("ANALYZE pension_adjustment"))
            figures["adjustment_setup"] = {
                "people": int(getattr(inserted, "rowcount", 0) or 0),
                "seconds": round(time.perf_counter() - started, 1),
            }
            raw = roster_parameters(ADJUSTED, today)
            for scope, node in where.nodes().items():
                work = partial(roster_page, operator(node, ACTOR), ADJUSTED, raw, None)
                table.add(ADJUSTED, scope, None, await timed(runs, partial(work, adjusted)))
            size, seconds = await print_roster(adjusted, operator(where.community, ACTOR), ADJUSTED, raw)
            figures["pdf_7_14_community"] = {"seconds": round(seconds, 2), "pdf_mb": round(size / 2**20, 1)}
            print(f"| 7.14 PDF | community | today | {size} bytes | {seconds * 1000:.0f} | {seconds * 1000:.0f} |")
            await adjusted.rollback()
    await engine.dispose()
    if pdf and wanted(PDF_ROSTER):
        printed = await asyncio.to_thread(pdf_in_child)
        figures["pdf_7_11_community"] = printed
        print(
            f"| 7.11 PDF (own process) | community | today | {printed['rows']} | {printed['seconds'] * 1000:.0f} | "
            f"{printed['seconds'] * 1000:.0f} |\n\n7.11 PDF: {printed['pdf_mb']} MB, tracemalloc peak "
            f"{printed['tracemalloc_peak_mb']} MB, ru_maxrss {printed['ru_maxrss_mb']} MB"
        )
    if "adjustment_setup" in figures:
        setup = figures["adjustment_setup"]
        print(f"7.14 setup: {setup['people']} people adjusted in {setup['seconds']} s (rolled back)")
    figures["figures"] = table.rows
    return figures


def write(figures: dict[str, Any], name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}-{datetime.now(UTC):%Y%m%d-%H%M}.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=[], help="these reports only (7.8 7.14 7.2 7.10 …)")
    parser.add_argument("--no-pdf", action="store_true", help="without the 7.11 roster PDF")
    parser.add_argument("--pdf-only", action="store_true", help="only the 7.11 roster PDF, in this process")
    parser.add_argument("--no-write", action="store_true", help=argparse.SUPPRESS)  # the child's: its figures printed
    args = parser.parse_args()
    if args.pdf_only:
        printed = asyncio.run(pdf_only())
        if not args.no_write:
            write(printed, "reports-pdf")
        print(json.dumps(printed, ensure_ascii=False))
    else:
        write(asyncio.run(main(args.runs, set(args.only), not args.no_pdf)), "reports")
