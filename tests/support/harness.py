"""Running hub parts against the real Kafka and PostgreSQL inside a test, each test with its own topic and group."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from hub.bootstrap import Hub, bootstrap
from hub.envelope import Envelope
from hub.kafka_admin import ensure_topics
from hub.settings import Settings
from hub.worker import run_worker
from tests.support import ledger

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class LedgerRig:
    """A hub wired to one test topic and one test consumer group."""

    settings: Settings
    topic: str = field(default_factory=lambda: unique("it.ledger"))
    group: str = field(default_factory=lambda: unique("it-ledger"))
    partitions: int = 3

    def hub(self, suffix: str = "") -> Hub:
        return bootstrap(
            self.settings,
            consumer_groups=[ledger.ledger_group(self.group)],
            extra_topics=[ledger.ledger_topic(self.topic, self.partitions)],
            extra_schema_dirs=[ledger.SCHEMAS],
            client_suffix=suffix,
        )

    async def create_topics(self) -> None:
        hub = self.hub()
        wanted = [t for t in hub.catalog if t.name in (self.topic, hub.catalog.dead_letter_topic(self.group))]
        await ensure_topics(self.settings.kafka_bootstrap_servers, wanted, 1)
        await hub.engine.dispose()

    async def write_to_outbox(self, hub: Hub, events: Iterable[Envelope]) -> None:
        async with hub.sessions() as session, session.begin():
            for event in events:
                await hub.outbox.put(session, event)

    async def ledger_rows(self, hub: Hub) -> list[tuple[str, str, int]]:
        """(event id, account, sequence) of every application, in the order they were applied."""
        async with hub.sessions() as session:
            rows = await session.execute(
                text("SELECT event_id, account, sequence FROM it_ledger_entry WHERE consumer_group = :g ORDER BY id"),
                {"g": self.group},
            )
            return [(r[0], r[1], r[2]) for r in rows]

    def env(self) -> dict[str, str]:
        return os.environ | {
            "HUB_DATABASE_URL": self.settings.database_url,
            "HUB_KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap_servers,
            "HUB_KAFKA_TOPIC_PREFIX": self.settings.kafka_topic_prefix,
        }


class Background:
    """Hub processes run as tasks of the test's event loop, stopped together."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start_worker(self, hub: Hub) -> None:
        self.tasks.append(asyncio.create_task(run_worker(hub, list(hub.consumer_groups), self.stop)))

    def start_relay(self, hub: Hub) -> None:
        async def relay() -> None:
            await hub.broker.connect()
            try:
                await hub.outbox_relay().run(self.stop)
            finally:
                await hub.close()

        self.tasks.append(asyncio.create_task(relay()))

    async def close(self) -> None:
        self.stop.set()
        results = await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), timeout=60)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]


async def wait_until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


async def hub_cli(*args: str, env: dict[str, str]) -> CliResult:
    """Run the real ``hub`` command as an operator would, without blocking the test's event loop (the
    hub parts under test run in it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    return CliResult(process.returncode or 0, stdout.decode(), stderr.decode())


def services(*args: str) -> None:
    """Drive the local services script (e.g. stop and start the broker)."""
    subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "services.sh"), *args], check=True, timeout=180)
