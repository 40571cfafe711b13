"""Settings of the authentication-platform simulator, read from SIM_AUTH_* environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthPlatformSettings(BaseSettings):
    """Where the simulator listens, the hub's webhook and shared secrets, and the optional background rate."""

    model_config = SettingsConfigDict(env_prefix="SIM_AUTH_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8202
    webhook_url: str = "http://127.0.0.1:8000/api/v1/auth-platform/face-results"
    webhook_secret: str = "development-auth-platform-webhook-secret"
    # The bearer token the hub must present when sharing retirees.
    token: str = "development-auth-platform-token"
    # Background emission: face results per second for shared persons; 0 turns it off.
    rate: float = Field(default=0.0, ge=0.0)
    log_level: str = "info"
