"""Every hub process starts from the real ``hub`` command, answers /metrics, and stops cleanly on SIGTERM
(issue: README's run command brings the hub up and its /metrics answer)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from app.migrate import upgrade
from hub.settings import Settings
from tests.support.processes import Processes, get_when_listening, hub_env, processes

pytestmark = pytest.mark.e2e

PROCESSES = {
    "api": (["api", "--port", "18000"], "http://127.0.0.1:18000/metrics"),
    "relay": (["relay", "--metrics-port", "19191"], "http://127.0.0.1:19191/metrics"),
    "worker": (["worker", "--metrics-port", "19192"], "http://127.0.0.1:19192/metrics"),
    "monitor": (["monitor", "--metrics-port", "19193"], "http://127.0.0.1:19193/metrics"),
}


@pytest.fixture(scope="module")
def hub_processes(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    upgrade(settings)
    env = hub_env(settings, HUB_MONITOR_INTERVAL_SECONDS="1")
    with processes(env, tmp_path_factory.mktemp("process-logs")) as started:
        for name, (args, _) in PROCESSES.items():
            started.hub(name, *args)
        yield started


@pytest.mark.parametrize("name", list(PROCESSES))
def test_every_process_answers_metrics(hub_processes: Processes, name: str) -> None:
    response = get_when_listening(PROCESSES[name][1])
    assert response.status_code == 200
    assert 'hub_build_info{version="0.1.0"} 1.0' in response.text
    assert "process_resident_memory_bytes" in response.text


def test_monitor_exports_outbox_backlog(hub_processes: Processes) -> None:
    deadline = time.monotonic() + 20
    while "hub_outbox_backlog " not in (text := get_when_listening(PROCESSES["monitor"][1]).text):
        assert time.monotonic() < deadline, text[-2000:]
        time.sleep(0.5)
    assert "hub_outbox_oldest_age_seconds " in text


def test_api_is_healthy_and_serves_openapi(hub_processes: Processes) -> None:
    health = get_when_listening("http://127.0.0.1:18000/health")
    assert health.json() == {"status": "ok", "version": "0.1.0", "database": "ok"}
    assert get_when_listening("http://127.0.0.1:18000/openapi.json").json()["info"]["version"] == "0.1.0"


def test_processes_stop_cleanly_on_sigterm(hub_processes: Processes) -> None:
    for name, process in hub_processes.started.items():
        get_when_listening(PROCESSES[name][1])
        process.send_signal(signal.SIGTERM)
    for name, process in hub_processes.started.items():
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} still running 30 s after SIGTERM; its log ends:\n{hub_processes.log(name)[-3000:]}")
        stderr = hub_processes.log(name)
        if name == "api":  # uvicorn shuts down gracefully, then re-raises the signal it caught
            assert "Application shutdown complete" in stderr, stderr[-2000:]
            assert code in (0, -signal.SIGTERM)
        else:
            assert code == 0, f"{name} exited with {code}: {stderr[-2000:]}"
        assert "Traceback" not in stderr, f"{name}: {stderr[-2000:]}"
