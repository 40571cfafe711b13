"""The hub benchmark (issue 6): the real processes, the provincial simulator, Kafka and PostgreSQL on this machine.

    python -m bench.hub [--retirees 1000000] [--adjustments 565000] [--rate 200] [--steady-seconds 180]
                        [--outage 30] [--skip-queries]

Scenarios (each figure printed and written to bench/results/hub-<date>-<retirees>.json with the machine and the
versions):
1. full resync: N retirees read from the provincial simulator (SOAP change feed) by `hub provincial poll`, through
   Kafka, into the registry by `hub worker --group registry`; and the raw floor: the same events read from Kafka by a
   bare aiokafka consumer and written with COPY, with no validation or idempotency;
2. steady mixed load (bench/steady.py): provincial changes, provincial certifications, signed face-recognition
   results and staff suspensions at --rate events/s through every process of the exchange; latency per flow to the
   push's acknowledgement, by the hub's histogram and by timestamps;
3. yearly adjustment burst: M pension adjustments (2.5) appended to the platform's feed at once, until every one is
   applied and the registry group's lag is 0;
4. queries at N: the registry benchmark's query scenarios (6.7, 6.3) and the nightly rules (bench/registry.py);
5. recovery (bench/steady.py): the broker stopped for --outage seconds under the steady load; the time from its
   return until the consumers have caught up and every push has arrived;
6. memory: the resident memory of every process, sampled each second during 1, 2 and 3.

Runs in its own namespace: the database HUB_BENCH_DATABASE_URL (default retiree_hub_bench, reset), the simulator's
database provincial_sim_bench (reset) and the Kafka topics `bench.*` (deleted and created again), so it never
touches `make run`'s or the test suite's data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from app.bootstrap import bootstrap_application
from app.migrate import downgrade, upgrade
from bench import steady
from bench.support import (
    RESULTS,
    ROOT,
    MemorySampler,
    Processes,
    free_port,
    group_lag,
    machine,
    pids_of,
    versions,
    wait_for,
    wait_for_count,
)
from hub.kafka_admin import ensure_topics
from hub.settings import Settings
from simulators.provincial.store import Store

HUB_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"
SIMULATOR_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/provincial_sim_bench"
PREFIX = "bench."
SEED_CHUNK = 20_000


# -- setup ---------------------------------------------------------------------------------------------------------


async def fresh_topics(settings: Settings) -> None:
    """Delete the bench namespace's topics and create them again: no earlier run's events are left to consume."""
    hub = bootstrap_application(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = [name for name in await admin.list_topics() if name.startswith(PREFIX)]
        if existing:
            await admin.delete_topics(existing)
            for _ in range(60):  # deletion is asynchronous on the broker
                if not {name for name in await admin.list_topics() if name.startswith(PREFIX)}:
                    break
                await asyncio.sleep(1)
    finally:
        await admin.close()
    await ensure_topics(settings.kafka_bootstrap_servers, hub.catalog, 1)
    await hub.engine.dispose()


async def seed_platform(retirees: int) -> float:
    """The simulator's database with ``retirees`` NEW_RETIREE change records (generated in chunks)."""
    store = Store(SIMULATOR_URL, pool_size=2)
    started = time.perf_counter()
    try:
        await store.create()
        await store.reset(1)
        rng = random.Random(2026)
        done = 0
        while done < retirees:
            count = min(SEED_CHUNK, retirees - done)
            await store.generate_changes(rng, count, ["NEW_RETIREE"])
            done += count
            print(f"  platform: {done:,} retirees", flush=True)
    finally:
        await store.engine.dispose()
    return time.perf_counter() - started


async def append_adjustments(count: int, retirees: list[str]) -> float:
    store = Store(SIMULATOR_URL, pool_size=2)
    started = time.perf_counter()
    try:
        rng = random.Random(565)
        for first in range(0, count, SEED_CHUNK):
            people = retirees[first : first + SEED_CHUNK]
            await store.generate_changes(rng, len(people), ["ADJUSTMENT"], people)
    finally:
        await store.engine.dispose()
    return time.perf_counter() - started


# -- the raw floor -------------------------------------------------------------------------------------------------


