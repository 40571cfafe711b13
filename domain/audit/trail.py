"""Writing and verifying the hash-chained audit trail.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical form, so changing or
removing any entry breaks every hash after it. Writers take a transaction-scoped advisory lock, read the last hash
and take their ids from the sequence while holding it: the chain order is the id order, and concurrent writers queue
for the length of their transactions only.

A bulk job (a rule over 500,000 retirees, a yearly adjustment) writes one entry per chunk naming every retiree it
touched (``retiree_ids``, GIN-indexed), not one entry per retiree: "who did what to whom" stays answerable per
retiree at a small fraction of the cost. The job's own tables hold the per-retiree values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit.models import AuditEntry
from domain.shared.actor import Actor

GENESIS = bytes(32)
_CHAIN_LOCK = 0x41554454  # "AUDT": one advisory lock key for the whole chain
_SEPARATOR = "\x1f"  # ASCII unit separator: never typed into a field by a person
_CHAIN_HEAD = text("SELECT prev_hash, ids FROM audit_chain_head(:key, :n)")
_APPEND = insert(AuditEntry.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AuditRecord:
    action: str
    retiree_id: int | None = None
    target: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    retiree_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Who:
    actor: str
    actor_role: str | None
    institution_id: int | None
    source_ip: str | None

    @classmethod
    def of(cls, actor: Actor) -> Who:
        return cls(actor.name, actor.role, actor.institution_id, actor.source)


def _field(value: object) -> str:
    return "\x00" if value is None else str(value)


def canonical(entry_id: int, at: datetime, who: Who, record: AuditRecord) -> bytes:
    """A deterministic byte form of everything an entry says (None and "" kept apart)."""
    parts = (
        entry_id,
        at.astimezone(UTC).isoformat(),
        who.actor,
        who.actor_role,
        who.institution_id,
        who.source_ip,
        record.action,
        record.retiree_id,
        record.target,
        json.dumps(dict(record.detail), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str),
        ",".join(map(str, record.retiree_ids)),
    )
    return _SEPARATOR.join(map(_field, parts)).encode()


def chain_hash(previous: bytes, canonical_form: bytes) -> bytes:
    return hashlib.sha256(previous + canonical_form).digest()


async def record(session: AsyncSession, actor: Actor, action: str, **fields: Any) -> None:
    await record_many(session, actor, [AuditRecord(action, **fields)])


async def record_bulk(
    session: AsyncSession,
    actor: Actor,
    action: str,
    retiree_ids: Sequence[int],
    detail: Mapping[str, Any] | None = None,
) -> None:
    """One entry for a chunk of a bulk job, naming every retiree it touched."""
    if retiree_ids:
        details = {"count": len(retiree_ids), **(detail or {})}
        await record_many(session, actor, [AuditRecord(action, detail=details, retiree_ids=tuple(retiree_ids))])


async def record_many(session: AsyncSession, actor: Actor, records: Sequence[AuditRecord]) -> None:
    """Append entries in the caller's transaction; they become visible (and the chain lock is released) at commit."""
    if not records:
        return
    # One round trip (migration 0008): the chain lock, the last hash and the new ids, in that order.
    head = (await session.execute(_CHAIN_HEAD, {"key": _CHAIN_LOCK, "n": len(records)})).one()
    previous, ids = head.prev_hash, head.ids
    at = datetime.now(UTC)
    who = Who.of(actor)
    chain = previous or GENESIS
    rows = []
    for entry_id, item in zip(sorted(ids), records, strict=True):
        digest = chain_hash(chain, canonical(entry_id, at, who, item))
        rows.append(
            {
                "id": entry_id,
                "at": at,
                "actor": who.actor,
                "actor_role": who.actor_role,
                "institution_id": who.institution_id,
                "source_ip": who.source_ip,
                "action": item.action,
                "retiree_id": item.retiree_id,
                "target": item.target,
                "detail": dict(item.detail),
                "retiree_ids": list(item.retiree_ids) or None,
                "prev_hash": chain,
                "hash": digest,
            }
        )
        chain = digest
    await session.execute(_APPEND, rows)  # Core, not ORM bulk: the statement is compiled once and cached


def about_retiree(retiree_id: int) -> Any:
    """The condition "this entry concerns the retiree", whether alone or as one of a bulk job's chunk."""
    return or_(col(AuditEntry.retiree_id) == retiree_id, col(AuditEntry.retiree_ids).contains([retiree_id]))


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_id: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


async def _entries(session: AsyncSession, batch: int) -> AsyncIterator[AuditEntry]:
    after = 0
    while True:
        query = select(AuditEntry).where(col(AuditEntry.id) > after).order_by(col(AuditEntry.id)).limit(batch)
        rows = (await session.execute(query)).scalars().all()
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].id or after
        session.expunge_all()


async def verify_chain(session: AsyncSession, batch: int = 5000) -> ChainReport:
    """Walk the whole trail in id order, recomputing every hash; report the first entry that does not match."""
    expected_previous = GENESIS
    count = 0
    async for entry in _entries(session, batch):
        count += 1
        assert entry.id is not None
        if entry.prev_hash != expected_previous:
            return ChainReport(count, entry.id, "上一条记录的哈希不一致：有记录被删除或插入")
        who = Who(entry.actor, entry.actor_role, entry.institution_id, entry.source_ip)
        item = AuditRecord(entry.action, entry.retiree_id, entry.target, entry.detail, tuple(entry.retiree_ids or ()))
        if chain_hash(entry.prev_hash, canonical(entry.id, entry.at, who, item)) != entry.hash:
            return ChainReport(count, entry.id, "记录内容与哈希不一致：该记录被修改")
        expected_previous = entry.hash
    return ChainReport(count, None, None)
