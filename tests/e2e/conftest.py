"""The e2e tier runs the real `hub` processes against the suite's topics (``kafka_topic_prefix`` of the test
settings), which it creates first as `hub topics create` does in a deployment."""

from __future__ import annotations

import asyncio

import pytest

from app.bootstrap import bootstrap_application
from app.migrate import upgrade
from hub.kafka_admin import ensure_topics
from hub.settings import Settings
from seed.go_live import mark_migration_complete_now


@pytest.fixture(scope="session", autouse=True)
def catalog_topics(settings: Settings) -> None:
    async def create() -> None:
        hub = bootstrap_application(settings)
        try:
            await ensure_topics(settings.kafka_bootstrap_servers, hub.catalog, settings.kafka_replication_factor)
        finally:
            await hub.engine.dispose()

    asyncio.run(create())


@pytest.fixture(scope="session", autouse=True)
def go_live(settings: Settings) -> None:
    """Issue 17: the suite's registry is synthetic; the legacy migration is marked complete so the rules run."""
    upgrade(settings)  # the mark's table exists once migrated (a no-op when the database is at head)
    mark_migration_complete_now(settings, "tests")
