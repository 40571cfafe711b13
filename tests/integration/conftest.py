"""Integration tier: real Kafka and PostgreSQL. Fails fast, saying what is missing, when the services are down."""

from __future__ import annotations

import socket

import psycopg
import pytest

from hub.migrate import upgrade
from hub.settings import Settings
from tests.support import ledger


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
    with psycopg.connect(settings.psycopg_dsn, autocommit=True) as connection:
        connection.execute(ledger.DDL)
