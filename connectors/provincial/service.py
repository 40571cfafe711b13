"""The provincial connector's process (`hub provincial poll`): both inbound readers, each in its own loop, and the
nightly whole-range reconciliation, and the replay of the inbound dead letters operators ask for (replay.py). Built
from the narrow parts it uses (settings, sessions, the feed output), which app/ takes from a bootstrapped hub.

A reader that is caught up sleeps ``provincial_poll_seconds``; one with more to read goes on at once; one that fails
(platform down, malformed reply, database or Kafka away) backs off exponentially with jitter and tries the same
position again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from connectors.provincial.client import ProvincialClient
from connectors.provincial.exchange import ExchangeReader
from connectors.provincial.feeds import FeedOutput
from connectors.provincial.inbound import ChangeFeedReader
from connectors.provincial.reconcile import reconcile
from connectors.provincial.replay import InboundReplayer
from hub import metrics
from hub.db import SessionFactory
from hub.retry import Backoff, poll_forever
from hub.schedule import run_daily
from hub.settings import Settings

log = logging.getLogger(__name__)


def client_from(settings: Settings) -> ProvincialClient:
    return ProvincialClient(
        settings.provincial_wsdl_url,
        address=settings.provincial_soap_address,
        timeout=settings.provincial_timeout_seconds,
    )


def exchange_engine(dsn: str) -> AsyncEngine:
    url = dsn if "+psycopg" in dsn else dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_async_engine(url, pool_size=2, pool_pre_ping=True)


@dataclass
class InboundReaders:
    changes: ChangeFeedReader
    exchange: ExchangeReader
    replays: InboundReplayer
    client: ProvincialClient
    exchange_db: AsyncEngine

    @classmethod
    def build(
        cls, settings: Settings, sessions: SessionFactory, output: FeedOutput, client: ProvincialClient | None = None
    ) -> InboundReaders:
        client = client or client_from(settings)
        engine = exchange_engine(settings.provincial_exchange_dsn)
        source = f"{settings.event_source}/provincial"
        return cls(
            ChangeFeedReader(client, output, sessions, source=source, page_size=settings.provincial_page_size),
            ExchangeReader(
                engine,
                output,
                sessions,
                source=source,
                page_size=settings.provincial_page_size,
                grace_seconds=settings.provincial_exchange_grace_seconds,
            ),
            InboundReplayer(output, sessions, source=source),
            client,
            engine,
        )

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        page_size = self.exchange.page_size

        async def next_changes() -> bool:
            return (await self.changes.read_page()).has_more

        async def next_rows() -> bool:
            return await self.exchange.read_page() >= page_size

        async def next_replays() -> bool:
            return await self.replays.replay_requested() > 0

        await asyncio.gather(
            _loop("soap-changes", next_changes, stop, poll_seconds),
            _loop("exchange", next_rows, stop, poll_seconds),
            _loop("dead-letter-replay", next_replays, stop, poll_seconds),
        )

    async def close(self) -> None:
        await self.client.close()
        await self.exchange_db.dispose()


async def _loop(name: str, read: Callable[[], Awaitable[bool]], stop: asyncio.Event, poll_seconds: float) -> None:
    """One reader until stopped (hub/retry.py's one mechanism): the same position is read again after the backoff,
    so nothing is skipped; a failure that is not an outage (a bug, a contract broken) is logged with its traceback
    and counted, and the reader carries on, since the province's feed must not stop for one bad page."""
    await poll_forever(
        f"provincial {name} reader",
        read,
        stop,
        idle_seconds=poll_seconds,
        backoff=Backoff(1.0, 30.0),
        permanent="retry",
    )


# Enough lines for an operator to start from; the full list comes from `hub provincial reconcile`.
LOGGED_DIFFERENCES = 200


async def reconcile_every_night(
    sessions: SessionFactory, client: ProvincialClient, *, page: int, at_hour: int, stop: asyncio.Event
) -> None:
    """The whole range compared every night at ``at_hour``: the differences per cause go to
    ``hub_provincial_reconciliation_differences`` (an alert when not 0), the first of them to the log."""

    async def whole_range() -> None:
        result = await reconcile(sessions, client, page=page, set_metrics=True)
        metrics.provincial_reconciliation_last_run.set_to_current_time()
        for difference in result.differences[:LOGGED_DIFFERENCES]:
            log.warning(
                "reconciliation difference: %s %s (%s): %s",
                difference.personal_number,
                difference.cause.value,
                difference.action.value,
                difference.detail,
            )
        if len(result.differences) > LOGGED_DIFFERENCES:
            log.warning(
                "reconciliation: %d more differences; list them with `hub provincial reconcile`",
                len(result.differences) - LOGGED_DIFFERENCES,
            )

    await run_daily("provincial-reconciliation", whole_range, at_hour, stop)
