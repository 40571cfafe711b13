"""What the benchmarks share: the processes they start, memory sampling, waiting for counts, a consumer group's lag,
the machine and versions each report names, and for the read benchmarks (queries, reports) the scopes they ask from
(the largest community, its district, the city), an operator of each, the values of required filters, and timing
with p50/p99."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.queries.spec import FilterKind, QueryFilter
from domain.shared.actor import Actor
from domain.shared.errors import DomainError

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"  # HUB_BENCH_DATABASE_URL otherwise


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
    """Samples each watched process (or group of processes) every second: the peak, the first sample, the samples a
    tenth and half of the way through, and the last: a process whose memory is flat after its first seconds has
    the same figure at a tenth of the way as at the end."""

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
            name: {
                "peak_mib": max(values),
                "first_mib": values[0],
                "at_10pct_mib": values[len(values) // 10],
                "at_50pct_mib": values[len(values) // 2],
                "last_mib": values[-1],
            }
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


async def group_lag(bootstrap_servers: str, group: str, prefix: str) -> int:
    """Messages ``group`` has not committed on the topics named with ``prefix`` (0 when caught up)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        ours = {tp: meta.offset for tp, meta in committed.items() if tp.topic.startswith(prefix)}
        ends = await consumer.end_offsets(list(ours))
        return sum(max(0, ends[tp] - offset) for tp, offset in ours.items())
    finally:
        await consumer.stop()
        await admin.close()


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


# -- read benchmarks (queries, reports) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scopes:
    """Where the read benchmarks ask from: the largest community (``people`` managed there), its district, the
    city; the retirees in all and the employer with the most of them (for filters that need one)."""

    community: Any
    district: Any
    city: Any
    people: int
    retirees: int
    employer: str

    def nodes(self) -> dict[str, Any]:
        return {"community": self.community, "district": self.district, "city": self.city}


async def scopes(session: AsyncSession) -> Scopes:
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
    return Scopes(community, district, city, int(people), int(retirees), employer)


def operator(node: Any, name: str) -> Actor:
    """An operator of the institution ``node`` (a row with id and path), as the staff API's actor would be."""
    return Actor(
        name=name, kind="staff", role="operator", institution_id=node.id, institution_path=node.path, source="bench"
    )


def required_filters(filters: Sequence[QueryFilter], today: date, employer: str) -> dict[str, str]:
    """The value each required filter without a default takes (a realistic, not tiny, selection): the first choice,
    a week of birthdays, the last 30 days, this year, this month, the largest employer."""
    keys = {f.key for f in filters}
    given: dict[str, str] = {}
    for f in filters:
        if not f.required or f.default:
            continue
        if f.kind is FilterKind.CHOICE:
            given[f.key] = f.choices[0].value
        elif f.kind is FilterKind.MONTH_DAY:
            given[f.key] = "03-01"
            if "to" in keys:
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
    """The ``q`` quantile of ``samples`` (seconds), in milliseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass
class Timed:
    """``runs`` timings of one piece of work: seconds each, the rows of the last run, or why it was refused."""

    samples: list[float] = field(default_factory=list)
    rows: int = 0
    refused: str = ""

    def figures(self) -> dict[str, Any]:
        if self.refused:
            return {"refused": self.refused}
        return {
            "rows": self.rows,
            "p50_ms": round(pct(self.samples, 0.5), 1),
            "p99_ms": round(pct(self.samples, 0.99), 1),
        }


async def timed(runs: int, work: Callable[[], Awaitable[int]]) -> Timed:
    """Run ``work`` (which returns its rows) ``runs`` times; a refusal (a level that may not ask, a database behind
    the code's migration) stops it and is kept as the figure."""
    result = Timed()
    for _ in range(runs):
        started = time.perf_counter()
        try:
            result.rows = await work()
        except DomainError as refused:
            result.refused = f"{refused.code}: {refused.message}"
            break
        except DBAPIError as broken:
            result.refused = str(broken.orig).splitlines()[0]
            break
        result.samples.append(time.perf_counter() - started)
    return result
