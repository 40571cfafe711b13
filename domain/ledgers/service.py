"""Who is on each special ledger (5.1) over the caller's query scope (1.3): people under management (registered,
suspended, transferring out) with the ledger's special category recorded (4.2), or, for 高龄, born on or before the
cut-off that makes them ``aged_ledger_age`` (75) years old on the city's today.

The summary counts all eight ledgers in one statement; a list is paged and sorted in the database; the rows of a
print stream from a server-side cursor. Lists show masked ID and phone numbers (the channel masks them, as in the
retiree search); like the retiree search, reading a list is not audited, printing one is (channels/printing).

Measured with EXPLAIN ANALYZE on the bench database (1,000,000 retirees, 100,000 of them with special categories):
the city-wide summary 1.1–1.4 s and a community's 0.1 s; a city-wide list's count 0.4–0.65 s and its first page
1 ms; the largest community's (12,268 people) aged count and page 25–30 ms. The city-wide figures scan the managed
retirees once, as the 7.2 distribution does (the aged are 30 % of them, so no birth-date index would be used); the
community's go through ix_retiree_institution_status. No further index is needed: migration 0017 stays empty.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.dictionary.service import parameter_int
from domain.institutions.models import Institution, in_subtree
from domain.ledgers.models import AGED_CODE, BY_CATEGORY_CODE, LEDGERS, Ledger, aged_cutoff, came_of_age_on
from domain.reports.distribution import MANAGED
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree, SupplementaryInfo
from domain.retirees.service import age_on
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode
from domain.staff.permissions import Permission, require, require_in_scope

AGE_PARAMETER = "aged_ledger_age"
_MANAGED = [status.value for status in MANAGED]

# One statement for the eight counts: each special category a person has (counted once however often it was
# stored; 03 is never taken from the form), then the aged by the birth-date cut-off.
_COUNTS = text(
    """
    SELECT c.code, count(*) AS people
    FROM retiree r
    JOIN institution i ON i.id = r.institution_id
    JOIN retiree_supplementary_info s ON s.retiree_id = r.id
    CROSS JOIN LATERAL (SELECT DISTINCT unnest(s.special_categories) AS code) c
    WHERE i.path LIKE :prefix AND r.status = ANY(:statuses) AND s.special_categories && CAST(:codes AS text[])
      AND c.code = ANY(:codes)
    GROUP BY c.code
    UNION ALL
    SELECT :aged_code, count(*)
    FROM retiree r
    JOIN institution i ON i.id = r.institution_id
    WHERE i.path LIKE :prefix AND r.status = ANY(:statuses) AND r.birth_date <= :cutoff
    """
)

# The columns a list may be sorted by (``-`` before the name: descending; then by personal number).
SORTABLE = {
    "personal_number": col(Retiree.personal_number),
    "name": col(Retiree.name),
    "birth_date": col(Retiree.birth_date),
    "institution": col(Institution.name),
}


@dataclass(frozen=True)
class Scope:
    path: str
    name: str
    institution_id: int | None


@dataclass(frozen=True)
class Summary:
    on: date
    aged_age: int
    aged_cutoff: date
    scope: Scope
    counts: dict[Ledger, int]


@dataclass(frozen=True)
class Entry:
    """One person on a ledger; ``since`` is when the category was recorded, or for 高龄 the day they came of age."""

    retiree_id: int
    personal_number: str
    name: str
    sex: str
    id_number: str
    birth_date: date
    age: int
    phone: str | None
    status: Status
    institution_id: int
    institution: str
    since: date | None


@dataclass(frozen=True)
class Page:
    items: list[Entry]
    total: int
    page: int
    size: int


@dataclass(frozen=True)
class Listing:
    """A whole ledger for printing: how many, and the rows streamed in order."""

    ledger: Ledger
    on: date
    aged_age: int
    scope: Scope
    total: int
    entries: AsyncIterator[Entry]


async def _scope(session: AsyncSession, actor: Actor, institution_id: int | None) -> Scope:
    """The actor's query scope, or one institution's subtree inside it (refused like a record that does not
    exist when it lies outside)."""
    if institution_id is not None:
        narrowed = await session.get(Institution, institution_id)
        require_in_scope(actor, narrowed.path if narrowed else "\0", "机构")
        assert narrowed is not None
        return Scope(narrowed.path, narrowed.name, narrowed.id)
    path = actor.query_path
    node = (await session.execute(select(Institution).where(col(Institution.path) == path))).scalar_one_or_none()
    return Scope(path, node.name if node else "全市", node.id if node else None)


async def _age(session: AsyncSession) -> int:
    return await parameter_int(session, AGE_PARAMETER)


async def summary(
    session: AsyncSession, actor: Actor, *, institution_id: int | None = None, today: date | None = None
) -> Summary:
    """How many people each of the eight ledgers holds over the scope."""
    require(actor, Permission.READ_REGISTRY)
    scope = await _scope(session, actor, institution_id)
    on = today or calendar.today()
    age = await _age(session)
    cutoff = aged_cutoff(on, age)
    codes = [info.category_code for ledger, info in LEDGERS.items() if ledger is not Ledger.AGED]
    params = {
        "prefix": f"{scope.path}%",
        "statuses": _MANAGED,
        "codes": codes,
        "aged_code": AGED_CODE,
        "cutoff": cutoff,
    }
    counts = dict.fromkeys(Ledger, 0)
    for code, people in await session.execute(_COUNTS, params):
        counts[BY_CATEGORY_CODE[code]] = people
    return Summary(on, age, cutoff, scope, counts)


def _since(ledger: Ledger) -> Any:
    if ledger is Ledger.AGED:
        return None
    return func.coalesce(col(SupplementaryInfo.updated_at), col(SupplementaryInfo.recorded_at))


def _query(ledger: Ledger, scope: Scope, cutoff: date) -> Select[Any]:
    columns: list[Any] = [
        col(Retiree.id),
        col(Retiree.personal_number),
        col(Retiree.name),
        col(Retiree.sex),
        col(Retiree.id_number),
        col(Retiree.birth_date),
        col(Retiree.phone),
        col(Retiree.status),
        col(Institution.id),
        col(Institution.name),
    ]
    query = select(*columns) if ledger is Ledger.AGED else select(*columns, _since(ledger))
    query = query.join(Institution, col(Institution.id) == col(Retiree.institution_id))
    query = query.where(in_subtree(scope.path), col(Retiree.status).in_(_MANAGED))
    if ledger is Ledger.AGED:
        return query.where(col(Retiree.birth_date) <= cutoff)
    code = LEDGERS[ledger].category_code
    query = query.join(SupplementaryInfo, col(SupplementaryInfo.retiree_id) == col(Retiree.id))
    return query.where(col(SupplementaryInfo.special_categories).contains([code]))


def _order(sort: str) -> tuple[Any, ...]:
    descending = sort.startswith("-")
    column = SORTABLE.get(sort.removeprefix("-"))
    if column is None:
        raise DomainError(ErrorCode.INVALID_REQUEST, f"不能按“{sort}”排序", field="sort")
    return (column.desc() if descending else column.asc(), col(Retiree.personal_number).asc())


def _entry(ledger: Ledger, row: Any, on: date, age: int) -> Entry:
    since: date | None
    if ledger is Ledger.AGED:
        since = came_of_age_on(row[5], age)
    else:
        recorded = row[10]
        since = recorded.astimezone(calendar.BUSINESS_TZ).date() if isinstance(recorded, datetime) else recorded
    return Entry(
        retiree_id=row[0],
        personal_number=row[1],
        name=row[2],
        sex=row[3],
        id_number=row[4],
        birth_date=row[5],
        age=age_on(row[5], on),
        phone=row[6],
        status=Status(row[7]),
        institution_id=row[8],
        institution=row[9],
        since=since,
    )


async def page(
    session: AsyncSession,
    actor: Actor,
    ledger: Ledger,
    *,
    institution_id: int | None = None,
    page: int = 1,
    size: int = 20,
    sort: str = "personal_number",
    today: date | None = None,
) -> Page:
    """One page of a ledger, sorted in the database."""
    require(actor, Permission.READ_REGISTRY)
    order = _order(sort)
    scope = await _scope(session, actor, institution_id)
    on = today or calendar.today()
    age = await _age(session)
    query = _query(ledger, scope, aged_cutoff(on, age))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(*order).offset((page - 1) * size).limit(size))
    return Page([_entry(ledger, row, on, age) for row in rows], total, page, size)


async def listing(
    session: AsyncSession,
    actor: Actor,
    ledger: Ledger,
    *,
    institution_id: int | None = None,
    sort: str = "personal_number",
    today: date | None = None,
) -> Listing:
    """The whole ledger for printing: counted, then streamed from a server-side cursor in the list's order."""
    require(actor, Permission.READ_REGISTRY)
    order = _order(sort)
    scope = await _scope(session, actor, institution_id)
    on = today or calendar.today()
    age = await _age(session)
    query = _query(ledger, scope, aged_cutoff(on, age))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()

    async def entries() -> AsyncIterator[Entry]:
        result = await session.stream(query.order_by(*order).execution_options(yield_per=500))
        async for row in result:
            yield _entry(ledger, row, on, age)

    return Listing(ledger, on, age, scope, total, entries())
