"""Operators' view of dead letters: list them, replay them (by id or by filter), or discard them.

A replay marks the dead rows ``replay`` and notifies the group's workers, which apply them through the same path
as any event (so a replayed event that was somehow applied already changes nothing). Discarding accepts the loss
of an event after review and lets the events waiting behind it flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from hub.models import PARKED_CHANNEL, ParkedEvent


@dataclass(frozen=True)
class DeadLetterFilter:
    ids: tuple[int, ...] = ()
    group: str | None = None
    topic: str | None = None
    key: str | None = None
    error_type: str | None = None
    since: datetime | None = None

    def is_empty(self) -> bool:
        return not (self.ids or self.group or self.topic or self.key or self.error_type or self.since)

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = [col(ParkedEvent.status) == "dead"]
        if self.ids:
            conditions.append(col(ParkedEvent.id).in_(self.ids))
        if self.group:
            conditions.append(col(ParkedEvent.consumer_group) == self.group)
        if self.topic:
            conditions.append(col(ParkedEvent.topic) == self.topic)
        if self.key:
            conditions.append(col(ParkedEvent.event_key) == self.key)
        if self.error_type:
            conditions.append(col(ParkedEvent.error_type) == self.error_type)
        if self.since:
            conditions.append(col(ParkedEvent.dead_lettered_at) >= self.since)
        return conditions


async def list_dead_letters(session: AsyncSession, where: DeadLetterFilter, limit: int = 100) -> list[ParkedEvent]:
    query = select(ParkedEvent).where(*where.conditions()).order_by(col(ParkedEvent.id)).limit(limit)
    return list((await session.execute(query)).scalars())


async def waiting_behind(session: AsyncSession, dead: ParkedEvent) -> int:
    """How many later events of the same topic and key wait for this dead letter."""
    query = select(func.count()).where(
        col(ParkedEvent.consumer_group) == dead.consumer_group,
        col(ParkedEvent.topic) == dead.topic,
        col(ParkedEvent.event_key) == dead.event_key,
        col(ParkedEvent.status) == "waiting",
    )
    return int((await session.execute(query)).scalar_one())


async def _change_status(session: AsyncSession, where: DeadLetterFilter, status: str) -> list[int]:
    if where.is_empty():
        raise ValueError("refusing to touch every dead letter: give ids or a filter")
    found = await session.execute(select(col(ParkedEvent.id)).where(*where.conditions()))
    ids = [i for i in found.scalars() if i is not None]
    if ids:
        values: dict[str, object] = {"status": status}
        if status == "discarded":
            values["resolved_at"] = text("now()")
        await session.execute(update(ParkedEvent).where(col(ParkedEvent.id).in_(ids)).values(**values))
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": PARKED_CHANNEL})
    return ids


async def request_replay(session: AsyncSession, where: DeadLetterFilter) -> list[int]:
    """Ask the workers to apply these dead letters again; returns the ids marked."""
    return await _change_status(session, where, "replay")


async def discard(session: AsyncSession, where: DeadLetterFilter) -> list[int]:
    """Give up on these dead letters after review, releasing the events of their keys that wait behind them."""
    return await _change_status(session, where, "discarded")


async def statuses(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    rows = await session.execute(
        select(col(ParkedEvent.id), col(ParkedEvent.status)).where(col(ParkedEvent.id).in_(ids))
    )
    return {int(row.id): str(row.status) for row in rows}
