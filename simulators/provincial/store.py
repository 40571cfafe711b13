"""The simulator's database access (SQLAlchemy 2 async, psycopg 3): the change feed, retirees, received business
records and the exchange table, plus the generators the admin endpoints and the background task drive.

Change records are written under one transaction-level advisory lock, so ``seq`` order is commit order and a
reader paging by ``seq > cursor`` never skips a record that commits late."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from simulators.provincial import generator
from simulators.provincial.generator import Payload
from simulators.provincial.models import (
    EXCHANGE_SCHEMA,
    RETIREE_FIELDS,
    business_record,
    change_record,
    metadata,
    person_change,
    person_change_row_id,
    platform_org,
    platform_retiree,
    retiree_number,
)
from simulators.provincial.soap import ChangeOut

_FEED_LOCK = 0x50524F56  # "PROV": serialises writers of the change feed
_DATE_FIELDS = frozenset(("aac006", "aic162", "aic160"))
_MUTABLE_FIELDS = (*(f for f in RETIREE_FIELDS if f != "aac001"), "status_code")
# Business records the platform applies to its own view of the person: (aae116, status_code) to set.
_BUSINESS_EFFECTS: dict[str, dict[str, str]] = {
    "SUSPEND": {"aae116": "2"},
    "RESUME": {"aae116": "1"},
    "DEATH": {"aae116": "3", "status_code": "2"},
    "TRANSFER_OUT": {"status_code": "3"},
    "TRANSFER_IN": {"status_code": "1"},
    "REGISTER": {"status_code": "1"},
}
# An ERROR_RESTORE undoes the record it reverses (``reversesRecord``): what to set, by the reversed business type.
# A transfer cancelled before it was taken in (4.4, reason TCAN) is the restoration of its TRANSFER_OUT.
_RESTORE_EFFECTS: dict[str, dict[str, str]] = {
    "TRANSFER_OUT": {"status_code": "1"},
    "TRANSFER_IN": {"status_code": "3"},
}


class SimulatorError(Exception):
    """An admin request that cannot be served (HTTP 404/409 with ``message``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CreatedChange:
    seq: int
    record_id: str
    kind: str
    aac001: str | None


def digest(retiree: Mapping[str, str | None], status_code: str) -> str:
    """SHA-256 (hex) of the base info, payment status and status code joined with "|" in the contract's field
    order (absent fields as empty strings): changes whenever any of them changes."""
    values = [retiree.get(name) or "" for name in RETIREE_FIELDS]
    return hashlib.sha256("|".join([*values, status_code]).encode()).hexdigest()


def _to_row(retiree: Mapping[str, str | None]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in retiree.items():
        if name in _DATE_FIELDS and value:
            row[name] = date.fromisoformat(value)
        elif name == "aic166" and value is not None:
            row[name] = Decimal(value)
        else:
            row[name] = value
    return row


def _from_row(row: Mapping[Any, Any]) -> Payload:
    retiree: Payload = {}
    for name in (*RETIREE_FIELDS, "status_code"):
        value = row[name]
        if value is None:
            continue
        if isinstance(value, Decimal):
            retiree[name] = f"{value:.2f}"
        elif isinstance(value, date):
            retiree[name] = value.isoformat()
        else:
            retiree[name] = str(value)
    return retiree


class Store:
    """One engine on the simulator's database."""

    def __init__(self, database_url: str, pool_size: int = 10) -> None:
        self.engine: AsyncEngine = create_async_engine(database_url, pool_size=pool_size, pool_pre_ping=True)

    async def create(self) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {EXCHANGE_SCHEMA}"))
            await connection.run_sync(metadata.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def reset(self, first_number: int = 1) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                text(
                    "TRUNCATE platform_retiree, change_record, business_record, platform_org, "
                    f"{EXCHANGE_SCHEMA}.person_change RESTART IDENTITY"
                )
            )
            await connection.execute(text(f"ALTER SEQUENCE {EXCHANGE_SCHEMA}.person_change_row_id_seq RESTART"))
            await connection.execute(text(f"ALTER SEQUENCE retiree_number_seq RESTART WITH {int(first_number)}"))

    # SOAP operations ---------------------------------------------------------------------------------------------

    async def append_raw_change(self, kind: str, aac001: str | None, payload: Payload) -> tuple[int, str]:
        """One feed record with exactly this payload (fault injection: the platform's own data is wrong)."""
        record_id = str(uuid.uuid4())
        async with self.engine.begin() as connection:
            await connection.execute(select(func.pg_advisory_xact_lock(_FEED_LOCK)))
            seq = (
                await connection.execute(
                    change_record.insert()
                    .values(
                        record_id=record_id,
                        kind=kind,
                        aac001=aac001,
                        changed_at=generator.changed_at(random.Random()),
                        payload=payload,
                    )
                    .returning(change_record.c.seq)
                )
            ).scalar_one()
        return int(seq), record_id

    async def append_raw_changes(self, kind: str, records: Sequence[tuple[str, Payload]]) -> None:
        """Feed records exactly as given, of one kind, in one transaction (the benchmark's platform-side load)."""
        async with self.engine.begin() as connection:
            await connection.execute(select(func.pg_advisory_xact_lock(_FEED_LOCK)))
            await connection.execute(
                change_record.insert(),
                [
                    {
                        "record_id": str(uuid.uuid4()),
                        "kind": kind,
                        "aac001": aac001,
                        "changed_at": generator.changed_at(random.Random()),
                        "payload": payload,
                    }
                    for aac001, payload in records
                ],
            )

    async def changes_after(
        self, cursor: int, kinds: Sequence[str], limit: int
    ) -> tuple[list[tuple[int, ChangeOut]], bool]:
        """Up to ``limit`` (seq, record) with seq > ``cursor`` in seq order, of ``kinds`` (all when empty), and
        whether more follow."""
        query = select(change_record).where(change_record.c.seq > cursor).order_by(change_record.c.seq)
        if kinds:
            query = query.where(change_record.c.kind.in_(kinds))
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query.limit(limit + 1))).mappings().all()
        records = [
            (row["seq"], ChangeOut(row["record_id"], row["kind"], row["changed_at"], row["payload"]))
            for row in rows[:limit]
        ]
        return records, len(rows) > limit

    async def retiree(self, aac001: str) -> Payload | None:
        async with self.engine.connect() as connection:
            row = (
                (await connection.execute(select(platform_retiree).where(platform_retiree.c.aac001 == aac001)))
                .mappings()
                .first()
            )
        return None if row is None else _from_row(row)

    async def push(self, record: Payload) -> tuple[str, bool]:
        """Stores a business record unless its idempotency key was seen: (receipt number, duplicate)."""
        receipt = f"HB{datetime.now():%Y%m%d}{uuid.uuid4().hex[:12].upper()}"
        async with self.engine.begin() as connection:
            inserted = (
                await connection.execute(
                    pg_insert(business_record)
                    .values(
                        idempotency_key=record["idempotencyKey"],
                        receipt_no=receipt,
                        aac001=record["aac001"],
                        business_type=record["businessType"],
                        payload=record,
                    )
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                    .returning(business_record.c.receipt_no)
                )
            ).scalar_one_or_none()
            if inserted is None:
                first = (
                    await connection.execute(
                        select(business_record.c.receipt_no).where(
                            business_record.c.idempotency_key == record["idempotencyKey"]
                        )
                    )
                ).scalar_one()
                return first, True
            effect = _BUSINESS_EFFECTS.get(record["businessType"])
            if record["businessType"] == "ERROR_RESTORE" and record.get("reversesRecord"):
                reversed_type = (
                    await connection.execute(
                        select(business_record.c.business_type).where(
                            business_record.c.idempotency_key == record["reversesRecord"]
                        )
                    )
                ).scalar_one_or_none()
                effect = _RESTORE_EFFECTS.get(reversed_type or "")
            if effect:
                await connection.execute(
                    update(platform_retiree)
                    .where(platform_retiree.c.aac001 == record["aac001"])
                    .values(**effect, updated_at=func.now())
                )
            if record["businessType"] == "ORG_CHANGE":
                await self._change_org(connection, record)
            return receipt, False

    @staticmethod
    async def _change_org(connection: AsyncConnection, record: Payload) -> None:
        """ORG_CHANGE (4.8): the person is now managed by ``orgCode``, from ``effectiveDate``."""
        values = {
            "org_code": record["orgCode"],
            "idempotency_key": record["idempotencyKey"],
            "effective_date": date.fromisoformat(str(record["effectiveDate"])[:10]),
        }
        await connection.execute(
            pg_insert(platform_org)
            .values(aac001=record["aac001"], **values)
            .on_conflict_do_update(index_elements=["aac001"], set_={**values, "updated_at": func.now()})
        )

    async def org(self, aac001: str) -> dict[str, Any] | None:
        """The organisation managing the person as the platform knows it (ORG_CHANGE), or None."""
        async with self.engine.connect() as connection:
            row = (
                (await connection.execute(select(platform_org).where(platform_org.c.aac001 == aac001)))
                .mappings()
                .first()
            )
        if row is None:
            return None
        return {
            "aac001": row["aac001"],
            "orgCode": row["org_code"],
            "effectiveDate": row["effective_date"].isoformat(),
            "idempotencyKey": row["idempotency_key"],
        }

    async def status_digest(self, first: str, last: str, limit: int) -> tuple[int, list[dict[str, str]]]:
        in_range = (platform_retiree.c.aac001 >= first) & (platform_retiree.c.aac001 <= last)
        async with self.engine.connect() as connection:
            count = (await connection.execute(select(func.count()).where(in_range))).scalar_one()
            rows = (
                (
                    await connection.execute(
                        select(platform_retiree).where(in_range).order_by(platform_retiree.c.aac001).limit(limit)
                    )
                )
                .mappings()
                .all()
            )
        entries = []
        for row in rows:
            retiree = _from_row(row)
            entries.append(
                {
                    "aac001": retiree["aac001"],
                    "aae116": retiree["aae116"],
                    "statusCode": retiree["status_code"],
                    "digest": digest(retiree, retiree["status_code"]),
                }
            )
        return int(count), entries

    # Admin -------------------------------------------------------------------------------------------------------

    async def pushes(self, aac001: str | None) -> list[dict[str, Any]]:
        query = select(business_record).order_by(business_record.c.id)
        if aac001:
            query = query.where(business_record.c.aac001 == aac001)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            {
                "idempotencyKey": row["idempotency_key"],
                "receiptNo": row["receipt_no"],
                "aac001": row["aac001"],
                "businessType": row["business_type"],
                "receivedAt": row["received_at"].isoformat(),
                "record": row["payload"],
            }
            for row in rows
        ]

    async def counts(self) -> dict[str, int]:
        async with self.engine.connect() as connection:
            result = {}
            for name, table in (
                ("retirees", platform_retiree),
                ("changes", change_record),
                ("pushes", business_record),
                ("personChanges", person_change),
            ):
                result[name] = int((await connection.execute(select(func.count()).select_from(table))).scalar_one())
        return result

    async def generate_changes(
        self,
        rng: random.Random,
        count: int,
        kinds: Sequence[str] | None = None,
        aac001s: Sequence[str] | None = None,
        *,
        record: bool = True,
    ) -> list[CreatedChange]:
        """``count`` changes: of ``kinds`` in turn (a weighted mix when none), for ``aac001s`` in turn (random
        platform retirees when none; NEW_RETIREE then creates people with these numbers). Applies each change to
        the platform's retiree and, when ``record``, appends it to the feed. One transaction."""
        if kinds:
            plan = list(itertools.islice(itertools.cycle(kinds), count))
        else:
            plan = rng.choices(list(generator.KIND_WEIGHTS), list(generator.KIND_WEIGHTS.values()), k=count)
        people = itertools.cycle(aac001s) if aac001s else None
        async with self.engine.begin() as connection:
            await connection.execute(select(func.pg_advisory_xact_lock(_FEED_LOCK)))
            wanted = [next(people) if people else None for _ in plan]
            person_kinds = [(kind, aac001) for kind, aac001 in zip(plan, wanted, strict=True) if kind != "EMPLOYER"]
            known = await self._load(connection, {aac001 for _, aac001 in person_kinds if aac001 is not None})
            existing_needed = sum(1 for kind, aac001 in person_kinds if kind != "NEW_RETIREE" and aac001 is None)
            pool = await self._sample(connection, rng, existing_needed) if existing_needed else []
            known.update(await self._load(connection, set(pool) - set(known)))
            numbers = iter(
                await self._free_numbers(
                    connection, known, [aac001 for kind, aac001 in person_kinds if kind == "NEW_RETIREE"]
                )
            )
            new_rows: list[Payload] = []
            dirty: set[str] = set()
            feed: list[dict[str, Any]] = []
            created: list[CreatedChange] = []
            for kind, aac001 in zip(plan, wanted, strict=True):
                subject: str | None
                if kind == "EMPLOYER":
                    payload, subject = generator.employer(rng), None
                elif kind == "NEW_RETIREE":
                    if aac001 is not None and aac001 in known:
                        raise SimulatorError(409, f"platform retiree {aac001} exists already")
                    number = next(numbers)
                    # announced in the feed: newly approved, retired lately; else the platform's existing people
                    payload = generator.new_retiree(rng, number, aac001, today=generator.today() if record else None)
                    subject = payload["aac001"]
                    known[subject] = {**payload, "status_code": "1"}
                    new_rows.append(payload)
                else:
                    if aac001 is None:
                        if not pool:
                            raise SimulatorError(409, "the platform has no retirees yet: generate NEW_RETIREE first")
                        aac001 = rng.choice(pool)
                    retiree = known.get(aac001)
                    if retiree is None:
                        raise SimulatorError(404, f"no platform retiree {aac001}")
                    subject = aac001
                    if kind == "CERTIFICATION":
                        payload = generator.certification(rng, retiree)
                    else:
                        make = {
                            "PAYMENT_STATUS": generator.payment_status,
                            "ADJUSTMENT": generator.adjustment,
                            "CORRECTION": generator.correction,
                        }[kind]
                        payload, changes = make(rng, retiree)
                        retiree.update(changes)
                        dirty.add(aac001)
                record_id = str(uuid.uuid4())
                feed.append(
                    {
                        "record_id": record_id,
                        "kind": kind,
                        "aac001": subject,
                        "changed_at": generator.changed_at(rng),
                        "payload": payload,
                    }
                )
                created.append(CreatedChange(0, record_id, kind, subject))
            if new_rows:
                # Inserted in their state at the end of the batch (later changes of the batch included).
                await connection.execute(platform_retiree.insert(), [_to_row(known[row["aac001"]]) for row in new_rows])
            dirty -= {row["aac001"] for row in new_rows}
            if dirty:
                await connection.execute(
                    update(platform_retiree)
                    .where(platform_retiree.c.aac001 == bindparam("key"))
                    .values({name: bindparam(name) for name in _MUTABLE_FIELDS}),
                    [{"key": aac001, **_to_row(_complete(known[aac001]))} for aac001 in sorted(dirty)],
                )
            if not record or not feed:
                return created
            rows = (
                await connection.execute(
                    change_record.insert().returning(
                        change_record.c.seq, change_record.c.record_id, sort_by_parameter_order=True
                    ),
                    feed,
                )
            ).all()
        return [
            CreatedChange(seq, made.record_id, made.kind, made.aac001)
            for (seq, _), made in zip(rows, created, strict=True)
        ]

    async def _load(self, connection: AsyncConnection, aac001s: set[str]) -> dict[str, Payload]:
        if not aac001s:
            return {}
        rows = (
            (await connection.execute(select(platform_retiree).where(platform_retiree.c.aac001.in_(aac001s))))
            .mappings()
            .all()
        )
        return {row["aac001"]: _from_row(row) for row in rows}

    async def _sample(self, connection: AsyncConnection, rng: random.Random, wanted: int) -> list[str]:
        """About ``wanted`` random living platform retirees (by random ids between the smallest and largest)."""
        low, high = (
            await connection.execute(select(func.min(platform_retiree.c.id), func.max(platform_retiree.c.id)))
        ).one()
        if low is None:
            return []
        ids = {rng.randint(low, high) for _ in range(min(wanted, high - low + 1))}
        rows = (
            (
                await connection.execute(
                    select(platform_retiree.c.aac001).where(
                        platform_retiree.c.id.in_(ids), platform_retiree.c.status_code != "2"
                    )
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            rows = (
                (
                    await connection.execute(
                        select(platform_retiree.c.aac001).where(platform_retiree.c.status_code != "2").limit(wanted)
                    )
                )
                .scalars()
                .all()
            )
        return list(rows)

    async def _free_numbers(
        self, connection: AsyncConnection, known: Mapping[str, Payload], wanted: Sequence[str | None]
    ) -> list[int]:
        """One sequence number per new retiree, drawn in one statement per round: a person whose number is given
        takes any; a person without one needs a number whose personal number is not taken already."""
        numbers: list[int] = []
        free_needed = sum(1 for aac001 in wanted if aac001 is None)
        drawn = await self._draw(connection, len(wanted) - free_needed)
        numbers_given = iter(drawn)
        free: list[int] = []
        while len(free) < free_needed:
            candidates = await self._draw(connection, free_needed - len(free))
            by_number = {generator.personal_number(n): n for n in candidates}
            taken = set(
                (
                    await connection.execute(
                        select(platform_retiree.c.aac001).where(platform_retiree.c.aac001.in_(list(by_number)))
                    )
                ).scalars()
            )
            free.extend(n for aac001, n in by_number.items() if aac001 not in taken and aac001 not in known)
        free_numbers = iter(free)
        for aac001 in wanted:
            numbers.append(next(numbers_given) if aac001 is not None else next(free_numbers))
        return numbers

    @staticmethod
    async def _draw(connection: AsyncConnection, count: int) -> list[int]:
        if count == 0:
            return []
        rows = await connection.execute(select(retiree_number.next_value()).select_from(func.generate_series(1, count)))
        return [int(n) for n in rows.scalars()]

    async def insert_person_changes(
        self,
        rng: random.Random,
        count: int,
        kinds: Sequence[str] | None = None,
        aac001s: Sequence[str] | None = None,
        *,
        out_of_order: bool = False,
        gap_ms: int = 0,
    ) -> tuple[list[int], list[int]]:
        """``count`` exchange.person_change rows; with ``out_of_order`` the upper half of the row ids commits
        first and the lower half ``gap_ms`` later, as the platform's batch sync does. Returns (row ids in id order,
        row ids in commit order)."""
        async with self.engine.begin() as connection:
            row_ids = list(
                (
                    await connection.execute(
                        select(person_change_row_id.next_value()).select_from(func.generate_series(1, count))
                    )
                )
                .scalars()
                .all()
            )
            if aac001s:
                subjects = list(itertools.islice(itertools.cycle(aac001s), count))
            else:
                pool = await self._sample(connection, rng, count)
                subjects = [
                    rng.choice(pool) if pool else generator.personal_number(rng.randrange(10**8)) for _ in range(count)
                ]
            known = await self._load(connection, set(subjects))
        row_ids.sort()
        rows = []
        for row_id, aac001 in zip(row_ids, subjects, strict=True):
            kind = rng.choice(kinds) if kinds else rng.choice(generator.PERSON_CHANGE_KINDS)
            row: dict[str, Any] = {"row_id": row_id, **generator.person_change(rng, aac001, kind, known.get(aac001))}
            row["effective_date"] = date.fromisoformat(row["effective_date"])
            rows.append(row)
        batches = [rows[len(rows) // 2 :], rows[: len(rows) // 2]] if out_of_order and len(rows) > 1 else [rows]
        for index, batch in enumerate(batches):
            if index and gap_ms:
                await asyncio.sleep(gap_ms / 1000)
            async with self.engine.begin() as connection:
                await connection.execute(person_change.insert(), batch)
                for row in batch:
                    await _apply_person_change(connection, row)
        return row_ids, [row["row_id"] for batch in batches for row in batch]


_PERSON_CHANGE_FIELDS = {"ADDRESS": "aae006", "PHONE": "aae005", "EMPLOYER": "aab001", "NAME": "aac003"}


async def _apply_person_change(connection: AsyncConnection, row: Mapping[str, Any]) -> None:
    """Keeps the platform's own view consistent with what its exchange database says."""
    kind, value = row["change_kind"], row["new_value"]
    values: dict[str, Any]
    if kind in _PERSON_CHANGE_FIELDS:
        values = {_PERSON_CHANGE_FIELDS[kind]: value}
    elif kind == "PAYMENT_STATUS":
        values = {"aae116": value}
    elif kind == "DEATH":
        values = {"aae116": "3", "status_code": "2"}
    else:
        return
    await connection.execute(
        update(platform_retiree)
        .where(platform_retiree.c.aac001 == row["aac001"])
        .values(**values, updated_at=func.now())
    )


def _complete(retiree: Mapping[str, str]) -> dict[str, str | None]:
    return {name: retiree.get(name) for name in _MUTABLE_FIELDS}
