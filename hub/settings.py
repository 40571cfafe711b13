"""Settings of every hub process, read from HUB_* environment variables (documented in README)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.topics import CATALOG, DAY_MS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET = "development-only-secret-never-in-production"
DEVELOPMENT_WEBHOOK_SECRET = "development-auth-platform-webhook-secret"


class Settings(BaseSettings):
    """One Settings for the whole hub; each process reads the part it needs."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub"
    database_pool_size: int = 10
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_client_id: str = "retiree-hub"
    kafka_replication_factor: int = Field(default=1, ge=1)
    # Prefixed to every topic of the catalog and every dead-letter topic ("test.", "bench."), so the test suite,
    # the benchmark and a developer's `make run` can share one broker without consuming each other's events.
    # Empty in production, where the cluster is the hub's own.
    kafka_topic_prefix: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9_-]*\.)?$")
    schemas_dir: Path = PROJECT_ROOT / "schemas"
    event_source: str = "urn:retiree-hub:sjz"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    metrics_port: int | None = None
    secret_key: str = DEVELOPMENT_SECRET
    staff_token_minutes: int = Field(default=30, ge=1, le=720)
    channel_token_minutes: int = Field(default=10, ge=1, le=120)
    # Issue 20 (docs/channel-contract.md): the retiree token an app's assertion buys, the longest an assertion may
    # live, and the pushes to the apps' webhooks (timeout, concurrency, the breaker, how often quiet hours are read).
    channel_retiree_token_minutes: int = Field(default=30, ge=1, le=240)
    channel_assertion_max_seconds: int = Field(default=300, ge=30, le=900)
    channel_push_timeout_seconds: float = Field(default=5.0, gt=0)
    channel_push_concurrency: int = Field(default=32, ge=1, le=512)
    channel_push_breaker_failures: int = Field(default=5, ge=1)
    channel_push_breaker_reset_seconds: float = Field(default=5.0, gt=0)
    channel_quiet_hours_refresh_seconds: float = Field(default=30.0, gt=0)
    # Login hardening (domain/staff/login.py, channels/security.py): lock-out after repeated failures, the
    # per-process login rate limits, password expiry and history.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_failure_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_lockout_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    login_rate_window_seconds: int = Field(default=60, ge=1, le=3600)
    login_rate_per_account: int = Field(default=10, ge=1)
    login_rate_per_address: int = Field(default=60, ge=1)
    password_max_age_days: int = Field(default=90, ge=1, le=3650)
    password_history: int = Field(default=5, ge=1, le=24)

    consumer_batch_max: int = Field(default=500, ge=1, le=10_000)
    consumer_batch_timeout_ms: int = Field(default=100, ge=1)
    inline_retry_attempts: int = Field(default=3, ge=1)
    inline_retry_initial_seconds: float = 0.2
    inline_retry_max_seconds: float = 2.0
    parked_retry_attempts: int = Field(default=8, ge=1)
    parked_retry_initial_seconds: float = 5.0
    parked_retry_max_seconds: float = 600.0
    parked_poll_seconds: float = 1.0

    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_poll_seconds: float = 5.0
    outbox_retention_days: int = Field(default=7, ge=1)
    processed_event_retention_days: int = Field(default=100, ge=1)
    parked_event_retention_days: int = Field(default=90, ge=1)

    monitor_interval_seconds: float = 5.0
    # Prints rendering at once in one API process (channels/printing/threads.py); more wait for a slot.
    print_concurrency: int = Field(default=2, ge=1, le=32)

    # The authentication platform (docs/auth-platform-contract.md): where shares go, the secret its webhook signs with.
    auth_platform_url: str = "http://127.0.0.1:8202"
    auth_platform_token: str = "development-auth-platform-token"
    auth_platform_webhook_secret: str = DEVELOPMENT_WEBHOOK_SECRET
    auth_platform_timeout_seconds: float = Field(default=10.0, gt=0)
    auth_platform_share_batch: int = Field(default=500, ge=1, le=500)
    auth_platform_share_poll_seconds: float = Field(default=2.0, gt=0)
    webhook_tolerance_seconds: int = Field(default=300, ge=30, le=900)

    # The provincial platform (docs/provincial-contract.md): its WSDL (a URL or a file; ``provincial_soap_address``
    # overrides the service address written in it) and its exchange database (a read-only account in production).
    provincial_wsdl_url: str = "http://127.0.0.1:8201/wsdl"
    provincial_soap_address: str | None = None
    provincial_exchange_dsn: str = "postgresql://hub:hub@127.0.0.1:54329/provincial_sim"
    provincial_timeout_seconds: float = Field(default=10.0, gt=0)
    provincial_page_size: int = Field(default=500, ge=1, le=1000)
    provincial_poll_seconds: float = Field(default=1.0, gt=0)
    provincial_exchange_grace_seconds: float = Field(default=60.0, ge=0)
    provincial_breaker_failures: int = Field(default=3, ge=1)
    # Pushes in flight at once, each of a different retiree (order per retiree kept: connectors/provincial/outbound.py).
    provincial_push_concurrency: int = Field(default=8, ge=1, le=64)
    provincial_breaker_reset_seconds: float = Field(default=5.0, gt=0)
    provincial_reconcile_page: int = Field(default=5000, ge=1, le=10_000)
    # Hour (server time) of the nightly whole-range reconciliation run by `hub provincial poll`; -1 turns it off.
    provincial_reconcile_at_hour: int = Field(default=3, ge=-1, le=23)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("HUB_SECRET_KEY must be set to a real secret when HUB_ENVIRONMENT=production")
        if self.environment == "production" and self.auth_platform_webhook_secret == DEVELOPMENT_WEBHOOK_SECRET:
            raise ValueError(
                "HUB_AUTH_PLATFORM_WEBHOOK_SECRET must be the secret shared with the platform in production"
            )
        if len(self.secret_key) < 32:
            raise ValueError("HUB_SECRET_KEY must be at least 32 characters (it signs the HS256 access tokens)")
        longest_topic_days = max(topic.retention_ms for topic in CATALOG) // DAY_MS
        if self.processed_event_retention_days <= longest_topic_days:
            raise ValueError(
                f"HUB_PROCESSED_EVENT_RETENTION_DAYS must exceed the longest topic retention ({longest_topic_days} "
                "days), or a redelivered event could be applied twice"
            )
        return self

    @property
    def psycopg_dsn(self) -> str:
        """The database URL in the form psycopg's own connect() takes (for LISTEN/NOTIFY)."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
