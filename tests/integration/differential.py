"""The harness of the differential tests (issue 12, item 5): a rule's set-based handler against its one-by-one twin.

A test describes a small world (retirees in varied starting states, a sequence of events about them) and builds it
twice, as two :class:`Copy` objects on disjoint retirees, inside ONE transaction that :func:`rolled_back` undoes at
the end: nothing is left in the shared test database and no outbox relay ever sees the rows. Copy A is applied one by
one (:func:`apply_one_by_one`), copy B the way the hub's ``BatchProcessor`` applies it (:func:`apply_set_based`);
then :func:`snapshot` reads what each copy ends up with — registry rows, status-change log, outbox, audit trail and
a pair's own tables — with every generated value replaced by a token naming what it stands for, so that
:func:`assert_same` can compare them with ``==``.
"""

from __future__ import annotations

import difflib
import json
import pprint
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.retirees.idnumber import area_codes, make_id_number
from domain.retirees.inbound import Inbound
from domain.retirees.lifecycle import Status
from domain.shared.errors import DomainError
from domain.shared.uow import UnitOfWork as DomainUnitOfWork
from hub.bootstrap import Hub
from hub.consumer import OutboxUnitOfWork
from hub.envelope import Envelope
from tests import factories

OneByOne = Callable[[Mapping[str, Any], Inbound, DomainUnitOfWork], Awaitable[None]]
SetBased = Callable[[Sequence[tuple[Mapping[str, Any], Inbound]], DomainUnitOfWork], Awaitable[None]]

# Every retiree a copy starts with was last "updated" at this time, so that a handler touching ``updated_at`` shows
# (as a moved stamp) whether it uses the database's now() or Python's: the snapshot says only whether it moved.
SET_UP_AT = datetime(2000, 1, 1, tzinfo=UTC)
# The inbound events' fact time: the same in both copies, so an event a handler publishes in their name must carry
# it unchanged (Envelope.caused) and is compared as is.
FACT_TIME = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
# The source the hub's registry group publishes under (Hub.applier).
SOURCE_SUFFIX = "/registry"
_rng = random.Random()


@dataclass
class Copy:
    """One of the two identical worlds: slot ``i`` of the description is the retiree ``P{i}`` here."""

    name: str
    numbers: list[str]
    tokens: dict[str, str] = field(default_factory=dict)  # generated string -> what it stands for
    retirees: dict[int, str] = field(default_factory=dict)  # retiree id -> P{i}
    certifications: dict[int, str] = field(default_factory=dict)  # certification id -> P{i}:day (one a day)
    events: list[Envelope] = field(default_factory=list)

    @classmethod
    def new(cls, name: str, slots: int) -> Copy:
        copy = cls(name, [factories.personal_number() for _ in range(slots)])
        for slot, number in enumerate(copy.numbers):
            copy.tokens[number] = f"P{slot}"
        return copy

    def token(self, generated: str, stands_for: str) -> str:
        self.tokens[generated] = stands_for
        return generated

    def created(self, slot: int, retiree_id: int | None) -> None:
        assert retiree_id is not None
        self.retirees[retiree_id] = f"P{slot}"

    def event(self, event_type: str, slot: int, data: Mapping[str, Any]) -> Envelope:
        """The next inbound event, about slot ``slot``; its id is the token ``E{n}``, its time :data:`FACT_TIME`."""
        envelope = Envelope.new(
            event_type, self.numbers[slot], data, source="urn:retiree-hub:test/differential", time=FACT_TIME
        )
        self.token(envelope.id, f"E{len(self.events)}")
        self.events.append(envelope)
        return envelope


@asynccontextmanager
async def rolled_back(hub: Hub) -> AsyncIterator[AsyncSession]:
    """One transaction for the whole example, rolled back at the end whatever happens."""
    async with hub.sessions() as session:
        transaction = await session.begin()
        try:
            yield session
        finally:
            await transaction.rollback()


