"""Every hub process starts from the real ``hub`` command, answers /metrics, and stops cleanly on SIGTERM
(issue: README's run command brings the hub up and its /metrics answer)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.migrate import upgrade
from hub.settings import Settings
from tests.support.harness import PROJECT_ROOT

pytestmark = pytest.mark.e2e

PROCESSES = {
    "api": (["api", "--port", "18000"], "http://127.0.0.1:18000/metrics"),
    "relay": (["relay", "--metrics-port", "19191"], "http://127.0.0.1:19191/metrics"),
    "worker": (["worker", "--metrics-port", "19192"], "http://127.0.0.1:19192/metrics"),
    "monitor": (["monitor", "--metrics-port", "19193"], "http://127.0.0.1:19193/metrics"),
}


@pytest.fixture(scope="module")
def hub_processes(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    upgrade(settings)
    logs = tmp_path_factory.mktemp("process-logs")
    LOG_FILES.update({name: logs / f"{name}.log" for name in PROCESSES})
    env = {
        "PATH": "/usr/bin:/bin",
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "HUB_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "HUB_MONITOR_INTERVAL_SECONDS": "1",
    }
    started = {
        name: subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            # a file, not a pipe: a chatty process must never block on a full pipe nobody reads
            stderr=LOG_FILES[name].open("wb"),
        )
        for name, (args, _) in PROCESSES.items()
    }
    try:
        yield started
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)


LOG_FILES: dict[str, Path] = {}


def _log_of(name: str) -> str:
    return LOG_FILES[name].read_text(encoding="utf-8", errors="replace")


def _get(url: str, deadline_seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.parametrize("name", list(PROCESSES))
def test_every_process_answers_metrics(hub_processes: dict[str, subprocess.Popen[bytes]], name: str) -> None:
    response = _get(PROCESSES[name][1])
    assert response.status_code == 200
    assert 'hub_build_info{version="0.1.0"} 1.0' in response.text
    assert "process_resident_memory_bytes" in response.text


def test_monitor_exports_outbox_backlog(hub_processes: dict[str, subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 20
    while "hub_outbox_backlog " not in (text := _get(PROCESSES["monitor"][1]).text):
        assert time.monotonic() < deadline, text[-2000:]
        time.sleep(0.5)
    assert "hub_outbox_oldest_age_seconds " in text


def test_api_is_healthy_and_serves_openapi(hub_processes: dict[str, subprocess.Popen[bytes]]) -> None:
    health = _get("http://127.0.0.1:18000/health")
    assert health.json() == {"status": "ok", "version": "0.1.0", "database": "ok"}
    assert _get("http://127.0.0.1:18000/openapi.json").json()["info"]["version"] == "0.1.0"


def test_processes_stop_cleanly_on_sigterm(hub_processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, process in hub_processes.items():
        _get(PROCESSES[name][1])
        process.send_signal(signal.SIGTERM)
    for name, process in hub_processes.items():
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} still running 30 s after SIGTERM; its log ends:\n{_log_of(name)[-3000:]}")
        stderr = _log_of(name)
        if name == "api":  # uvicorn shuts down gracefully, then re-raises the signal it caught
            assert "Application shutdown complete" in stderr, stderr[-2000:]
            assert code in (0, -signal.SIGTERM)
        else:
            assert code == 0, f"{name} exited with {code}: {stderr[-2000:]}"
        assert "Traceback" not in stderr, f"{name}: {stderr[-2000:]}"
