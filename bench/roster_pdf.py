"""The largest community's roster printed as PDF at 1,000,000 retirees (issue 19): 7.11 资格认证花名册 through the
channel's own printing path (the statement streamed from a server-side cursor, drawn page by page in a printing
thread, spooled, then read out as the HTTP body would be). The list is "not certified this year" when that covers
the community (the benchmark database has few certifications), else the certified ones. Prints the rows, pages'
bytes, seconds, the Python allocations' peak (tracemalloc, a second run) and the process's peak resident set.

    python -m bench.roster_pdf [--report 7.11] [--list uncertified]

Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench); reads only (the print's audit entry is rolled
back). Aim (issue 19): the 12,000-row PDF in ≤ 10 s, under 300 MB resident.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bench.queries import DEFAULT_URL, RESULTS
from channels.printing import PrintFormat
from channels.staff import statistics
from domain.queries import service as queries
from domain.reports.catalogue import ROSTERS
from domain.shared.actor import Actor
from hub.db import create_engine, create_session_factory
from hub.settings import Settings


async def _largest_community(sessions: Any) -> tuple[Any, int]:
    async with sessions() as session:
        community_id, people = (
            await session.execute(
                text(
                    "SELECT institution_id, count(*) FROM retiree WHERE institution_id IS NOT NULL "
                    "GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
                )
            )
        ).one()
        node = (
            await session.execute(text("SELECT id, path, name FROM institution WHERE id = :id"), {"id": community_id})
        ).one()
    return node, int(people)


async def _print_once(sessions: Any, actor: Actor, report: str, raw: dict[str, str]) -> tuple[int, float]:
    """One print: (bytes of the PDF, seconds from the request to the last byte)."""
    async with sessions() as session:
        started = time.perf_counter()
        response = await statistics._print_roster(
            session, actor, PrintFormat.PDF, ROSTERS[report], raw, None, None, False
        )
        size = 0
        async for chunk in response.body_iterator:
            size += len(chunk)
        seconds = time.perf_counter() - started
        await session.rollback()  # the audit entry: the benchmark only reads
    return size, seconds


async def main(report: str, listing: str) -> None:
    settings = Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL))
    sessions = create_session_factory(create_engine(settings))
    node, people = await _largest_community(sessions)
    actor = Actor(
        name="bench-roster", kind="staff", role="operator", institution_id=node.id, institution_path=node.path
    )
    raw = {"list": listing} if report == "7.11" else {}
    async with sessions() as session:
        counted = await queries.run_export(
            session, actor, ROSTERS[report].query, raw, on=None, sort=None, unmasked=False
        )
        rows = counted.total
        await session.rollback()
    size, seconds = await _print_once(sessions, actor, report, raw)
    tracemalloc.start()
    await _print_once(sessions, actor, report, raw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures = {
        "report": report,
        "parameters": raw,
        "community": node.name,
        "community_people": people,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "pdf_mb": round(size / 1024 / 1024, 1),
        "tracemalloc_peak_mb": round(peak / 1024 / 1024, 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"roster-pdf-{datetime.now(UTC):%Y%m%d}.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"report: {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", default="7.11", choices=sorted(ROSTERS))
    parser.add_argument("--list", default="uncertified", choices=("uncertified", "certified"))
    arguments = parser.parse_args()
    asyncio.run(main(arguments.report, arguments.list))
