"""The provincial platform simulator served in-process (a uvicorn thread on a free port) for integration tests."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn

from simulators.provincial.app import create_app
from simulators.provincial.settings import SimulatorSettings

TEST_DATABASE_URL = os.environ.get(
    "SIM_PROVINCIAL_TEST_DATABASE_URL", "postgresql+psycopg://hub:hub@127.0.0.1:54329/provincial_sim_test"
)


_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now that this process has not handed out before: the kernel may give the same free
    port twice in a row, and two servers told one port collide — worse, a health check then passes against the other
    one (a Prometheus metrics server answers every path), as a resilience run once found its API on the relay's
    metrics port."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


@contextlib.contextmanager
def serve_simulator(database_url: str = TEST_DATABASE_URL) -> Iterator[str]:
    """Yields the simulator's base URL; its WSDL is at ``/wsdl``."""
    port = free_port()
    settings = SimulatorSettings(database_url=database_url, port=port)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the provincial simulator did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def platform_pushes(admin: httpx.AsyncClient, personal_number: str) -> list[dict[str, Any]]:
    """The records the platform (simulator) received for a person (its AAC001)."""
    response = await admin.get("/admin/pushes", params={"aac001": personal_number})
    response.raise_for_status()
    pushes: list[dict[str, Any]] = response.json()["pushes"]
    return pushes
