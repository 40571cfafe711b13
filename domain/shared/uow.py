"""The unit of work the domain's services run in: one open database transaction, and a way to publish the events a
change causes through the transactional outbox. The hub provides it (hub/consumer.py); tests can pass their own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class UnitOfWork(Protocol):
    @property
    def session(self) -> AsyncSession: ...

    async def publish(
        self, event_type: str, subject: str, data: Mapping[str, Any], *, occurred_at: datetime | None = None
    ) -> str:
        """Write an event to the outbox in the current transaction; returns its id."""
        ...

    async def publish_many(
        self, event_type: str, items: Sequence[tuple[str, Mapping[str, Any]]], *, occurred_at: datetime | None = None
    ) -> list[str]:
        """Write many events of one type (subject, data) to the outbox in one statement; returns their ids in order."""
        ...

    def caused_by(self, event_id: str) -> UnitOfWork:
        """The same transaction, publishing as caused by the inbound event ``event_id``: for one event of a set-based
        run handled on its own, so that what it publishes carries that event's correlation id and fact time, as a
        one-by-one handler's would."""
        ...
