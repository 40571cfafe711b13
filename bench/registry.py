"""Registry benchmark at real scale (issues 3 and 5): load 1,000,000 synthetic retirees, then time the subtree
queries, the city-wide status lookup (6.7), the audited detail view, the nightly suspension rules (4.5) and the audit
trail's cost on a bulk job over 500,000 retirees. Prints a table and writes
bench/results/registry-<date>-<retirees>.json.

    python -m bench.registry [--retirees 1000000] [--bulk 500000] [--reuse]

Runs against its own database (HUB_BENCH_DATABASE_URL, default retiree_hub_bench), which it resets unless --reuse.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.migrate import downgrade, upgrade
from domain.audit import trail
from domain.reports import distribution as reports
from domain.retirees import service as retirees
from domain.shared.actor import Actor
from hub.db import create_engine, create_session_factory
from hub.settings import Settings
from seed.loader import load

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"n": len(ordered), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": ordered[-1] * 1000}


async def timed(sessions: Any, calls: list[Callable[[AsyncSession], Awaitable[object]]]) -> dict[str, float]:
    """Each call in its own transaction, timed from the first statement to the commit, as an API request runs."""
    samples = []
    for call in calls:
        async with sessions() as session:
            started = time.perf_counter()
            async with session.begin():
                await call(session)
            samples.append(time.perf_counter() - started)
    return percentiles(samples)


def staff(name: str, path: str, institution_id: int) -> Actor:
    return Actor(
        name=name, kind="staff", role="viewer", institution_id=institution_id, institution_path=path, source="bench"
    )


async def query_scenarios(settings: Settings, rng: random.Random) -> dict[str, dict[str, float]]:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        levels = (await session.execute(text("SELECT id, path, level FROM institution"))).all()
        by_level: dict[str, list[tuple[int, str]]] = {}
        for id_, path, level in levels:
            by_level.setdefault(level, []).append((id_, path))
        largest = (
            await session.execute(
                text(
                    "SELECT i.id, i.path, count(*) FROM retiree r JOIN institution i ON i.id = r.institution_id "
                    "GROUP BY i.id, i.path ORDER BY count(*) DESC LIMIT 1"
                )
            )
        ).one()
        sample = (
            await session.execute(
                text("SELECT id, personal_number, id_number FROM retiree ORDER BY random() LIMIT 2000")
            )
        ).all()
    city_id, city_path = by_level["city"][0]
    city = staff("bench-city", city_path, city_id)
    registered = retirees.RetireeFilter(status="registered")
    results: dict[str, dict[str, float]] = {}

    def lookup(number: str) -> Callable[[AsyncSession], Awaitable[object]]:
        return lambda s: retirees.status_anywhere(s, city, number)

    results["6.7 status lookup by personal number"] = await timed(sessions, [lookup(r[1]) for r in sample[:500]])
    results["6.7 status lookup by ID number"] = await timed(sessions, [lookup(r[2]) for r in sample[500:1000]])

    def page(actor: Actor, number: int = 1) -> Callable[[AsyncSession], Awaitable[object]]:
        return lambda s: retirees.search(s, actor, registered, page=number, size=20)

    communities = rng.sample(by_level["community"], 300)
    results["6.3 community list page (with total)"] = await timed(
        sessions, [page(staff("c", path, id_)) for id_, path in communities]
    )
    results[f"6.3 largest community list page ({largest[2]} people)"] = await timed(
        sessions, [page(staff("c", largest[1], largest[0]), rng.randint(1, 50)) for _ in range(50)]
    )
    results["6.3 street list page"] = await timed(
        sessions, [page(staff("s", path, id_), rng.randint(1, 20)) for id_, path in rng.sample(by_level["street"], 100)]
    )
    results["6.3 district list page"] = await timed(
        sessions, [page(staff("d", path, id_), rng.randint(1, 20)) for id_, path in by_level["district"] * 3]
    )
    results["6.3 city list page (every registered retiree)"] = await timed(
        sessions, [page(city, rng.randint(1, 100)) for _ in range(20)]
    )

    def distribution(actor: Actor) -> Callable[[AsyncSession], Awaitable[object]]:
        return lambda s: reports.retiree_distribution(s, actor)

    results["7.2 retiree distribution, whole city"] = await timed(sessions, [distribution(city)] * 10)
    results["7.2 retiree distribution, one district"] = await timed(
        sessions, [distribution(staff("d", path, id_)) for id_, path in by_level["district"]]
    )
    results["7.2 retiree distribution, one community"] = await timed(
        sessions, [distribution(staff("c", path, id_)) for id_, path in communities[:100]]
    )
    results["6.9 detail view (audited)"] = await timed(
        sessions, [(lambda rid: lambda s: retirees.detail(s, city, rid))(r[0]) for r in sample[1000:1500]]
    )
    await engine.dispose()
    return results


_ADJUST = text(
    "UPDATE retiree SET monthly_pension = round(monthly_pension * 1.023, 2), version = version + 1 "
    "WHERE id = ANY(:ids) RETURNING id, personal_number, monthly_pension"
)


class AuditMode(StrEnum):
    NONE = "none"
    PER_CHUNK = "per_chunk"  # what the domain's bulk jobs do: trail.record_bulk, one entry naming every retiree
    PER_RETIREE = "per_retiree"  # for reference: one chained entry per retiree changed


async def bulk_job(settings: Settings, count: int, *, audit: AuditMode, chunk: int = 5000) -> float:
    """A yearly-adjustment-like job over ``count`` retirees in chunks of ``chunk``, audited as ``audit`` says."""
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    actor = Actor(name="bench-adjustment", kind="system", role="system", source="bench")
    async with sessions() as session:
        ids = list((await session.execute(text("SELECT id FROM retiree ORDER BY id LIMIT :n"), {"n": count})).scalars())
    started = time.perf_counter()
    for offset in range(0, len(ids), chunk):
        async with sessions() as session, session.begin():
            changed = (await session.execute(_ADJUST, {"ids": ids[offset : offset + chunk]})).all()
            if audit is AuditMode.PER_CHUNK:
                await trail.record_bulk(
                    session, actor, "retiree.pension_adjusted", [r[0] for r in changed], {"factor": "1.023"}
                )
            elif audit is AuditMode.PER_RETIREE:
                records = [
                    trail.AuditRecord(
                        "retiree.pension_adjusted", retiree_id=r[0], target=r[1], detail={"new": str(r[2])}
                    )
                    for r in changed
                ]
                await trail.record_many(session, actor, records)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


async def suspension_rules(settings: Settings) -> dict[str, Any]:
    """The nightly rules of 4.5 at full scale: the first night over the seeded data (held by the brake, then the
    whole batch approved, as a city operator would after checking), then the same night again."""
    from app.jobs import RULES_ACTOR, run_suspension_rules
    from domain.dictionary.service import ensure_builtin
    from domain.suspensions import brake
    from hub.bootstrap import bootstrap
    from seed.go_live import mark_migration_complete

    hub = bootstrap(settings, consumer_groups=())
    async with hub.sessions() as session, session.begin():
        await ensure_builtin(session)
    await mark_migration_complete(settings, "bench")  # issue 17: a synthetic registry, nothing to migrate first
    approved: dict[str, Any] = {}
    try:
        first = await run_suspension_rules(hub, date.today())
        if first.batch_id is not None:  # the brake held the first night (it would, at this scale): approve it all
            started = time.perf_counter()
            async with hub.sessions() as session, session.begin():
                decision = await brake.approve(hub.unit_of_work(session, "bench"), RULES_ACTOR, first.batch_id)
            approved = {
                "approve_s": round(time.perf_counter() - started, 2),
                "approved_suspended": decision.suspended,
                "approved_skipped": decision.skipped,
            }
        second = await run_suspension_rules(hub, date.today())
    finally:
        await hub.engine.dispose()
    return {
        "first_run_s": round(first.seconds, 2),
        "first_run_suspended": {rule.value: n for rule, n in first.suspended.items()},
        "first_run_held": {rule.value: n for rule, n in first.held.items()},
        **approved,
        "second_run_s": round(second.seconds, 2),
        "second_run_suspended": sum(second.suspended.values()),
        "first_run_reminders": first.reminders,
        "second_run_reminders": second.reminders,
    }


def scalar_count(dsn: str) -> int:
    """The retirees in the database (with --reuse, what an earlier run loaded)."""
    with psycopg.connect(dsn) as connection:
        row = connection.execute("SELECT count(*) FROM retiree").fetchone()
    return int(row[0]) if row else 0


def vacuum(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) retiree")


def versions(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return {"python": platform.python_version(), "postgresql": row[0] if row else "?"}


def machine() -> dict[str, Any]:
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {"cores": os.cpu_count(), "memory_gib": round(memory_kb / 1024 / 1024, 1), "platform": platform.platform()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--retirees", type=int, default=1_000_000)
    parser.add_argument("--bulk", type=int, default=500_000, help="retirees in the audit-cost bulk job (0: skip it)")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data of an earlier run")
    args = parser.parse_args()
    settings = Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL))
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "versions": versions(settings.psycopg_dsn),
    }
    if not args.reuse:
        downgrade(settings, "base")
        upgrade(settings)
        seeded = load(settings.psycopg_dsn, retiree_count=args.retirees, demo_accounts=False)
        report["load"] = {
            "retirees": seeded.retirees,
            "registered": seeded.registered,
            "seconds": round(seeded.seconds, 1),
            "rows_per_second": round(seeded.retirees / seeded.seconds),
        }
        print(f"loaded {seeded.retirees:,} retirees ({seeded.registered:,} registered) in {seeded.seconds:.1f} s")
    report["retirees"] = scalar_count(settings.psycopg_dsn)
    rng = random.Random(7)
    report["queries"] = asyncio.run(query_scenarios(settings, rng))
    report["suspension_rules"] = rules = asyncio.run(suspension_rules(settings))
    print(
        f"4.5 rules: first night {rules['first_run_s']} s, suspended {rules['first_run_suspended']}, "
        f"held {rules['first_run_held']} (approved in {rules.get('approve_s', '-')} s: "
        f"{rules.get('approved_suspended', 0)} suspended); "
        f"same night again {rules['second_run_s']} s, suspended {rules['second_run_suspended']}; "
        f"reminders {rules['first_run_reminders']} then {rules['second_run_reminders']}"
    )
    if args.bulk <= 0:
        write_report(report)
        return
    # Alternate the variants over the same rows, vacuuming before each run, so that none pays for another's dead
    # row versions; report the mean of two runs each.
    timings: dict[AuditMode, list[float]] = {mode: [] for mode in AuditMode}
    for mode in (*AuditMode, *reversed(AuditMode)):
        vacuum(settings.psycopg_dsn)
        timings[mode].append(asyncio.run(bulk_job(settings, args.bulk, audit=mode)))
    mean = {mode: sum(runs) / len(runs) for mode, runs in timings.items()}
    print("bulk job runs (s):", {mode.value: [round(t, 2) for t in runs] for mode, runs in timings.items()})
    report["audit_overhead"] = {
        "retirees": args.bulk,
        "without_audit_s": round(mean[AuditMode.NONE], 2),
        "per_chunk_audit_s": round(mean[AuditMode.PER_CHUNK], 2),
        "per_chunk_overhead_percent": round((mean[AuditMode.PER_CHUNK] / mean[AuditMode.NONE] - 1) * 100, 1),
        "per_retiree_audit_s": round(mean[AuditMode.PER_RETIREE], 2),
        "per_retiree_overhead_percent": round((mean[AuditMode.PER_RETIREE] / mean[AuditMode.NONE] - 1) * 100, 1),
    }
    print(f"\n{'scenario':<52} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, figures in report["queries"].items():
        print(
            f"{name:<52} {figures['n']:>5} {figures['p50_ms']:>8.1f} {figures['p95_ms']:>8.1f} "
            f"{figures['p99_ms']:>8.1f} {figures['max_ms']:>8.1f}"
        )
    overhead = report["audit_overhead"]
    print(
        f"\nbulk job over {args.bulk:,} retirees: {overhead['without_audit_s']} s without audit; "
        f"{overhead['per_chunk_audit_s']} s audited per chunk (+{overhead['per_chunk_overhead_percent']}%); "
        f"{overhead['per_retiree_audit_s']} s with one per retiree (+{overhead['per_retiree_overhead_percent']}%)"
    )
    write_report(report)


def write_report(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    # The scale in the name, so that a quick small run never overwrites the figures README quotes.
    suffix = "" if "audit_overhead" in report else "-without-bulk"
    target = RESULTS / f"registry-{date.today().isoformat()}-{report['retirees']}{suffix}.json"
    target.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {target}")


if __name__ == "__main__":
    main()
