"""The e2e tier's process spawner: hub parts started as a deployment starts them (``python -m app.cli ...``, or a
simulator's module), each one's stderr in a log file (never a pipe nobody reads), waited for over HTTP with a
deadline, and killed at the end if a test left them running."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hub.settings import Settings
from tests.support.harness import PROJECT_ROOT


def hub_env(settings: Settings, **extra: str) -> dict[str, str]:
    """A clean environment for a hub process: the test settings' database, broker and topic prefix, plus ``extra``
    (``HUB_...`` settings of the process under test); nothing inherited from the shell that runs the tests."""
    return {
        "PATH": "/usr/bin:/bin",
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "HUB_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        **extra,
    }


def get_when_listening(url: str, seconds: float = 30) -> httpx.Response:
    """GET ``url``, retrying while nothing listens yet (a process starting up), for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@dataclass
class Processes:
    """Named processes started with one environment, their logs in ``log_dir``."""

    env: dict[str, str]
    log_dir: Path
    started: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, module: str, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """``python -m module args...`` from the project's root, stderr into ``<log_dir>/<name>.log``; ``extra_env``
        adds to the group's environment for this process only (e.g. a simulator's database)."""
        with self.log_path(name).open("wb") as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                cwd=PROJECT_ROOT,
                env={**self.env, **extra_env},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.started[name] = process
        return process

    def hub(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """The real ``hub`` command, e.g. ``hub("worker", "worker", "--metrics-port", "19192")``."""
        return self.start(name, "app.cli", *args)

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text(encoding="utf-8", errors="replace")

    def wait_for(self, url: str, seconds: float = 30) -> None:
        """Until ``url`` answers 200; past the deadline, an AssertionError carrying the end of every log."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                tails = {name: self.log(name)[-2000:] for name in self.started}
                raise AssertionError(f"{url} did not answer within {seconds}s; logs: {tails}")
            time.sleep(0.3)

    def kill_all(self) -> None:
        """Kill whatever is still running (a test that stops its processes itself leaves nothing to do)."""
        for process in self.started.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)


@contextmanager
def processes(env: dict[str, str], log_dir: Path) -> Iterator[Processes]:
    """Processes to start inside the block; any still running at its end are killed."""
    group = Processes(env, log_dir)
    try:
        yield group
    finally:
        group.kill_all()
