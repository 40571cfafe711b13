"""Settings of the channel-app simulator, read from SIM_CHANNEL_* environment variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRETS = "shiimin=development-shiimin-signing-secret,sjzrs=development-sjzrs-signing-secret"


class ChannelAppSettings(BaseSettings):
    """Where the simulator listens and each app's signing secret (``client_id=secret`` pairs, comma-separated;
    more can be registered at run time through ``PUT /admin/clients/{client_id}``)."""

    model_config = SettingsConfigDict(env_prefix="SIM_CHANNEL_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8203
    secrets: str = DEVELOPMENT_SECRETS
    tolerance_seconds: int = 300
    log_level: str = "info"

    def secret_map(self) -> dict[str, str]:
        pairs = (item.split("=", 1) for item in self.secrets.split(",") if "=" in item)
        return {client.strip(): secret.strip() for client, secret in pairs}