async def free_id_numbers(session: AsyncSession, people: Sequence[tuple[date, str]]) -> list[str]:
    """A valid ID number for each (birth date, sex), held by nobody in the database yet (areas of 西藏, 54xxxx: real
    ones the seed never uses, and not the factories')."""
    areas = sorted(code for code in area_codes() if code.startswith("54"))
    while True:
        numbers = [make_id_number(_rng.choice(areas), b, _rng.randint(0, 499), s) for b, s in people]
        taken = await session.execute(text("SELECT 1 FROM retiree WHERE id_number = ANY(:n)"), {"n": numbers})
        if taken.first() is None and len(set(numbers)) == len(numbers):
            return numbers


@dataclass(frozen=True)
class Start:
    """A retiree's starting state in a generated world (the same in both copies)."""

    status: Status = Status.REGISTERED
    suspension_reason: str | None = None  # for SUSPENDED
    payment_status: str = "1"
    monthly_pension: Decimal | None = None
    last_certified_on: date | None = None
    registered_on: date | None = None
    retirement_date: date | None = None
    status_since: date | None = None


async def build(session: AsyncSession, copy: Copy, starts: Sequence[Start | None], tree: factories.Tree) -> None:
    """The copy's retirees: slot ``i`` as ``starts[i]`` describes, or never created if None (an unknown retiree)."""
    for slot, start in enumerate(starts):
        if start is None:
            continue
        birth = date(1950, 1, 1) + timedelta(days=slot)
        person = await factories.retiree(
            session, None if start.status is Status.APPROVED else tree.communities[slot % 4], birth=birth
        )
        person.personal_number = copy.numbers[slot]
        person.status = start.status
        if start.status is Status.SUSPENDED:
            person.suspension_reason, person.resume_to = start.suspension_reason, Status.REGISTERED
        for name in ("payment_status", "monthly_pension", "last_certified_on", "registered_on", "status_since"):
            setattr(person, name, getattr(start, name))
        person.retirement_date = start.retirement_date or person.retirement_date
        person.updated_at = SET_UP_AT
        await session.flush()
        copy.token(person.id_number, f"ID{slot}")
        copy.created(slot, person.id)


def _uow(hub: Hub, session: AsyncSession, **cause: Any) -> OutboxUnitOfWork:
    return OutboxUnitOfWork(session, hub.outbox, source=hub.settings.event_source + SOURCE_SUFFIX, **cause)


def _refusal(error: Exception) -> str:
    return error.code if isinstance(error, DomainError) else type(error).__name__


async def _one(session: AsyncSession, hub: Hub, handler: OneByOne, envelope: Envelope) -> str:
    """As EventApplier.apply: one event in its own savepoint, publishing as caused by it."""
    try:
        async with session.begin_nested():
            await handler(envelope.data, Inbound(envelope.id, envelope.time), _uow(hub, session, cause=envelope))
    except Exception as error:  # the hub parks or dead-letters any failure; its code is the outcome
        return _refusal(error)
    return "applied"


async def apply_one_by_one(session: AsyncSession, hub: Hub, handler: OneByOne, events: Sequence[Envelope]) -> list[str]:
    """The hub with no set-based handler: each event applied on its own, in order; once an event of a retiree fails,
    the later ones of that retiree are parked behind it (outcome ``parked``). Returns each event's outcome."""
    parked: set[str] = set()
    outcomes = []
    for envelope in events:
        if envelope.key in parked:
            outcomes.append("parked")
            continue
        outcome = await _one(session, hub, handler, envelope)
        if outcome != "applied":
            parked.add(envelope.key)
        outcomes.append(outcome)
    return outcomes


@dataclass
class SetBasedRun:
    outcomes: list[str]
    set_based_runs: int = 0  # runs the set-based handler applied
    fallbacks: list[str] = field(default_factory=list)  # why the others fell back to one by one


