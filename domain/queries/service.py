"""Running a declared query (spec.py): filters parsed and checked against the declaration, the caller's scope (1.3)
narrowed by an institution filter, the statement wrapped for counting, sorting and paging in PostgreSQL, or streamed
from a server-side cursor for an export; ID and phone numbers masked unless an unmasked export is allowed.

Reading a list is not audited (as the other lists); an export is, by the channel's printing (who, which query, which
filters, how many rows and people, masked or not).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.institutions import service as institutions
from domain.queries.catalogue import QUERIES
from domain.queries.spec import ColumnKind, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode, Forbidden, NotFound
from domain.shared.masking import mask_id_number, mask_phone
from domain.staff.permissions import Permission, can, require

EARLIEST_DATE = date(1950, 1, 1)  # nobody in the registry retired before
MAX_TEXT = 50
_MONTH = re.compile(r"^(19[5-9][0-9]|20[0-9][0-9]|2100)-(0[1-9]|1[0-2])$")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def spec_of(query: str | QuerySpec) -> QuerySpec:
    """The declared query by its id, or the spec itself (a roster report of section 7 brings its own)."""
    if isinstance(query, QuerySpec):
        return query
    query_id = query
    spec = QUERIES.get(query_id)
    if spec is None:
        raise NotFound(ErrorCode.QUERY_NOT_FOUND, f"没有编号为 {query_id} 的查询")
    return spec


def _owner(spec: QuerySpec) -> str:
    """How refusals name the list: 查询 6.x, or 报表 7.x for a roster report run through this service."""
    return f"{'报表' if spec.id.startswith('7.') else '查询'} {spec.id}"


def invalid_filter(key: str, message: str) -> DomainError:
    return DomainError(ErrorCode.QUERY_FILTER_INVALID, message, field=key)


def _typed(declared: QueryFilter, value: str) -> Any:
    """One filter's value, typed; refused naming the filter when it is not what the filter takes."""
    match declared.kind:
        case FilterKind.CHOICE:
            if value not in {c.value for c in declared.choices}:
                allowed = "、".join(f"{c.value}（{c.label}）" for c in declared.choices)
                raise invalid_filter(declared.key, f"{declared.label}应为以下之一：{allowed}")
            return value
        case FilterKind.DATE:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise invalid_filter(declared.key, f"{declared.label}应为日期（如 2026-01-31）") from None
            if not EARLIEST_DATE <= day <= date(2100, 12, 31):
                raise invalid_filter(declared.key, f"{declared.label}超出可查询的范围")
            return day
        case FilterKind.MONTH_DAY:
            found = _MONTH_DAY.match(value)
            if found is None or int(found.group(2)) > _DAYS_IN_MONTH[int(found.group(1)) - 1]:
                raise invalid_filter(declared.key, f"{declared.label}应为“月-日”（如 03-15）")
            return value
        case FilterKind.MONTH:
            found = _MONTH.match(value)
            if found is None:
                raise invalid_filter(declared.key, f"{declared.label}应为“年-月”（如 2026-03）")
            return date(int(found.group(1)), int(found.group(2)), 1)
        case FilterKind.YEAR:
            if not value.isdigit() or not 1990 <= int(value) <= 2100:
                raise invalid_filter(declared.key, f"{declared.label}应为 1990 至 2100 之间的年份")
            return int(value)
        case FilterKind.INSTITUTION:
            if not value.isdigit() or not 1 <= int(value) <= 2**63 - 1:
                raise invalid_filter(declared.key, f"{declared.label}应为机构编号")
            return int(value)
    return value


async def parse_filters(
    session: AsyncSession, actor: Actor, filters: Sequence[QueryFilter], raw: Mapping[str, str], owner: str
) -> tuple[dict[str, Any], str]:
    """The typed filters of a query or report (``owner``: its function point), and the scope's path pattern
    (narrowed by an institution filter)."""
    prefix = f"{actor.query_path}%"
    unknown = sorted(set(raw) - {f.key for f in filters})
    if unknown:
        raise invalid_filter(unknown[0], f"{owner} 没有筛选条件“{unknown[0]}”")
    parsed: dict[str, Any] = {}
    for declared in filters:
        value = (raw.get(declared.key) or declared.default or "").strip()
        if not value:
            if declared.required:
                raise invalid_filter(declared.key, f"请填写{declared.label}")
            parsed[declared.key] = None
            continue
        if any(ord(c) < 32 for c in value) or len(value) > MAX_TEXT:
            raise invalid_filter(declared.key, f"{declared.label}不能超过 {MAX_TEXT} 个字符，且不能含控制字符")
        parsed[declared.key] = _typed(declared, value)
        if declared.kind is FilterKind.INSTITUTION:
            institution = await institutions.visible(session, actor, parsed[declared.key])
            prefix = f"{institution.path}%"
    return parsed, prefix