async def raw_floor(settings: Settings, topic: str, expected: int) -> dict[str, Any]:
    """The same events with a bare aiokafka consumer, written with COPY in batches: no schema validation, no
    idempotency, no domain rules — what the hardware allows for moving them from Kafka into PostgreSQL."""
    with psycopg.connect(settings.psycopg_dsn, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_floor_event")
        connection.execute("CREATE TABLE bench_floor_event (event_key text, payload jsonb)")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"bench-floor-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    written = 0
    started = time.perf_counter()
    try:
        async with await psycopg.AsyncConnection.connect(settings.psycopg_dsn) as connection:
            while written < expected:
                batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                records = [record for batch in batches.values() for record in batch]
                if not records:
                    continue
                async with (
                    connection.cursor() as cursor,
                    cursor.copy("COPY bench_floor_event (event_key, payload) FROM STDIN") as copy,
                ):
                    for record in records:
                        key = record.key.decode() if record.key else ""
                        await copy.write_row((key, (record.value or b"{}").decode()))
                await connection.commit()
                await consumer.commit()
                written += len(records)
    finally:
        await consumer.stop()
    seconds = time.perf_counter() - started
    return {"events": written, "seconds": round(seconds, 1), "events_per_second": round(written / seconds)}


# -- scenarios -----------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(
        database_url=os.environ.get("HUB_BENCH_DATABASE_URL", HUB_URL),
        kafka_topic_prefix=PREFIX,
    )
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "versions": versions(settings.psycopg_dsn),
        "retirees": args.retirees,
        "adjustments": args.adjustments,
    }
    print("== setup: registry database, bench topics, the platform's retirees", flush=True)
    downgrade(settings, "base")
    upgrade(settings)
    asyncio.run(fresh_topics(settings))
    report["platform_seed_seconds"] = round(asyncio.run(seed_platform(args.retirees)), 1)

    logs = ROOT / ".local" / "logs" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    simulator_port, poll_port, worker_port = free_port(), free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "HUB_KAFKA_TOPIC_PREFIX": PREFIX,
        "HUB_PROVINCIAL_WSDL_URL": f"http://127.0.0.1:{simulator_port}/wsdl",
        "HUB_PROVINCIAL_EXCHANGE_DSN": SIMULATOR_URL,
        "HUB_PROVINCIAL_RECONCILE_AT_HOUR": "-1",
        "SIM_PROVINCIAL_DATABASE_URL": SIMULATOR_URL,
        "SIM_PROVINCIAL_LOG_LEVEL": "warning",
        "HUB_SECRET_KEY": steady.BENCH_SECRET_KEY,
        "HUB_AUTH_PLATFORM_WEBHOOK_SECRET": steady.BENCH_WEBHOOK_SECRET,
    }
    processes = Processes(env, logs)
    watched: dict[str, Callable[[], list[int]]] = {
        "hub provincial poll": lambda: processes.pid("poll"),
        "hub worker (registry)": lambda: processes.pid("worker"),
        "hub worker (provincial-push)": lambda: processes.pid("push"),
        "hub relay": lambda: processes.pid("relay"),
        "hub api": lambda: processes.pid("api"),
        "provincial simulator": lambda: processes.pid("simulator"),
        "postgresql (all backends)": lambda: pids_of("postgres"),
        "kafka": lambda: pids_of("kafka.Kafka"),
    }
    try:
        processes.start("simulator", "simulators.provincial", "--port", str(simulator_port))
        wait_for(f"http://127.0.0.1:{simulator_port}/health", 30)

        print(f"== 1. full resync of {args.retirees:,} retirees", flush=True)
        report["resync"], report["memory_resync"] = asyncio.run(
            resync(settings, processes, watched, (poll_port, worker_port), args)
        )
        print(f"   {report['resync']}", flush=True)

        print("== 1. raw floor", flush=True)
        floor = asyncio.run(raw_floor(settings, f"{PREFIX}canonical.retirees", args.retirees))
        report["floor"] = floor
        floor["hub_over_floor"] = round(report["resync"]["applied_per_second"] / floor["events_per_second"], 3)
        print(f"   {floor}", flush=True)

        if args.adjustments:
            print(f"== 3. yearly adjustment burst of {args.adjustments:,}", flush=True)
            report["adjustment_burst"], report["memory_burst"] = asyncio.run(burst(settings, processes, watched, args))
            print(f"   {report['adjustment_burst']}", flush=True)

        if args.steady_seconds:
            print(f"== 2. steady mixed load at {args.rate}/s for {args.steady_seconds} s; 5. recovery", flush=True)
            report.update(asyncio.run(steady_and_recovery(settings, processes, watched, worker_port, args)))
            print(f"   {report['steady']}", flush=True)
    finally:
        processes.stop()

    if not args.skip_queries:
        print("== 4. queries at scale (bench/registry.py over the registry benchmark's data)", flush=True)
        report["queries"] = registry_queries(args.retirees)
    return report


