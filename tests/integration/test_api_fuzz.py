"""The schemathesis fuzzer against the served OpenAPI finds no 5xx (issue: registry) and no status an operation does
not document (issue 13): the API process runs for real (``hub api``) on the test database, and every operation is
called with generated valid and invalid input, once as a city-level operator and once, for the channel API, as a
channel client. Logout is left out of the operator's run: it would revoke the one token the run uses."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.bootstrap import Hub
from hub.settings import Settings
from tests import factories

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def api_process(settings: Settings) -> Iterator[str]:
    port = _free_port()
    env = os.environ | {
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_ENVIRONMENT": "test",
        "HUB_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "api", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                output = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"hub api did not start: {output}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _fuzz(base: str, token: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis",
        "run",
        f"{base}/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        "15",
        "--seed",
        "20261123",
        "--phases",
        "examples,coverage,fuzzing",
        "--request-timeout",
        "10",
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)


async def test_no_operation_answers_with_a_server_error(api_process: str, registry_hub: Hub) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        staff = await factories.account(session, tree.city, "operator")
        await factories.retiree(session, tree.communities[0])
    async with httpx.AsyncClient(base_url=api_process) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": staff.username, "password": factories.PASSWORD}
        )
    token = login.json()["access_token"]
    # The printed documents of channels/printing (.pdf, .xlsx) are left out: a city operator's print renders up to
    # 20,000 rows of the shared test database per example, which kept the fuzzer past its budget; their lists are
    # fuzzed, and the prints are read back by their integration tests.
    prints = r"\.(pdf|\{fmt\})$|/(notice|summary)\.xlsx$"
    result = await asyncio.to_thread(
        _fuzz, api_process, token, "--exclude-path-regex", rf"^/channel/|/auth/logout$|{prints}"
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


async def test_no_channel_operation_answers_with_a_server_error(api_process: str, registry_hub: Hub) -> None:
    from argon2 import PasswordHasher

    from domain.staff.models import ChannelClient

    client_id = factories.code("fuzz")
    async with registry_hub.sessions() as session, session.begin():
        session.add(ChannelClient(client_id=client_id, name="fuzz", secret_hash=PasswordHasher().hash("FuzzSecret123")))
    async with httpx.AsyncClient(base_url=api_process) as client:
        answer = await client.post("/channel/v1/token", json={"client_id": client_id, "client_secret": "FuzzSecret123"})
    token = answer.json()["access_token"]
    result = await asyncio.to_thread(_fuzz, api_process, token, "--include-path-regex", "^/channel/")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