async def context(
    session: AsyncSession, actor: Actor, spec: QuerySpec, raw: Mapping[str, str], on: date | None
) -> QueryContext:
    require(actor, Permission.READ_REGISTRY)
    today = calendar.today()
    if on is not None and not spec.as_of:
        raise DomainError(ErrorCode.QUERY_FILTER_INVALID, f"{_owner(spec)} 不能按历史日期查询", field="on")
    if on is not None and not EARLIEST_DATE <= on <= today:
        raise DomainError(
            ErrorCode.REPORT_DATE_OUT_OF_RANGE, f"查询日期应在 {EARLIEST_DATE.isoformat()} 至今天之间", field="on"
        )
    filters, prefix = await parse_filters(session, actor, spec.filters, raw, _owner(spec))
    return QueryContext(actor, prefix, on or today, today, filters)


def _order(spec: QuerySpec, sort: str | None) -> str:
    key = sort or spec.default_sort
    descending = key.startswith("-")
    column = spec.column(key.lstrip("-"))
    if column is None or not column.sortable:
        sortable = "、".join(c.key for c in spec.columns if c.sortable)
        raise DomainError(ErrorCode.QUERY_SORT_INVALID, f"{_owner(spec)} 只能按以下列排序：{sortable}", field="sort")
    direction = "DESC NULLS LAST" if descending else "ASC NULLS LAST"
    return f'q."{column.key}" {direction}, q."{spec.tiebreak}"'


def may_export_unmasked(actor: Actor) -> bool:
    """Full ID and phone numbers in an export: operators of the city or a district only (the levels that send
    lists to other agencies); everyone else exports masked values."""
    return can(actor, Permission.EXPORT_UNMASKED) and actor.institution_path.count("/") <= 3


def present(spec: QuerySpec, row: Mapping[Any, Any], *, unmasked: bool = False) -> dict[str, Any]:
    """A row as shown and exported: the declared columns only, personal numbers masked unless ``unmasked``."""
    shown: dict[str, Any] = {}
    for column in spec.columns:
        value = row.get(column.key)
        if not unmasked and column.kind is ColumnKind.ID_NUMBER:
            value = mask_id_number(value)
        elif not unmasked and column.kind is ColumnKind.PHONE:
            value = mask_phone(value)
        shown[column.key] = value
    if spec.person_column:
        shown[spec.person_column] = row.get(spec.person_column)
    return shown


@dataclass(frozen=True)
class QueryPage:
    spec: QuerySpec
    on: date
    total: int
    items: list[dict[str, Any]]


