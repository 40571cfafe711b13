"""The local runner's supervisor (`make run`, scripts/run.sh): every process in its own restart loop, as
docker-compose's ``restart: unless-stopped`` does in a deployment.

A process that exits (crash, SIGKILL, a bug that surfaced) is started again after a delay that doubles from
``initial`` up to ``maximum`` and starts from ``initial`` again once the process had stayed up ``healthy_after``
seconds; each exit is logged with its code and the delay. The others keep running. SIGINT/SIGTERM stop them all:
SIGTERM to each, SIGKILL to any still running ``grace`` seconds later. Each process runs in its own session, so a
Ctrl-C in the terminal reaches the supervisor only and the processes are stopped in order, never restarted.

    python -m app.supervisor --logs .local/logs "api=.venv/bin/hub api" "worker=.venv/bin/hub worker" ...
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.retry import sleep_or_stop

log = logging.getLogger("supervisor")


@dataclass(frozen=True)
class Program:
    name: str
    argv: tuple[str, ...]

    @classmethod
    def parse(cls, spec: str) -> Program:
        """``NAME=COMMAND ARGS…`` (the command split as a shell would)."""
        name, _, command = spec.partition("=")
        if not name or not command.strip():
            raise ValueError(f"expected NAME=COMMAND, got {spec!r}")
        return cls(name.strip(), tuple(shlex.split(command)))


@dataclass(frozen=True)
class RestartPolicy:
    initial: float = 1.0
    maximum: float = 60.0
    healthy_after: float = 60.0
    grace: float = 30.0

    def next_delay(self, previous: float | None, uptime: float) -> float:
        """The delay before the next start: ``initial`` after a process that stayed up ``healthy_after`` (or the
        first time), twice the previous one otherwise, never more than ``maximum``."""
        if previous is None or uptime >= self.healthy_after:
            return self.initial
        return min(previous * 2, self.maximum)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name} ({code})"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


Sleep = Callable[[asyncio.Event, float], Awaitable[None]]


async def supervise(
    program: Program, policy: RestartPolicy, stop: asyncio.Event, logs: Path, *, sleep: Sleep = sleep_or_stop
) -> int:
    """Run ``program`` until ``stop``, starting it again whenever it exits; return how many restarts it took."""
    loop = asyncio.get_running_loop()
    delay: float | None = None
    restarts = 0
    while not stop.is_set():
        started = loop.time()
        with (logs / f"{program.name}.log").open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                *program.argv, stdout=output, stderr=asyncio.subprocess.STDOUT, start_new_session=True
            )
        log.info("%s started (pid %d)", program.name, process.pid)
        exited = asyncio.ensure_future(process.wait())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not exited.done():
            await _terminate(program, process, exited, policy.grace)
            break
        code, uptime = exited.result(), loop.time() - started
        if stop.is_set():
            log.info("%s (pid %d) %s while stopping", program.name, process.pid, describe_exit(code))
            break
        delay = policy.next_delay(delay, uptime)
        restarts += 1
        log.warning(
            "%s (pid %d) %s after %.1fs; restart %d in %.1fs",
            program.name,
            process.pid,
            describe_exit(code),
            uptime,
            restarts,
            delay,
        )
        await sleep(stop, delay)
    return restarts


async def _terminate(
    program: Program, process: asyncio.subprocess.Process, exited: asyncio.Future[int], grace: float
) -> None:
    process.terminate()
    try:
        code = await asyncio.wait_for(asyncio.shield(exited), grace)
    except TimeoutError:
        log.warning("%s (pid %d) still running %.0fs after SIGTERM; killing it", program.name, process.pid, grace)
        process.kill()
        code = await exited
    log.info("%s (pid %d) stopped: %s", program.name, process.pid, describe_exit(code))


async def run_all(programs: Sequence[Program], policy: RestartPolicy, logs: Path) -> None:
    """Supervise every program until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await asyncio.gather(*(supervise(program, policy, stop, logs) for program in programs))
    log.info("every process stopped")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.supervisor", description=__doc__.splitlines()[0])
    parser.add_argument("programs", nargs="+", metavar="NAME=COMMAND", help="a process to run and keep running")
    parser.add_argument("--logs", type=Path, required=True, help="folder of NAME.log (appended to across restarts)")
    parser.add_argument("--restart-initial", type=float, default=RestartPolicy.initial, help="first delay (s)")
    parser.add_argument("--restart-max", type=float, default=RestartPolicy.maximum, help="longest delay (s)")
    parser.add_argument(
        "--healthy-after", type=float, default=RestartPolicy.healthy_after, help="uptime (s) that resets the delay"
    )
    parser.add_argument("--grace", type=float, default=RestartPolicy.grace, help="SIGTERM to SIGKILL (s)")
    args = parser.parse_args(argv)
    try:
        programs = [Program.parse(spec) for spec in args.programs]
    except ValueError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    args.logs.mkdir(parents=True, exist_ok=True)
    policy = RestartPolicy(args.restart_initial, args.restart_max, args.healthy_after, args.grace)
    asyncio.run(run_all(programs, policy, args.logs))


if __name__ == "__main__":
    main()
