"""Database engines and sessions, built by bootstrap() and passed in; nothing is connected at import time."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

from hub.settings import Settings

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=True,
    )


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


async def wait_for_database(engine: AsyncEngine, timeout_seconds: float = 60.0) -> None:
    """Wait for PostgreSQL to accept connections (a prestart step), backing off between tries."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(OperationalError),
        wait=wait_exponential_jitter(initial=0.2, max=5.0),
        stop=stop_after_delay(timeout_seconds),
        reraise=True,
    ):
        with attempt:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