async def apply_set_based(
    session: AsyncSession, hub: Hub, handler: SetBased, one_by_one: OneByOne, events: Sequence[Envelope]
) -> SetBasedRun:
    """As BatchProcessor.process for one event type: runs of consecutive events, one per retiree, each given to the
    set-based handler in one savepoint; a run it refuses (or a run of one) is applied one by one, as above.

    An event's key is checked for parking after the run before it has been applied, as BatchProcessor does (the
    event that closes a run by repeating a key waits behind that key's failure in the run; test_batch_order.py)."""
    result = SetBasedRun([])
    parked: set[str] = set()
    run: list[Envelope] = []

    async def apply_run() -> None:
        if len(run) > 1:
            try:
                async with session.begin_nested():
                    uow = _uow(hub, session, causes={e.id: e for e in run})
                    await handler([(e.data, Inbound(e.id, e.time)) for e in run], uow)
                session.expire_all()  # as EventApplier.apply_many: set-based SQL went behind the identity map
            except Exception as error:  # a refused run goes one by one, whatever the error
                result.fallbacks.append(_refusal(error))
            else:
                result.set_based_runs += 1
                result.outcomes.extend("applied" for _ in run)
                run.clear()
                return
        for envelope in run:
            outcome = await _one(session, hub, one_by_one, envelope)
            if outcome != "applied":
                parked.add(envelope.key)
            result.outcomes.append(outcome)
        run.clear()

    for envelope in events:
        if any(e.key == envelope.key for e in run):
            await apply_run()
        if envelope.key in parked:
            await apply_run()
            result.outcomes.append("parked")
            continue
        run.append(envelope)
    await apply_run()
    return result


# --- what a copy ends up with ------------------------------------------------------------------------------------

# Columns whose values are generated or read from a clock, and why each may differ between the copies:
_DROPPED = {
    # ids drawn from sequences: the copies' rows are different rows; what refers to them is mapped to tokens
    "id",
    # wall-clock stamps (the two sides run at different instants; Python's now() and PostgreSQL's differ besides)
    "created_at",
    "entered_at",
    "recorded_at",
    "applied_at",
    "at",
    # the audit chain's hashes cover the entry ids and times above, and the other tests' entries interleaved
    "prev_hash",
    "hash",
}


@dataclass
class Snapshot:
    tables: dict[str, list[dict[str, Any]]]

    def text(self) -> str:
        return pprint.pformat(self.tables, width=118, sort_dicts=True)


async def audit_floor(session: AsyncSession) -> int:
    """The last audit entry id before the example: its own entries come after it (the chain lock orders them)."""
    return int((await session.execute(text("SELECT coalesce(max(id), 0) FROM audit_entry"))).scalar_one())


async def _rows(session: AsyncSession, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in await session.execute(text(sql), params)]


