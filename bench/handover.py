"""Archive hand-over benchmark (3.1 - 3.3) at real scale: in the bench database (1,000,000 seeded retirees), a
1,000-person batch of the largest employer drafted, submitted and received through the domain service, the
employer's summary and not-handed-over page, and the batch's roster (3.2) rendered as PDF and XLSX with its rows
streamed from the database. For each step: the time, the SQL statements sent (the bulk steps are set-based: one
statement inserts the 1,000 people, one receives them), and the peak of Python allocations (tracemalloc, a second
pass); the process's peak resident set (ru_maxrss) at the end.

Everything runs in one transaction per pass that is rolled back: the bench database is left as it was.

    python -m bench.handover [--people 1000]

Prints a table and writes bench/results/handover-<date>-<people>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from channels.printing import PrintedDocument, PrintFormat
from channels.printing.response import render
from channels.staff.handovers import ROSTER_COLUMNS
from domain.handover import queries
from domain.handover import service as handovers
from domain.handover.models import ArchiveItem, Discrepancy, ReceiptResult
from domain.handover.rules import PersonItems, PersonResult, Voucher
from domain.shared.actor import Actor
from hub.db import create_engine, create_session_factory
from hub.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"
ITEMS = (ArchiveItem.RETIREMENT_APPROVAL, ArchiveItem.PERSONNEL_FILE, ArchiveItem.WAGE_RELATION)


class Statements:
    """Counts the SQL statements the engine sends (round trips), per step."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1


async def _setting(session: AsyncSession, people: int) -> tuple[Actor, int, str, int, list[int]]:
    city_id, city_path = (
        await session.execute(text("SELECT id, path FROM institution WHERE level = 'city' ORDER BY id LIMIT 1"))
    ).one()
    agency_id = (
        await session.execute(
            text("SELECT id FROM institution WHERE level = 'district' AND active ORDER BY id LIMIT 1")
        )
    ).scalar_one()
    employer_id, code = (
        await session.execute(
            text(
                "SELECT e.id, e.code FROM employer e JOIN retiree r ON r.employer_code = e.code "
                "GROUP BY e.id, e.code ORDER BY count(*) DESC LIMIT 1"
            )
        )
    ).one()
    ids = (
        await session.execute(
            text(
                "SELECT r.id FROM retiree r WHERE r.employer_code = :code AND r.status <> 'moved_away' "
                "AND NOT EXISTS (SELECT 1 FROM archive_custody c WHERE c.retiree_id = r.id) "
                "AND NOT EXISTS (SELECT 1 FROM archive_handover_person p WHERE p.retiree_id = r.id AND p.open) "
                "ORDER BY r.id LIMIT :n"
            ),
            {"code": code, "n": people},
        )
    ).scalars()
    actor = Actor(
        name="bench-handover",
        kind="staff",
        role="operator",
        institution_id=city_id,
        institution_path=city_path,
        source="bench",
    )
    return actor, employer_id, code, agency_id, list(ids)


async def _pass(settings: Settings, people: int, *, trace: bool) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    engine = create_engine(settings)
    counter = Statements()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    sessions = create_session_factory(engine)
    steps: dict[str, dict[str, float]] = {}
    facts: dict[str, Any] = {}
    async with sessions() as session:
        transaction = await session.begin()
        try:
            actor, employer_id, code, agency_id, ids = await _setting(session, people)
            facts.update(employer=code, people=len(ids))
            batch_id = 0

            async def step(name: str, call: Callable[[], Awaitable[object]]) -> object:
                if trace:
                    tracemalloc.reset_peak()
                before = counter.count
                started = time.perf_counter()
                result = await call()
                seconds = time.perf_counter() - started
                entry = {"seconds": round(seconds, 3), "statements": counter.count - before}
                if trace:
                    entry = {"tracemalloc_peak_mb": round(tracemalloc.get_traced_memory()[1] / 1024 / 1024, 1)}
                steps[name] = entry
                return result

            chosen = [PersonItems(i, ITEMS, 1 + i % 2) for i in ids]
            voucher = Voucher("JF-BENCH-0001", Decimal("25000.00"), date.today())
            batch = await step(
                "3.1 draft (1 batch)",
                lambda: handovers.draft(
                    session, actor, employer_id=employer_id, agency_id=agency_id, voucher=voucher, people=chosen
                ),
            )
            batch_id = getattr(batch, "id", 0)
            await step("3.1 submit", lambda: handovers.submit(session, actor, batch_id))
            results = [
                PersonResult(i, ReceiptResult.DISCREPANCY, Discrepancy.MATERIALS_INCOMPLETE, "缺工资关系")
                if n % 50 == 0
                else PersonResult(i, ReceiptResult.RECEIVED)
                for n, i in enumerate(ids)
            ]
            await step("3.3 receive", lambda: handovers.receive(session, actor, batch_id, results=results))
            summary = await step("3.1 employer summary", lambda: queries.summary(session, actor, code))
            facts["summary"] = summary.__dict__ if summary is not None else None
            await step("3.1 not handed over (page 1)", lambda: queries.not_handed_over(session, actor, code))
            for fmt in PrintFormat:

                async def roster(fmt: PrintFormat = fmt) -> int:
                    document = PrintedDocument(
                        title="退休人员档案移交花名册",
                        institution="bench",
                        data_as_of=date.today(),
                        columns=ROSTER_COLUMNS,
                        landscape=True,
                        subtitle=f"移交批次 bench · 缴费凭证 {voucher.number}",
                        footer_lines=("移交单位经办人：　　接收经办机构经办人：　　日期：",),
                    )
                    with tempfile.TemporaryFile() as out:
                        await render(
                            fmt,
                            document,
                            queries.roster_rows(session, batch_id),
                            total_rows=len(ids),
                            printed_by="bench",
                            printed_at=datetime.now(UTC),
                            out=out,
                        )
                        return out.tell()

                size = await step(f"3.2 roster {fmt.value}", roster)
                facts[f"roster_{fmt.value}_bytes"] = size
        finally:
            await transaction.rollback()
    await engine.dispose()
    return steps, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1000)
    args = parser.parse_args()
    settings = Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL))
    timed, facts = asyncio.run(_pass(settings, args.people, trace=False))
    tracemalloc.start()
    traced, _ = asyncio.run(_pass(settings, args.people, trace=True))
    tracemalloc.stop()
    max_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    steps = {name: {**timed[name], **traced.get(name, {})} for name in timed}
    print(f"employer {facts['employer']}: {facts['people']} people; summary after receipt {facts['summary']}")
    print(f"{'step':<32} {'seconds':>8} {'statements':>11} {'tracemalloc':>12}")
    for name, s in steps.items():
        print(f"{name:<32} {s['seconds']:>8} {s['statements']:>11} {s.get('tracemalloc_peak_mb', '-'):>9} MB")
    pdf, xlsx = facts["roster_pdf_bytes"], facts["roster_xlsx_bytes"]
    print(f"roster: PDF {pdf:,} bytes, XLSX {xlsx:,} bytes; ru_maxrss {max_rss_mb} MB")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"handover-{date.today().isoformat()}-{args.people}.json"
    machine = {"python": platform.python_version(), "machine": platform.machine(), "processor": platform.processor()}
    report = {"machine": machine, "facts": facts, "steps": steps, "max_rss_mb": max_rss_mb}
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"written {path.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
