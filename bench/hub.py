"""The hub benchmark (issue 6): the real processes, the provincial simulator, Kafka and PostgreSQL on this machine.

    python -m bench.hub [--retirees 1000000] [--adjustments 565000] [--skip-queries]

Scenarios (each figure printed and written to bench/results/hub-<date>.json with the machine and the versions):
1. full resync: N retirees read from the provincial simulator (SOAP change feed) by `hub provincial poll`, through
   Kafka, into the registry by `hub worker --group registry`; and the raw floor: the same events read from Kafka by a
   bare aiokafka consumer and written with COPY, with no validation or idempotency;
3. yearly adjustment burst: M pension adjustments (2.5) appended to the platform's feed at once, until every one is
   applied and the registry group's lag is 0;
4. queries at N: the registry benchmark's query scenarios (6.7, 6.3) and the nightly rules (bench/registry.py);
6. memory: the resident memory of every process, sampled each second during 1 and 3.
Scenarios 2 (steady mixed load) and 5 (recovery after a broker outage) are not measured yet (see README).

Runs in its own namespace: the database HUB_BENCH_DATABASE_URL (default retiree_hub_bench, reset), the simulator's
database provincial_sim_bench (reset) and the Kafka topics `bench.*` (deleted and created again), so it never
touches `make run`'s or the test suite's data.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from hub.bootstrap import bootstrap
from hub.kafka_admin import ensure_topics
from hub.migrate import downgrade, upgrade
from hub.settings import Settings
from simulators.provincial.store import Store

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
HUB_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"
SIMULATOR_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/provincial_sim_bench"
PREFIX = "bench."
SEED_CHUNK = 20_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- memory --------------------------------------------------------------------------------------------------------


def resident_mib(pids: list[int]) -> float:
    """Proportional resident memory (Pss) of these processes together, in MiB; 0 for those gone. Pss rather than
    RSS so that PostgreSQL's shared buffers count once across its backends."""
    total_kb = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def pids_of(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False).stdout.split()
    return [int(pid) for pid in found]


@dataclass
class MemorySampler:
    """Samples each watched process (or group of processes) every second: peak, and the first and last samples
    taken while events were flowing, to show whether memory grows with the events processed."""

    watched: dict[str, Callable[[], list[int]]]
    samples: dict[str, list[float]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            for name, pids in self.watched.items():
                running = pids()
                if running:  # only while the process runs
                    self.samples.setdefault(name, []).append(round(resident_mib(running), 1))
            await asyncio.sleep(1.0)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, dict[str, float]]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return {
            name: {"peak_mib": max(values), "first_mib": values[0], "last_mib": values[-1]}
            for name, values in self.samples.items()
            if values
        }


# -- processes -----------------------------------------------------------------------------------------------------


@dataclass
class Processes:
    env: dict[str, str]
    logs: Path
    started: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.logs / f"{name}.log").open("wb"),
        )
        self.started[name] = process
        return process

    def pid(self, name: str) -> list[int]:
        process = self.started.get(name)
        return [process.pid] if process is not None and process.poll() is None else []

    def stop(self, *names: str) -> None:
        for name in names or tuple(self.started):
            process = self.started.pop(name, None)
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(0.3)


# -- setup ---------------------------------------------------------------------------------------------------------


async def fresh_topics(settings: Settings) -> None:
    """Delete the bench namespace's topics and create them again: no earlier run's events are left to consume."""
    hub = bootstrap(settings)
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


def scalar(dsn: str, sql: str, *params: Any) -> Any:
    with psycopg.connect(dsn, autocommit=True) as connection:
        row = connection.execute(sql, params).fetchone()
    return row[0] if row else None


async def wait_for_count(dsn: str, sql: str, expected: int, what: str, limit_seconds: float) -> float:
    """Poll until ``sql`` counts ``expected``; the seconds it took."""
    started = time.perf_counter()
    last_print = 0.0
    while True:
        count = int(scalar(dsn, sql) or 0)
        now = time.perf_counter() - started
        if now - last_print >= 15:
            print(f"  {what}: {count:,} of {expected:,} after {now:.0f} s", flush=True)
            last_print = now
        if count >= expected:
            return now
        if now > limit_seconds:
            raise RuntimeError(f"{what}: only {count:,} of {expected:,} after {limit_seconds:.0f} s")
        await asyncio.sleep(1.0)


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


async def registry_lag(settings: Settings) -> int:
    """Messages the registry group has not committed on the bench topics (0 when caught up)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets("registry")
        ours = {tp: meta.offset for tp, meta in committed.items() if tp.topic.startswith(PREFIX)}
        ends = await consumer.end_offsets(list(ours))
        return sum(max(0, ends[tp] - offset) for tp, offset in ours.items())
    finally:
        await consumer.stop()
        await admin.close()


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
    }
    processes = Processes(env, logs)
    watched: dict[str, Callable[[], list[int]]] = {
        "hub provincial poll": lambda: processes.pid("poll"),
        "hub worker (registry)": lambda: processes.pid("worker"),
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
    processes.start("poll", "hub.cli", "provincial", "poll", "--metrics-port", str(poll_port))
    read = await wait_for_count(
        settings.psycopg_dsn,
        "SELECT coalesce(sum(records_read), 0) FROM provincial_feed_position",
        args.retirees,
        "read from the platform",
        args.timeout,
    )
    processes.stop("poll")
    processes.start("worker", "hub.cli", "worker", "--group", "registry", "--metrics-port", str(worker_port))
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
    processes.start("poll", "hub.cli", "provincial", "poll", "--metrics-port", str(free_port()))
    applied = await wait_for_count(
        settings.psycopg_dsn,
        "SELECT count(*) FROM pension_adjustment",
        args.adjustments,
        "adjustments applied",
        args.timeout,
    )
    while True:
        if await registry_lag(settings) == 0:
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


def machine() -> dict[str, Any]:
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {"cores": os.cpu_count(), "memory_gib": round(memory_kb / 1024 / 1024, 1), "platform": platform.platform()}


def versions(dsn: str) -> dict[str, str]:
    from importlib.metadata import version

    kafka = sorted((ROOT / ".local" / "kafka" / "libs").glob("kafka_2.13-*.jar"))
    return {
        "python": platform.python_version(),
        "postgresql": str(scalar(dsn, "SHOW server_version")),
        "kafka": kafka[-1].stem.removeprefix("kafka_2.13-") if kafka else "?",
        **{name: version(name) for name in ("faststream", "aiokafka", "sqlalchemy", "psycopg", "zeep")},
    }


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
    for scenario in ("memory_resync", "memory_burst"):
        for name, figures in report.get(scenario, {}).items():
            rows.append(
                (
                    f"6 {name} ({scenario.removeprefix('memory_')}), MiB",
                    f"peak {figures['peak_mib']}, first {figures['first_mib']}, last {figures['last_mib']}",
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