async def snapshot(
    session: AsyncSession,
    copy: Copy,
    *,
    audit_after: int,
    extra: Mapping[str, str] | None = None,
    wall_clock_events: bool = False,
) -> Snapshot:
    """Everything the handlers may have written about the copy's retirees, tokenised. ``extra`` names the pair's own
    tables (each with a ``retiree_id``), each with the ORDER BY that puts a retiree's rows in their business order.
    ``wall_clock_events``: the outbox events are published by a job rather than
    caused by an inbound event, so their time is the clock's (compared as ``<now>``)."""
    numbers = copy.numbers
    retirees = await _rows(session, "SELECT * FROM retiree WHERE personal_number = ANY(:p) ORDER BY id", p=numbers)
    for row in retirees:
        copy.retirees[row["id"]] = copy.tokens[row["personal_number"]]
    ids = list(copy.retirees)
    changes = await _rows(session, "SELECT * FROM status_change WHERE retiree_id = ANY(:i) ORDER BY id", i=ids)
    outbox = await _rows(
        session,
        "SELECT event_id, event_type, topic, key, headers, payload, occurred_at FROM hub_outbox"
        " WHERE key = ANY(:p) ORDER BY id",
        p=numbers,
    )
    audit = await _rows(
        session,
        "SELECT * FROM audit_entry WHERE id > :floor"
        " AND (retiree_id = ANY(:i) OR retiree_ids && CAST(:i AS bigint[]) OR target = ANY(:p)) ORDER BY id",
        floor=audit_after,
        i=ids,
        p=numbers,
    )
    tables = {"retiree": retirees, "status_change": changes, "outbox": outbox, "audit": audit}
    for table, order in (extra or {}).items():
        tables[table] = await _rows(
            session, f"SELECT * FROM {table} WHERE retiree_id = ANY(:i) ORDER BY {order}", i=ids
        )
    # Generated values referred to elsewhere: the n-th log entry / outbox event / certification of retiree P{i}.
    seen: dict[str, int] = {}

    def ordinal(kind: str, owner: str) -> str:
        seen[kind + owner] = seen.get(kind + owner, 0) + 1
        return f"{owner}:{kind}{seen[kind + owner]}"

    for change in changes:
        name = ordinal("change", copy.retirees[change["retiree_id"]])
        copy.token(f"SCL-{change['id']:012d}", name)
    for event in outbox:
        copy.token(event["event_id"], ordinal("out", copy.tokens[event["key"]]))
    for certification in tables.get("certification", []):
        owner = copy.retirees[certification["retiree_id"]]
        copy.certifications[certification["id"]] = f"{owner}:{certification['certified_on']}"
    normal = {name: [_normal(row, copy, wall_clock_events) for row in rows] for name, rows in tables.items()}
    # The two sides write different retirees' rows in different orders (a set-based statement per kind of change);
    # what is a business fact is the order of each retiree's own rows, which a stable sort by retiree keeps.
    for rows in normal.values():
        rows.sort(key=lambda row: str(row.get("retiree_id") or row.get("personal_number") or row.get("key") or ""))
    return Snapshot(normal)


def _normal(row: Mapping[str, Any], copy: Copy, wall_clock_events: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, value in row.items():
        if column in _DROPPED:
            continue
        if column == "retiree_id" and value is not None:
            out[column] = copy.retirees.get(value, f"<other retiree {value}>")
        elif column == "retiree_ids" and value is not None:
            out[column] = sorted(copy.retirees.get(v, f"<other retiree {v}>") for v in value)
        elif column == "certification_id" and value is not None:
            out[column] = copy.certifications.get(value, f"<other certification {value}>")
        elif column == "updated_at":
            # Only whether the handler stamped the row (see SET_UP_AT); the instant is the clock's.
            out[column] = "<set up>" if value == SET_UP_AT else ("<stamped>" if value is not None else None)
        elif column == "payload":
            out[column] = _tokens(_payload(json.loads(value)), copy)
        elif column == "headers":
            out[column] = _tokens(_headers(value, wall_clock_events), copy)
        elif column == "occurred_at" and wall_clock_events:
            out[column] = "<now>"
        else:
            out[column] = _tokens(value, copy)
    return out


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    # entered_at: when the log entry was written, by the clock.
    return {k: ("<now>" if k == "entered_at" else v) for k, v in data.items()}


def _headers(headers: dict[str, str], wall_clock_events: bool) -> dict[str, str]:
    return {k: ("<now>" if k == "ce_time" and wall_clock_events else v) for k, v in headers.items()}


def _tokens(value: Any, copy: Copy) -> Any:
    if isinstance(value, str):
        return copy.tokens.get(value, value)
    if isinstance(value, dict):
        return {k: _tokens(v, copy) for k, v in value.items()}
    if isinstance(value, list):
        return [_tokens(v, copy) for v in value]
    return value


def assert_same(one_by_one: Snapshot, set_based: Snapshot, context: str) -> None:
    if one_by_one.tables == set_based.tables:
        return
    diff = "\n".join(
        difflib.unified_diff(
            one_by_one.text().splitlines(), set_based.text().splitlines(), "one by one", "set-based", lineterm="", n=4
        )
    )
    raise AssertionError(f"the set-based path differs from one by one ({context}):\n{diff}")
