"""The local runner's supervisor (app/supervisor.py, issue 12 item 8): a process that dies is started again after a
delay that doubles up to a cap and starts over once the process had stayed up a while; the others keep running;
stopping ends them all. The supervised programs are tiny Python one-liners, no services."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
import yaml

from app.supervisor import Program, RestartPolicy, describe_exit, supervise

pytestmark = pytest.mark.unit


COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
RUN_SCRIPT = COMPOSE.parent / "scripts" / "run.sh"


def _python(name: str, code: str) -> Program:
    return Program(name, (sys.executable, "-c", code))


def test_the_delay_doubles_up_to_the_cap_and_starts_over_after_a_healthy_run() -> None:
    policy = RestartPolicy(initial=1.0, maximum=5.0, healthy_after=60.0)
    delays, delay = [], None
    for uptime in (0.1, 0.1, 0.1, 0.1, 0.1, 61.0, 0.1):
        delay = policy.next_delay(delay, uptime)
        delays.append(delay)
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0, 1.0, 2.0]


def test_exit_codes_are_described_with_the_signal_that_ended_the_process() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL (-9)"


def test_program_specs_are_split_as_a_shell_would() -> None:
    program = Program.parse("auth-sim=python -m simulators.auth_platform --webhook-url 'http://h/x y'")
    assert program == Program("auth-sim", ("python", "-m", "simulators.auth_platform", "--webhook-url", "http://h/x y"))
    with pytest.raises(ValueError, match="expected NAME=COMMAND"):
        Program.parse("no command")


async def test_a_dying_process_is_restarted_with_growing_delays_while_another_keeps_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = RestartPolicy(initial=0.01, maximum=0.04, healthy_after=60.0, grace=5.0)
    stop = asyncio.Event()
    delays: list[float] = []

    async def record(event: asyncio.Event, seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 4:
            event.set()

    steady = asyncio.create_task(
        supervise(_python("steady", "import time; print('up', flush=True); time.sleep(60)"), policy, stop, tmp_path)
    )
    caplog.set_level("INFO", logger="supervisor")
    restarts = await supervise(
        _python("crashy", "print('boom'); raise SystemExit(3)"), policy, stop, tmp_path, sleep=record
    )
    assert not steady.done(), "the other process's loop ended with the crashing one"
    assert await asyncio.wait_for(steady, 10) == 0  # stopped (SIGTERM), never restarted

    assert restarts == 4
    assert delays == [0.01, 0.02, 0.04, 0.04]
    assert (tmp_path / "crashy.log").read_text().count("boom") == 4  # one log, appended across restarts
    assert (tmp_path / "steady.log").read_text().count("up") == 1
    exits = [r.getMessage() for r in caplog.records if "crashy" in r.getMessage() and "restart" in r.getMessage()]
    assert "exited with code 3" in exits[0] and "restart 1 in 0.0s" in exits[0], exits
    assert any("steady" in r.getMessage() and "stopped: killed by SIGTERM" in r.getMessage() for r in caplog.records)


async def test_a_process_that_stayed_up_a_while_is_restarted_after_the_first_delay_again(tmp_path: Path) -> None:
    policy = RestartPolicy(initial=0.01, maximum=10.0, healthy_after=0.5, grace=5.0)
    stop = asyncio.Event()
    delays: list[float] = []
    counter = tmp_path / "runs"

    async def record(event: asyncio.Event, seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 4:
            event.set()

    # crashes at once twice, then stays up 0.7 s (healthy), then crashes at once again
    code = (
        f"import pathlib, time; p = pathlib.Path({str(counter)!r}); n = int(p.read_text()) if p.exists() else 0;"
        " p.write_text(str(n + 1)); time.sleep(0.7 if n == 2 else 0); raise SystemExit(1)"
    )
    await supervise(_python("flappy", code), policy, stop, tmp_path, sleep=record)
    assert delays == [0.01, 0.02, 0.01, 0.02]


async def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="supervisor")
    policy = RestartPolicy(grace=0.5)
    stop = asyncio.Event()
    started = tmp_path / "started"
    code = (
        "import pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        f" pathlib.Path({str(started)!r}).touch(); time.sleep(60)"
    )
    running = asyncio.create_task(supervise(_python("stubborn", code), policy, stop, tmp_path))
    deadline = asyncio.get_running_loop().time() + 10
    while not started.exists():
        assert asyncio.get_running_loop().time() < deadline, "the process never started"
        await asyncio.sleep(0.05)
    stop.set()
    assert await asyncio.wait_for(running, 10) == 0
    messages = [r.getMessage() for r in caplog.records]
    assert any("still running 0s after SIGTERM; killing it" in m for m in messages), messages
    assert any("stopped: killed by SIGKILL" in m for m in messages), messages


def test_every_long_running_process_is_restarted_in_a_deployment_as_in_make_run() -> None:
    """docker-compose.yml restarts each hub process unless stopped (the one-shots never); scripts/run.sh hands the
    same processes to the supervisor."""
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    hub = {name: s for name, s in services.items() if str(s.get("image", "")).startswith("${HUB_IMAGE")}
    one_shots = {name for name, s in hub.items() if str(s.get("restart")) == "no"}
    assert one_shots == {"migrate", "topics"}
    long_running = {name: s for name, s in hub.items() if name not in one_shots}
    assert {name: s.get("restart") for name, s in long_running.items()} == dict.fromkeys(long_running, "unless-stopped")
    script = RUN_SCRIPT.read_text(encoding="utf-8")
    assert "-m app.supervisor" in script
    for service in long_running.values():
        command = " ".join(service["command"]).removesuffix(" --at-hour 2")  # run.sh keeps the default hour
        assert f'=$HUB {command}"' in script, f"run.sh does not supervise hub {command}"
