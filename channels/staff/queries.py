"""The queries of section 6 for staff (issue 18): the catalogue, one page of a query, its XLSX export.

Every query has the same three endpoints, named by its function point (``/api/v1/queries/6.3``); its filters are
the query's own (listed in the catalogue), given as query parameters beside ``on``, ``sort``, ``page`` and ``size``.
Lists are masked; an export is masked unless the caller may and asks for full values, and is audited with its
filters, rows, people and whether it was masked (channels/printing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from channels.deps import Session, StaffActor
from channels.printing import PrintColumn, PrintedDocument, PrintFormat, print_response, print_responses
from channels.printing.document import Align, Cell
from domain.institutions import service as institutions
from domain.queries import service as queries
from domain.queries.catalogue import QUERIES
from domain.queries.spec import ColumnKind, QueryFilter, QuerySpec
from domain.shared.calendar import BUSINESS_TZ

router = APIRouter(prefix="/api/v1/queries", tags=["综合查询 6.1–6.22"])

QueryIdPath = Annotated[str, Path(pattern=r"^6\.\d{1,2}$", description="查询的功能点编号，如 6.3")]
RESERVED = {"on", "sort", "page", "size", "unmasked"}
EXPORT_MAX_ROWS = 1_000_000  # an XLSX sheet holds 1,048,576 rows: a city-wide list (850,000) fits
_ALIGN: dict[ColumnKind, Align] = {ColumnKind.NUMBER: "right", ColumnKind.MONEY: "right", ColumnKind.DATE: "center"}


class ChoiceView(BaseModel):
    value: str
    label: str


class FilterView(BaseModel):
    key: str
    label: str
    kind: str
    choices: list[ChoiceView]
    required: bool
    default: str | None
    description: str


class ColumnView(BaseModel):
    key: str
    label: str
    kind: str
    sortable: bool


class QueryView(BaseModel):
    id: str
    title: str
    description: str
    as_of: bool
    default_sort: str
    filters: list[FilterView]
    columns: list[ColumnView]


class CatalogueView(BaseModel):
    queries: list[QueryView]
    may_export_unmasked: bool


class QueryPageView(BaseModel):
    id: str
    title: str
    on: date
    items: list[dict[str, Any]]
    total: int
    page: int
    size: int


def filter_views(filters: Sequence[QueryFilter]) -> list[FilterView]:
    return [
        FilterView(
            key=f.key,
            label=f.label,
            kind=f.kind.value,
            choices=[ChoiceView(value=c.value, label=c.label) for c in f.choices],
            required=f.required,
            default=f.default,
            description=f.description,
        )
        for f in filters
    ]


def _view(spec: QuerySpec) -> QueryView:
    return QueryView(
        id=spec.id,
        title=spec.title,
        description=spec.description,
        as_of=spec.as_of,
        default_sort=spec.default_sort,
        filters=filter_views(spec.filters),
        columns=[ColumnView(key=c.key, label=c.label, kind=c.kind.value, sortable=c.sortable) for c in spec.columns],
    )


def _filters(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items() if key not in RESERVED}


@router.get("", response_model=CatalogueView)
async def catalogue(actor: StaffActor) -> CatalogueView:
    """综合查询目录：每个查询的功能点编号、名称、筛选条件和列。"""
    return CatalogueView(
        queries=[_view(spec) for spec in QUERIES.values()], may_export_unmasked=queries.may_export_unmasked(actor)
    )


def _local(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")
    return value


async def _cells(spec: QuerySpec, rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[tuple[Cell, ...]]:
    number = 0
    async for row in rows:
        number += 1
        yield (number, *(_local(row[c.key]) for c in spec.columns))


@router.get("/{query_id}.xlsx", response_class=StreamingResponse, responses=print_responses(PrintFormat.XLSX))
async def export(
    query_id: QueryIdPath,
    request: Request,
    session: Session,
    actor: StaffActor,
    on: Annotated[date | None, Query(description="按历史日期查询（仅描述人员状态的查询）")] = None,
    sort: Annotated[str | None, Query(max_length=40, description="排序列；前加“-”为降序")] = None,
    unmasked: Annotated[bool, Query(description="导出完整证件号码和电话（仅市、区级经办人员）")] = False,
) -> StreamingResponse:
    """导出查询结果（xlsx，流式生成，不限于当前页）；默认脱敏，每次导出记入审计日志（条件、条数、人数、是否脱敏）。"""
    result = await queries.run_export(session, actor, query_id, _filters(request), on=on, sort=sort, unmasked=unmasked)
    spec, ctx = result.spec, result.context
    scope = await institutions.by_path(session, ctx.prefix.removesuffix("%"))
    scope_name = scope.name if scope else "全市"
    masked = "未脱敏" if result.unmasked else "证件号码、电话已脱敏"
    document = PrintedDocument(
        title=f"{spec.id} {spec.title}",
        institution=scope_name,
        data_as_of=ctx.on,
        columns=(
            PrintColumn("序号", 12, "center"),
            *(PrintColumn(c.label, c.width, _ALIGN.get(c.kind, "left")) for c in spec.columns),
        ),
        landscape=True,
        subtitle=f"共 {result.total} 条 · {masked}",
    )
    return await print_response(
        session,
        actor,
        PrintFormat.XLSX,
        document,
        _cells(spec, result.rows),
        total_rows=result.total,
        filename=f"{spec.title}-{scope_name}-{ctx.on.isoformat()}.xlsx",
        audit_subject={
            "query": spec.id,
            "filters": {k: str(v) for k, v in ctx.filters.items() if v is not None},
            "on": ctx.on.isoformat(),
            "scope": ctx.prefix,
            "rows": result.total,
            "people": result.people,
            "masked": not result.unmasked,
        },
        max_rows=EXPORT_MAX_ROWS,
    )


@router.get("/{query_id}", response_model=QueryPageView)
async def run(
    query_id: QueryIdPath,
    request: Request,
    session: Session,
    actor: StaffActor,
    on: Annotated[date | None, Query(description="按历史日期查询（仅描述人员状态的查询）")] = None,
    sort: Annotated[str | None, Query(max_length=40, description="排序列；前加“-”为降序")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> QueryPageView:
    """执行一个查询（分页、服务端排序；证件号码和电话脱敏）。筛选条件为该查询目录中列出的参数。"""
    result = await queries.run_page(session, actor, query_id, _filters(request), on=on, sort=sort, page=page, size=size)
    return QueryPageView(
        id=result.spec.id,
        title=result.spec.title,
        on=result.on,
        items=[{k: _local(v) for k, v in item.items()} for item in result.items],
        total=result.total,
        page=page,
        size=size,
    )
