"""The FastStream Kafka broker every hub process uses: durable producers, no topic auto-creation."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from hub.settings import Settings


def create_broker(settings: Settings, client_suffix: str = "") -> KafkaBroker:
    """A broker whose producer waits for all in-sync replicas (acks=all) and is idempotent, so a retried send
    never duplicates or reorders messages within a partition."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"{settings.kafka_client_id}{client_suffix}",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        compression_type=None,
        allow_auto_create_topics=False,
        request_timeout_ms=30_000,
        retry_backoff_ms=200,
        graceful_timeout=15.0,
    )