async def plan_for_these_values(session: AsyncSession, *, jit: bool) -> None:
    """Plan each read for its own scope and filters. The same statement serves a community (12,000 people) and the
    city (850,000); once the driver prepares it (its fifth run), PostgreSQL may switch to one generic plan for all,
    and the city's 6.12 page took 5.3 s instead of 0.06 s in the benchmark. A page is a short read: compiling its
    plan (JIT) cost 0.2-0.3 s of a city-wide 6.4 or 6.22 page and saved nothing, and 7.8 s of the city's 7.1 report
    (3.2 s without; EXPLAIN ANALYZE); an export, one long read, keeps it. Both settings last until the transaction
    ends."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    if not jit:
        await session.execute(text("SET LOCAL jit = off"))


async def run_page(
    session: AsyncSession,
    actor: Actor,
    query: str | QuerySpec,
    raw: Mapping[str, str],
    *,
    on: date | None,
    sort: str | None,
    page: int,
    size: int,
) -> QueryPage:
    """One page of a query (by id, or a roster's own spec) over the caller's scope, masked, with the total."""
    spec = spec_of(query)
    ctx = await context(session, actor, spec, raw, on)
    statement = spec.build(ctx)
    order = _order(spec, sort)
    params = {**ctx.params(), **statement.params}
    await plan_for_these_values(session, jit=False)
    by_person = (sort or spec.default_sort).lstrip("-") in statement.page_sorts
    paged = statement.page_sql if statement.page_sql and by_person else statement.sql
    # Counted in the page's read: the rows are materialised once, counted, and the page sorted from them (the
    # planner, costing a window's count as if a page needed only its first rows, walked 800,000 people in index
    # order for a district's 6.13 instead).
    if statement.counted_in_page:
        paging = f"WITH q AS MATERIALIZED ({paged}) SELECT q.*, (SELECT count(*) FROM q) AS {_TOTAL} FROM q"
    else:
        paging = f"SELECT * FROM ({paged}) q"
    result = await session.execute(
        text(f"{paging} ORDER BY {order} LIMIT :limit OFFSET :offset"),
        {**params, "limit": size, "offset": (page - 1) * size},
    )
    rows = result.mappings().all()
    if statement.counted_in_page and (rows or page == 1):
        total = rows[0][_TOTAL] if rows else 0
    else:  # counted apart, or a page past the end (no row to carry the total)
        total = await _count(session, statement, params)
    return QueryPage(spec, ctx.on, int(total), [present(spec, row) for row in rows])


_TOTAL = "total_rows_"


async def _count(session: AsyncSession, statement: Statement, params: Mapping[str, Any]) -> int:
    """The statement's rows counted (its cheaper ``count_sql`` if it has one), under its own planner settings."""
    restored = []
    for name, value in statement.count_settings:
        before = (await session.execute(text("SELECT current_setting(:name)"), {"name": name})).scalar_one()
        await session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
        restored.append((name, before))
    counting = statement.count_sql or f"SELECT count(*) FROM ({statement.sql}) q"
    total = (await session.execute(text(counting), params)).scalar_one()
    for name, before in restored:
        await session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": before})
    return int(total)


@dataclass(frozen=True)
class QueryExport:
    spec: QuerySpec
    context: QueryContext
    total: int
    people: int
    unmasked: bool
    rows: AsyncIterator[dict[str, Any]]
    sums: dict[str, Any] = field(default_factory=dict)  # the ``summed`` columns added up over every row


async def run_export(
    session: AsyncSession,
    actor: Actor,
    query: str | QuerySpec,
    raw: Mapping[str, str],
    *,
    on: date | None,
    sort: str | None,
    unmasked: bool,
    summed: Sequence[str] = (),
) -> QueryExport:
    """Every row of a query, streamed from a server-side cursor (never held in memory), in the list's order; the
    ``summed`` columns (numbers, amounts) added up in the same statement that counts the rows."""
    spec = spec_of(query)
    ctx = await context(session, actor, spec, raw, on)
    if unmasked and not may_export_unmasked(actor):
        raise Forbidden(ErrorCode.EXPORT_UNMASKED_REFUSED, "只有市、区级经办人员可以导出未脱敏的证件号码和电话")
    statement = spec.build(ctx)
    order = _order(spec, sort)
    params = {**ctx.params(), **statement.params}
    people = f"count(DISTINCT q.{spec.person_column})" if spec.person_column else "0"
    added = "".join(f', sum(q."{spec_column(spec, key).key}")' for key in summed)
    await plan_for_these_values(session, jit=True)
    counted = (await session.execute(text(f"SELECT count(*), {people}{added} FROM ({statement.sql}) q"), params)).one()
    total, distinct = counted[0], counted[1]
    sums = {key: counted[2 + index] for index, key in enumerate(summed)}

    async def rows() -> AsyncIterator[dict[str, Any]]:
        result = await session.stream(text(f"SELECT * FROM ({statement.sql}) q ORDER BY {order}"), params)
        async for row in result.mappings():
            yield present(spec, row, unmasked=unmasked)

    return QueryExport(spec, ctx, int(total), int(distinct), unmasked, rows(), sums)


def spec_column(spec: QuerySpec, key: str) -> ResultColumn:
    column = spec.column(key)
    if column is None:
        raise ValueError(f"{spec.id} has no column {key!r}")  # a declaration's mistake, caught by its tests
    return column
