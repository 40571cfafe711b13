"""Integration tier: real Kafka and PostgreSQL. Fails fast, saying what is missing, when the services are down."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest

from channels.api import create_app
from domain.dictionary.service import ensure_builtin
from hub.bootstrap import Hub, bootstrap
from hub.kafka_admin import ensure_topics
from hub.migrate import upgrade
from hub.settings import Settings
from tests.support import ledger
from tests.support.api import Api


async def _dictionary(settings: Settings) -> None:
    hub = bootstrap(settings, consumer_groups=())
    async with hub.sessions() as session, session.begin():
        await ensure_builtin(session)
    await hub.engine.dispose()


async def _catalog_topics(settings: Settings) -> None:
    hub = bootstrap(settings)
    await ensure_topics(settings.kafka_bootstrap_servers, hub.catalog, settings.kafka_replication_factor)
    await hub.engine.dispose()


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def services_ready(settings: Settings) -> None:
    broker = settings.kafka_bootstrap_servers.split(",")[0]
    if not _reachable(broker):
        pytest.fail(f"Kafka is not reachable at {broker}: run `scripts/services.sh start` (make test does)")
    try:
        with psycopg.connect(settings.psycopg_dsn, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable ({error}): run `scripts/services.sh start` (make test does)")
    upgrade(settings)
    # As `hub topics create` does in every deployment: without the catalog's topics, the relay would hold back
    # whatever the API tests write to the outbox.
    asyncio.run(_catalog_topics(settings))
    asyncio.run(_dictionary(settings))
    with psycopg.connect(settings.psycopg_dsn, autocommit=True) as connection:
        connection.execute(ledger.DDL)


@pytest.fixture(scope="session")
async def registry_hub(settings: Settings) -> AsyncIterator[Hub]:
    """The hub as the API process wires it, on the test database."""
    hub = bootstrap(settings, consumer_groups=())
    yield hub
    await hub.engine.dispose()


@pytest.fixture
async def api(registry_hub: Hub, settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings, hub=registry_hub)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        yield Api(client)
