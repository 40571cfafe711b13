"""Test tiers (see pyproject markers): unit tests need nothing; integration tests need the services that
``make test`` starts (scripts/services.sh) and share one migrated test database."""

from __future__ import annotations

import os

import pytest

from hub.settings import Settings

TEST_DATABASE_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_test"


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings for tests: the test database, and short backoffs so retry paths run in seconds."""
    return Settings(
        environment="test",
        database_url=os.environ.get("HUB_TEST_DATABASE_URL", TEST_DATABASE_URL),
        kafka_bootstrap_servers=os.environ.get("HUB_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        # The suite's own topics: `make run` and the benchmark share the broker and never see the tests' events.
        kafka_topic_prefix=os.environ.get("HUB_TEST_KAFKA_TOPIC_PREFIX", "test."),
        inline_retry_initial_seconds=0.05,
        inline_retry_max_seconds=0.2,
        parked_retry_initial_seconds=0.3,
        parked_retry_max_seconds=2.0,
        parked_retry_attempts=6,
        parked_poll_seconds=0.2,
        outbox_poll_seconds=1.0,
        consumer_batch_timeout_ms=50,
    )
