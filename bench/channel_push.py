"""A proof-of-life season's reminders pushed to the channel apps (issue 20): ``make bench-channel``.

``N`` retirees (100,000 by default) who use one app each get a ``certification.reminder_due`` event at once, as the
nightly job publishes them; the real processes — ``hub relay``, ``hub worker --group mobile-notifications --group
channel-push`` and the channel-app simulator as the app's webhook — turn them into notifications and signed pushes.
Measured: the time to publish, to have every notification written, and to have every push delivered (the
simulator's count and the ``channel_push`` rows), pushes per second, duplicates the app saw, and the resident memory
(Pss) of the worker, the relay and the simulator sampled each second.

Its own database (``HUB_CHANNEL_BENCH_DATABASE_URL``, default ``retiree_hub_channel_bench``, made again from empty
each run) and its own topic namespace (``benchch.``): nothing of the tests' or other benchmarks' data is touched.
Quiet hours are turned off in that database, so the figure does not depend on the hour it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import psycopg
from aiokafka.admin import AIOKafkaAdminClient

from app.bootstrap import bootstrap_application
from bench.support import (
    RESULTS,
    ROOT,
    MemorySampler,
    Processes,
    free_port,
    machine,
    scalar,
    versions,
    wait_for_count,
)
from channels.security import hash_password
from domain.certifications.reminders import REMINDER_DUE
from hub.envelope import Envelope
from hub.kafka_admin import ensure_topics
from hub.settings import Settings

PREFIX = "benchch."
DATABASE = "retiree_hub_channel_bench"
DEFAULT_URL = f"postgresql+psycopg://hub:hub@127.0.0.1:54329/{DATABASE}"
CLIENT_ID = "bench-app"
SIGNING_SECRET = "bench-app-signing-secret-0123456789"
SECRET_KEY = "bench-secret-key-of-at-least-32-characters"


def hub_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def fresh_database(settings: Settings, env: dict[str, str], retirees: int) -> float:
    """The bench database made again from empty: migrated, seeded with ``retirees`` (seconds to seed)."""
    admin_dsn = settings.psycopg_dsn.rsplit("/", 1)[0] + "/postgres"
    name = settings.psycopg_dsn.rsplit("/", 1)[1]
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    hub_cli(env, "db", "upgrade")
    started = time.perf_counter()
    hub_cli(env, "registry", "seed", "--retirees", str(retirees))
    return time.perf_counter() - started


async def fresh_topics(settings: Settings) -> None:
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


def the_app(dsn: str, webhook: str, retirees: int) -> list[str]:
    """One app with its webhook at the simulator, used by ``retirees`` living retirees; their personal numbers."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            "UPDATE dictionary_parameter SET value = '00:00-00:00' WHERE name = 'notification_quiet_hours'"
        )
        connection.execute(
            "INSERT INTO channel_client (client_id, name, secret_hash, signing_secret, webhook_url, active)"
            " VALUES (%s, %s, %s, %s, %s, true)",
            (CLIENT_ID, "压测应用", hash_password("BenchApp2026"), SIGNING_SECRET, webhook),
        )
        rows = connection.execute(
            "INSERT INTO channel_binding (retiree_id, client_id)"
            " SELECT id, %s FROM retiree WHERE status <> 'deceased' ORDER BY id LIMIT %s RETURNING retiree_id",
            (CLIENT_ID, retirees),
        ).fetchall()
        ids = [row[0] for row in rows]
        numbers = connection.execute(
            "SELECT personal_number FROM retiree WHERE id = ANY(%s) ORDER BY id", (ids,)
        ).fetchall()
    return [row[0] for row in numbers]