async def resync(
    settings: Settings,
    processes: Processes,
    watched: dict[str, Callable[[], list[int]]],
    ports: tuple[int, int],
    args: argparse.Namespace,
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """Two stages, each timed on its own so that each has the machine: the poller reads the whole feed into Kafka,
    then the registry's worker applies it (the figure compared with the raw floor)."""
    poll_port, worker_port = ports
    sampler = MemorySampler(watched)
    sampler.start()
    started = time.perf_counter()
    processes.start("poll", "app.cli", "provincial", "poll", "--metrics-port", str(poll_port))
    read = await wait_for_count(
        settings.psycopg_dsn,
        "SELECT coalesce(sum(records_read), 0) FROM provincial_feed_position",
        args.retirees,
        "read from the platform",
        args.timeout,
    )
    processes.stop("poll")
    processes.start("worker", "app.cli", "worker", "--group", "registry", "--metrics-port", str(worker_port))
    applied = await wait_for_count(
        settings.psycopg_dsn, "SELECT count(*) FROM retiree", args.retirees, "applied to the registry", args.timeout
    )
    total = time.perf_counter() - started
    memory = await sampler.stop()
    return (
        {
            "events": args.retirees,
            "read_seconds": round(read, 1),
            "read_per_second": round(args.retirees / read),
            "apply_seconds": round(applied, 1),
            "applied_per_second": round(args.retirees / applied),
            "total_seconds": round(total, 1),
            "total_per_second": round(args.retirees / total),
        },
        memory,
    )


async def burst(
    settings: Settings,
    processes: Processes,
    watched: dict[str, Callable[[], list[int]]],
    args: argparse.Namespace,
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    with psycopg.connect(settings.psycopg_dsn) as connection:
        people = [row[0] for row in connection.execute("SELECT personal_number FROM retiree ORDER BY id")]
    chosen = [people[i % len(people)] for i in range(args.adjustments)]
    print("  appending the adjustments to the platform's feed", flush=True)
    appended = await append_adjustments(args.adjustments, chosen)
    sampler = MemorySampler(watched)
    sampler.start()
    started = time.perf_counter()
    processes.start("poll", "app.cli", "provincial", "poll", "--metrics-port", str(free_port()))
    applied = await wait_for_count(
        settings.psycopg_dsn,
        "SELECT count(*) FROM pension_adjustment",
        args.adjustments,
        "adjustments applied",
        args.timeout,
    )
    while True:
        if await group_lag(settings.kafka_bootstrap_servers, "registry", PREFIX) == 0:
            break
        await asyncio.sleep(1.0)
    drained = time.perf_counter() - started
    memory = await sampler.stop()
    return (
        {
            "adjustments": args.adjustments,
            "appended_at_platform_seconds": round(appended, 1),
            "applied_seconds": round(applied, 1),
            "lag_zero_seconds": round(drained, 1),
            "applied_per_second": round(args.adjustments / applied),
        },
        memory,
    )


async def steady_and_recovery(
    settings: Settings,
    processes: Processes,
    watched: dict[str, Callable[[], list[int]]],
    worker_port: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Scenarios 2 and 5 (bench/steady.py) with every process of the exchange running: the poller and the registry's
    worker (left running by scenarios 1 and 3), the outbox relay, the push consumer and the API."""
    recovery_seconds = 20 + args.outage + 60 if args.outage else 0
    cast = steady.prepare(settings.psycopg_dsn, args.rate, args.steady_seconds + recovery_seconds)
    api_port, push_port = free_port(), free_port()
    if not processes.pid("poll"):
        processes.start("poll", "app.cli", "provincial", "poll", "--metrics-port", str(free_port()))
    processes.start("relay", "app.cli", "relay", "--metrics-port", str(free_port()))
    processes.start("push", "app.cli", "worker", "--group", "provincial-push", "--metrics-port", str(push_port))
    processes.start("api", "app.cli", "api", "--port", str(api_port))
    wait_for(f"http://127.0.0.1:{api_port}/health", 60)

    def services(action: str) -> None:
        subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), action, "kafka"], check=True)

    context = steady.Context(
        hub_dsn=settings.psycopg_dsn,
        simulator_dsn=SIMULATOR_URL.replace("+psycopg", ""),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        prefix=PREFIX,
        endpoints=steady.Endpoints(
            simulator=processes.env["HUB_PROVINCIAL_WSDL_URL"].removesuffix("/wsdl"),
            simulator_database=SIMULATOR_URL,
            api=f"http://127.0.0.1:{api_port}",
        ),
        metrics_urls=[f"http://127.0.0.1:{port}/metrics" for port in (worker_port, push_port)],
        stop_broker=lambda: services("stop"),
        start_broker=lambda: services("start"),
    )
    first, rest = cast.split(args.rate, args.steady_seconds)
    sampler = MemorySampler(watched)
    sampler.start()
    figures: dict[str, Any] = {"steady": await steady.steady(context, first, args.rate, args.steady_seconds)}
    figures["memory_steady"] = await sampler.stop()
    if args.outage:
        print(f"== 5. recovery after {args.outage} s without the broker", flush=True)
        figures["recovery"] = await steady.recovery(context, rest, args.rate, args.outage)
        print(f"   {figures['recovery']}", flush=True)
    return figures


def registry_queries(retirees: int) -> dict[str, Any]:
    """bench/registry.py's query scenarios and nightly rules over its own 1,000,000-retiree load (the resynced
    retirees are all approved-not-registered: no community lists to page through)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.registry", "--retirees", str(retirees), "--bulk", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout[-3000:], flush=True)
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    latest = max(RESULTS.glob("registry-*-without-bulk.json"), key=lambda p: p.stat().st_mtime)
    figures: dict[str, Any] = json.loads(latest.read_text())
    return {"queries": figures.get("queries"), "suspension_rules": figures.get("suspension_rules")}


# -- report --------------------------------------------------------------------------------------------------------


def _latency(figures: dict[str, float]) -> str:
    if not figures.get("n"):
        return "none observed"
    return (
        f"p50 {figures['p50_ms']}, p95 {figures['p95_ms']}, p99 {figures['p99_ms']}, max {figures['max_ms']}"
        f" (n {figures['n']:.0f})"
    )


def print_table(report: dict[str, Any]) -> None:
    rows: list[tuple[str, str]] = []
    if "resync" in report:
        resync, floor = report["resync"], report.get("floor", {})
        rows += [
            ("1 full resync: events", f"{resync['events']:,}"),
            ("1 read from the platform (SOAP), events/s", f"{resync['read_per_second']:,}"),
            ("1 applied to the registry (hub worker), events/s", f"{resync['applied_per_second']:,}"),
            ("1 total time (read, then apply), s", f"{resync['total_seconds']}"),
            ("1 end to end, events/s", f"{resync['total_per_second']:,}"),
            ("1 raw floor (aiokafka + COPY), events/s", f"{floor.get('events_per_second', 0):,}"),
            ("1 hub / floor", f"{floor.get('hub_over_floor', 0)}"),
        ]
    if "adjustment_burst" in report:
        burst_ = report["adjustment_burst"]
        rows += [
            ("3 adjustment burst: adjustments", f"{burst_['adjustments']:,}"),
            ("3 all applied, s", f"{burst_['applied_seconds']}"),
            ("3 lag 0, s", f"{burst_['lag_zero_seconds']}"),
            ("3 applied, events/s", f"{burst_['applied_per_second']:,}"),
        ]
    if "steady" in report:
        steady_ = report["steady"]
        rows.append(("2 steady load: events/s, seconds", f"{steady_['rate_per_second']}, {steady_['seconds']}"))
        for flow, figures in steady_["timestamps"].items():
            rows.append((f"2 {flow} (timestamps), ms", _latency(figures)))
        for flow, figures in steady_["hub_metric"].items():
            bounds = f"p50 <= {figures['p50_le_s']} s, p99 <= {figures['p99_le_s']} s (n {figures['n']:.0f})"
            rows.append((f"2 {flow} (hub metric)", bounds))
    if "recovery" in report:
        recovery = report["recovery"]
        rows += [
            ("5 broker down, s", f"{recovery['outage_seconds']}"),
            ("5 backlog pushed after the broker's return, s", f"{recovery['backlog_pushed_after_broker_back_s']}"),
            (
                "5 lag 0 after the broker's return (load ends 60 s after), s",
                f"{recovery['lag_zero_after_broker_back_s']}",
            ),
        ]
    for scenario in ("memory_resync", "memory_burst", "memory_steady"):
        for name, figures in report.get(scenario, {}).items():
            rows.append(
                (
                    f"6 {name} ({scenario.removeprefix('memory_')}), MiB",
                    f"peak {figures['peak_mib']}, first {figures['first_mib']}, "
                    f"10% {figures.get('at_10pct_mib')}, 50% {figures.get('at_50pct_mib')}, last {figures['last_mib']}",
                )
            )
    queries = (report.get("queries") or {}).get("queries") or {}
    for name, figures in queries.items():
        rows.append((f"4 {name}, ms", f"p50 {figures['p50_ms']:.1f}, p99 {figures['p99_ms']:.1f}"))
    width = max(len(name) for name, _ in rows) if rows else 10
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--retirees", type=int, default=1_000_000)
    parser.add_argument("--adjustments", type=int, default=565_000, help="0: skip the burst")
    parser.add_argument("--rate", type=int, default=200, help="scenario 2's events per second")
    parser.add_argument("--steady-seconds", type=int, default=180, help="scenario 2's length; 0 skips 2 and 5")
    parser.add_argument("--outage", type=int, default=30, help="scenario 5's broker outage, seconds; 0 skips it")
    parser.add_argument("--skip-queries", action="store_true", help="skip scenario 4 (bench/registry.py)")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="longest wait for one scenario, seconds")
    args = parser.parse_args()
    report = run(args)
    print_table(report)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"hub-{date.today().isoformat()}-{args.retirees}.json"
    target.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nwritten to {target}")


if __name__ == "__main__":
    main()
