"""Writing and verifying the hash-chained audit trail.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical JSON, so changing or
removing any entry breaks every hash after it. Writers take a transaction-scoped advisory lock, read the last hash
and take their ids from the sequence while holding it: the chain order is the id order, and concurrent writers queue
for the length of their transactions only. A bulk job writes its entries in one statement per chunk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit.models import AuditEntry
from domain.shared.actor import Actor

GENESIS = bytes(32)
_COLUMNS = (
    "id",
    "at",
    "actor",
    "actor_role",
    "institution_id",
    "action",
    "retiree_id",
    "target",
    "detail",
    "source_ip",
    "prev_hash",
    "hash",
)
_COPY_FROM = 200  # entries per call from which COPY beats a multi-row INSERT
_CHAIN_LOCK = 0x41554454  # "AUDT": one advisory lock key for the whole chain


@dataclass(frozen=True)
class AuditRecord:
    action: str
    retiree_id: int | None = None
    target: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


def _canonical(entry_id: int, at: datetime, actor: Actor | Mapping[str, Any], record: AuditRecord) -> bytes:
    who = (
        actor
        if isinstance(actor, Mapping)
        else {
            "actor": actor.name,
            "actor_role": actor.role,
            "institution_id": actor.institution_id,
            "source_ip": actor.source,
        }
    )
    document = {
        "id": entry_id,
        "at": at.astimezone(UTC).isoformat(),
        **who,
        "action": record.action,
        "retiree_id": record.retiree_id,
        "target": record.target,
        "detail": dict(record.detail),
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def chain_hash(previous: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(previous + canonical).digest()


async def record(session: AsyncSession, actor: Actor, action: str, **fields: Any) -> None:
    await record_many(session, actor, [AuditRecord(action, **fields)])


async def record_many(session: AsyncSession, actor: Actor, records: Sequence[AuditRecord]) -> None:
    """Append entries in the caller's transaction; they become visible (and the chain lock is released) at commit."""
    if not records:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    previous = (await session.execute(text("SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1"))).scalar()
    ids = (
        (
            await session.execute(
                text("SELECT nextval('audit_entry_id_seq') FROM generate_series(1, :n)"), {"n": len(records)}
            )
        )
        .scalars()
        .all()
    )
    at = datetime.now(UTC)
    chain = previous or GENESIS
    rows = []
    for entry_id, item in zip(sorted(ids), records, strict=True):
        digest = chain_hash(chain, _canonical(entry_id, at, actor, item))
        who = (actor.name, actor.role, actor.institution_id)
        what = (item.action, item.retiree_id, item.target, dict(item.detail))
        rows.append((entry_id, at, *who, *what, actor.source, chain, digest))
        chain = digest
    if len(rows) < _COPY_FROM:
        await session.execute(insert(AuditEntry), [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
        return
    # A bulk job's entries go in with COPY on the session's own connection: same transaction, a fraction of the cost.
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    async with driver.cursor() as cursor, cursor.copy(f"COPY audit_entry ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            await copy.write_row((*row[:8], Jsonb(row[8]), *row[9:]))


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
        rows = (
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)
                )
            )
            .scalars()
            .all()
        )
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
        who = {
            "actor": entry.actor,
            "actor_role": entry.actor_role,
            "institution_id": entry.institution_id,
            "source_ip": entry.source_ip,
        }
        item = AuditRecord(entry.action, entry.retiree_id, entry.target, entry.detail)
        if chain_hash(entry.prev_hash, _canonical(entry.id, entry.at, who, item)) != entry.hash:
            return ChainReport(count, entry.id, "记录内容与哈希不一致：该记录被修改")
        expected_previous = entry.hash
    return ChainReport(count, None, None)
