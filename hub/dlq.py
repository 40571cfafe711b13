"""Operators' view of dead letters: list them, replay them (by id or by filter), or discard them.

A replay marks the dead rows ``replay`` and notifies the group's workers, which apply them through the same path
as any event (so a replayed event that was somehow applied already changes nothing). Discarding accepts the loss
of an event after review and lets the events waiting behind it flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

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

    def apply(self, query: Select[tuple[ParkedEvent]] | Select[tuple[int]]) -> Select:  # type: ignore[type-arg]
        conditions = [ParkedEvent.status == "dead"]
        if self.ids:
            conditions.append(ParkedEvent.id.in_(self.ids))  # type: ignore[union-attr]
        if self.group:
            conditions.append(ParkedEvent.consumer_group == self.group)
        if self.topic:
            conditions.append(ParkedEvent.topic == self.topic)
        if self.key:
            conditions.append(ParkedEvent.event_key == self.key)
        if self.error_type:
            conditions.append(ParkedEvent.error_type == self.error_type)
        if self.since:
            conditions.append(ParkedEvent.dead_lettered_at >= self.since)  # type: ignore[operator]
        return query.where(*conditions)


async def list_dead_letters(session: AsyncSession, where: DeadLetterFilter, limit: int = 100) -> list[ParkedEvent]:
    query = where.apply(select(ParkedEvent)).order_by(ParkedEvent.id).limit(limit)  # type: ignore[arg-type]
    return list((await session.execute(query)).scalars())


async def waiting_behind(session: AsyncSession, dead: ParkedEvent) -> int:
    """How many later events of the same key wait for this dead letter."""
    query = select(func.count()).where(
        ParkedEvent.consumer_group == dead.consumer_group,
        ParkedEvent.event_key == dead.event_key,
        ParkedEvent.status == "waiting",
    )
    return int((await session.execute(query)).scalar_one())


async def _change_status(session: AsyncSession, where: DeadLetterFilter, status: str) -> list[int]:
    if where.is_empty():
        raise ValueError("refusing to touch every dead letter: give ids or a filter")
    ids = [int(i) for i in (await session.execute(where.apply(select(ParkedEvent.id)))).scalars()]
    if ids:
        values: dict[str, object] = {"status": status}
        if status == "discarded":
            values["resolved_at"] = text("now()")
        await session.execute(update(ParkedEvent).where(ParkedEvent.id.in_(ids)).values(**values))  # type: ignore[union-attr]
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": PARKED_CHANNEL})
    return ids


async def request_replay(session: AsyncSession, where: DeadLetterFilter) -> list[int]:
    """Ask the workers to apply these dead letters again; returns the ids marked."""
    return await _change_status(session, where, "replay")


async def discard(session: AsyncSession, where: DeadLetterFilter) -> list[int]:
    """Give up on these dead letters after review, releasing the events of their keys that wait behind them."""
    return await _change_status(session, where, "discarded")


async def statuses(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    rows = await session.execute(select(ParkedEvent.id, ParkedEvent.status).where(ParkedEvent.id.in_(ids)))  # type: ignore[union-attr]
    return {int(row.id): str(row.status) for row in rows}