async def publish_reminders(settings: Settings, numbers: list[str]) -> float:
    hub = bootstrap_application(settings, client_suffix="-bench")
    await hub.broker.connect()
    today = date.today()
    due = today + timedelta(days=30)
    message = f"您的养老金领取资格认证将于{due.year}年{due.month}月{due.day}日到期，请按时完成认证。"
    started = time.perf_counter()
    try:
        for start in range(0, len(numbers), 5000):
            envelopes = [
                Envelope.new(
                    REMINDER_DUE,
                    number,
                    {
                        "personal_number": number,
                        "due_on": due.isoformat(),
                        "last_certified_on": (due - timedelta(days=182)).isoformat(),
                        "days_left": 30,
                        "message": message,
                    },
                    source="urn:retiree-hub:bench/channel",
                )
                for number in numbers[start : start + 5000]
            ]
            await hub.publisher.publish_events(envelopes, source="bench")
    finally:
        await hub.close()
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> dict[str, Any]:
    database_url = os.environ.get("HUB_CHANNEL_BENCH_DATABASE_URL", DEFAULT_URL)
    settings = Settings(database_url=database_url, kafka_topic_prefix=PREFIX, secret_key=SECRET_KEY)
    dsn = settings.psycopg_dsn
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HUB_DATABASE_URL": database_url,
        "HUB_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "HUB_KAFKA_TOPIC_PREFIX": PREFIX,
        "HUB_SECRET_KEY": SECRET_KEY,
        "HUB_LOG_LEVEL": "WARNING",
    }
    report: dict[str, Any] = {"date": datetime.now(UTC).isoformat(), "machine": machine(), "reminders": args.reminders}
    print(f"== setup: a fresh {DATABASE} with {args.retirees:,} retirees, the {PREFIX} topics", flush=True)
    report["seed_seconds"] = round(fresh_database(settings, env, args.retirees), 1)
    report["versions"] = versions(dsn)
    asyncio.run(fresh_topics(settings))
    simulator_port, relay_port, worker_port = free_port(), free_port(), free_port()
    numbers = the_app(dsn, f"http://127.0.0.1:{simulator_port}/apps/{CLIENT_ID}/notifications", args.reminders)
    assert len(numbers) == args.reminders, f"only {len(numbers)} living retirees"

    logs = ROOT / ".local" / "logs" / "bench-channel"
    logs.mkdir(parents=True, exist_ok=True)
    processes = Processes(
        env | {"SIM_CHANNEL_SECRETS": f"{CLIENT_ID}={SIGNING_SECRET}", "SIM_CHANNEL_LOG_LEVEL": "warning"}, logs
    )
    watched: dict[str, Callable[[], list[int]]] = {
        "hub worker (mobile-notifications, channel-push)": lambda: processes.pid("worker"),
        "hub relay": lambda: processes.pid("relay"),
        "channel-app simulator": lambda: processes.pid("simulator"),
    }
    try:
        processes.start("simulator", "simulators.channel_app", "--port", str(simulator_port))
        stats_url = f"http://127.0.0.1:{simulator_port}/admin/stats"
        _wait_http(stats_url, 30)
        processes.start("relay", "app.cli", "relay", "--metrics-port", str(relay_port))
        processes.start(
            "worker",
            "app.cli",
            "worker",
            "--group",
            "mobile-notifications",
            "--group",
            "channel-push",
            "--metrics-port",
            str(worker_port),
        )
        report.update(asyncio.run(season(settings, dsn, numbers, watched, stats_url, args)))
    finally:
        processes.stop()
    return report


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(0.3)


async def season(
    settings: Settings,
    dsn: str,
    numbers: list[str],
    watched: dict[str, Callable[[], list[int]]],
    stats_url: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    sampler = MemorySampler(watched)
    sampler.start()
    total = len(numbers)
    print(f"== publishing {total:,} reminders", flush=True)
    started = time.perf_counter()
    published = await publish_reminders(settings, numbers)
    print(f"   published in {published:.1f} s; waiting for notifications and pushes", flush=True)
    notified = await wait_for_count(
        dsn, "SELECT count(*) FROM retiree_notification", total, "notifications", args.limit
    )
    notified += published
    delivered = await wait_for_count(
        dsn, "SELECT count(*) FROM channel_push WHERE state = 'delivered'", total, "pushes delivered", args.limit
    )
    elapsed = time.perf_counter() - started
    memory = await sampler.stop()
    async with httpx.AsyncClient(timeout=10) as client:
        stats = (await client.get(stats_url)).json()
    dead = int(scalar(dsn, "SELECT count(*) FROM channel_push WHERE state <> 'delivered'") or 0)
    return {
        "publish_seconds": round(published, 1),
        "all_notified_seconds": round(notified, 1),
        "all_delivered_seconds": round(elapsed, 1),
        "pushes_per_second": round(total / elapsed, 1),
        "simulator_received": stats["received"],
        "simulator_duplicates": stats["counts"].get("duplicate", 0),
        "not_delivered": dead,
        "memory": memory,
        "delivered_seconds_check": round(delivered, 1),
    }


def print_table(report: dict[str, Any]) -> None:
    print()
    print(f"| figure ({report['reminders']:,} reminders, {report['machine']['cores']} cores) | value |")
    print("|---|---|")
    for key in ("publish_seconds", "all_notified_seconds", "all_delivered_seconds", "pushes_per_second"):
        print(f"| {key.replace('_', ' ')} | {report[key]:,} |")
    received, duplicates = report["simulator_received"], report["simulator_duplicates"]
    print(f"| received by the app / duplicates it saw | {received:,} / {duplicates} |")
    for name, figures in report["memory"].items():
        print(f"| {name}: peak / last, MiB | {figures['peak_mib']} / {figures['last_mib']} |")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.channel_push", description=__doc__)
    parser.add_argument("--reminders", type=int, default=100_000, help="reminders of the season (one per retiree)")
    parser.add_argument("--retirees", type=int, default=0, help="retirees seeded (default: reminders + 5%%)")
    parser.add_argument("--limit", type=float, default=3600, help="give up after this many seconds per phase")
    args = parser.parse_args()
    args.retirees = args.retirees or int(args.reminders * 1.05) + 100
    report = run(args)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"channel-push-{date.today().isoformat()}-{args.reminders}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print_table(report)
    print(f"\nreport: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
