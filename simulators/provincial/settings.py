"""Settings of the provincial simulator, read from SIM_PROVINCIAL_* environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/provincial_sim"


class SimulatorSettings(BaseSettings):
    """The simulator's own database, where it listens, and the optional background change rate."""

    model_config = SettingsConfigDict(env_prefix="SIM_PROVINCIAL_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8201
    # Background generator: changes per second of mixed kinds; 0 turns it off.
    rate: float = Field(default=0.0, ge=0.0)
    # Service address written into the WSDL; empty = derived from the request's own URL.
    public_url: str = ""
    log_level: str = "info"
