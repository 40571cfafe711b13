"""The statistical reports of section 7 drawn from declarations (issue 19): the catalogue, a report on screen (rows,
total, and what its chart shows), the same report as XLSX and as a printed PDF (A4, the title, the institution,
the date of the data, who printed it and when, the header on every page, 第 n 页 共 N 页, the signature line),
each print audited (channels/printing). One ``ReportResult`` feeds all three, so their figures agree."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor

from channels.deps import Session, StaffActor
from channels.printing import PrintColumn, PrintedDocument, PrintFormat, print_response, print_responses
from channels.printing.document import Cell
from channels.staff.queries import _ALIGN as ALIGN
from channels.staff.queries import ColumnView, FilterView, QueryPageView, filter_views
from channels.staff.queries import _local as local_value
from domain.institutions import service as institutions
from domain.queries import service as queries
from domain.reports import service as reports
from domain.reports.catalogue import REPORTS, ROSTERS
from domain.reports.spec import ReportKind, ReportSpec, RosterSpec
from domain.shared.errors import ErrorCode, NotFound

router = APIRouter(prefix="/api/v1/reports", tags=["统计报表 7.x"])

ReportIdPath = Annotated[str, Path(pattern=r"^7\.\d{1,2}$", description="报表的功能点编号，如 7.15")]
RESERVED = {"on", "sort", "page", "size", "unmasked"}
SIGNATURE = "制表人：                    审核人：                    单位（盖章）："
OnQuery = Annotated[date | None, Query(description="按历史日期统计（仅统计人员状态的报表）")]
SortQuery = Annotated[str | None, Query(max_length=40, description="名册排序列；前加“-”为降序")]
UnmaskedQuery = Annotated[bool, Query(description="名册导出完整证件号码和电话（仅市、区级经办人员）")]


class StatisticsReportView(BaseModel):
    id: str
    title: str
    description: str
    kind: ReportKind
    as_of: bool
    unit_label: str
    chart: str
    filters: list[FilterView]
    measures: list[ColumnView]
    charted: list[str]
    columns: list[ColumnView]  # a roster's columns (empty for a summary)
    default_sort: str


class ReportCatalogueView(BaseModel):
    reports: list[StatisticsReportView]
    may_export_unmasked: bool


class ReportRowView(BaseModel):
    code: str
    name: str
    values: dict[str, int | str | None]


class ReportResultView(BaseModel):
    id: str
    title: str
    scope_name: str
    on: date
    subtitle: str
    rows: list[ReportRowView]
    total: ReportRowView


def _view(spec: ReportSpec) -> StatisticsReportView:
    return StatisticsReportView(
        id=spec.id,
        title=spec.title,
        description=spec.description,
        kind=ReportKind.SUMMARY,
        as_of=spec.as_of,
        unit_label=spec.unit_label,
        chart=spec.chart.value,
        filters=filter_views(spec.filters),
        measures=[ColumnView(key=m.key, label=m.label, kind=m.kind.value, sortable=False) for m in spec.measures],
        charted=[m.key for m in spec.measures if m.charted],
        columns=[],
        default_sort="",
    )


def _roster_view(roster: RosterSpec) -> StatisticsReportView:
    spec = roster.query
    return StatisticsReportView(
        id=spec.id,
        title=spec.title,
        description=spec.description,
        kind=ReportKind.ROSTER,
        as_of=spec.as_of,
        unit_label="",
        chart="none",
        filters=filter_views(spec.filters),
        measures=[],
        charted=[],
        columns=[ColumnView(key=c.key, label=c.label, kind=c.kind.value, sortable=c.sortable) for c in spec.columns],
        default_sort=spec.default_sort,
    )


def _row(row: reports.ReportRow) -> ReportRowView:
    return ReportRowView(
        code=row.code,
        name=row.name,
        values={k: (str(v) if v is not None and not isinstance(v, int) else v) for k, v in row.values.items()},
    )


def _parameters(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items() if key not in RESERVED}


@router.get("", response_model=ReportCatalogueView)
async def catalogue(actor: StaffActor) -> ReportCatalogueView:
    """统计报表目录：每张报表的功能点编号、名称、类型（统计表或花名册）、统计条件、统计项或名册的列。"""
    views = [_view(spec) for spec in REPORTS.values()] + [_roster_view(spec) for spec in ROSTERS.values()]
    views.sort(key=lambda v: int(v.id.split(".")[1]))
    return ReportCatalogueView(reports=views, may_export_unmasked=queries.may_export_unmasked(actor))


async def _print_roster(
    session: Session,
    actor: StaffActor,
    fmt: PrintFormat,
    roster: RosterSpec,
    raw: Mapping[str, str],
    on: date | None,
    sort: str | None,
    unmasked: bool,
) -> StreamingResponse:
    """The whole roster streamed from a server-side cursor into the XLSX or PDF (never held in memory), masked
    unless the caller may and asks for full values, the summed columns in a 合计 line; audited with the parameters,
    how many rows and people and whether it was masked."""
    result = await queries.run_export(
        session, actor, roster.query, raw, on=on, sort=sort, unmasked=unmasked, summed=roster.summed
    )
    spec, ctx = result.spec, result.context
    scope = await institutions.by_path(session, ctx.prefix.removesuffix("%"))
    scope_name = scope.name if scope else "全市"
    masked = "未脱敏" if result.unmasked else "证件号码、电话已脱敏"
    subtitle = roster.subtitle(ctx) if roster.subtitle else ""
    document = PrintedDocument(
        title=spec.title,
        institution=scope_name,
        data_as_of=ctx.on,
        columns=(
            PrintColumn("序号", 12, "center"),
            *(PrintColumn(c.label, c.width, ALIGN.get(c.kind, "left")) for c in spec.columns),
        ),
        landscape=roster.landscape,
        subtitle=" · ".join(part for part in (subtitle, f"共 {result.total} 人次", masked) if part),
        footer_lines=roster.footer_lines if fmt is PrintFormat.PDF else (),
    )

    async def rows() -> AsyncIterator[tuple[Cell, ...]]:
        number = 0
        async for row in result.rows:
            number += 1
            yield (number, *(local_value(row[c.key]) for c in spec.columns))
        if roster.summed:
            yield ("合计", *(result.sums.get(c.key) if c.key in roster.summed else None for c in spec.columns))

    return await print_response(
        session,
        actor,
        fmt,
        document,
        rows(),
        total_rows=result.total + (1 if roster.summed else 0),
        filename=f"{spec.title}-{scope_name}-{ctx.on.isoformat()}.{fmt.value}",
        audit_subject={
            "report": spec.id,
            "parameters": {k: str(v) for k, v in ctx.filters.items() if v is not None},
            "on": ctx.on.isoformat(),
            "scope": ctx.prefix,
            "rows": result.total,
            "people": result.people,
            "masked": not result.unmasked,
        },
    )


async def _print(
    session: Session,
    actor: StaffActor,
    fmt: PrintFormat,
    report_id: str,
    request: Request,
    on: date | None,
    sort: str | None = None,
    unmasked: bool = False,
) -> StreamingResponse:
    roster = ROSTERS.get(report_id)
    if roster is not None:
        return await _print_roster(session, actor, fmt, roster, _parameters(request), on, sort, unmasked)
    result = await reports.run(session, actor, report_id, _parameters(request), on)
    spec = result.spec

    async def rows() -> AsyncIterator[tuple[Cell, ...]]:
        for row in (*result.rows, result.total):
            yield (row.name, *(row.values.get(m.key) for m in spec.measures))

    document = PrintedDocument(
        title=f"{spec.title}",
        institution=result.scope_name,
        data_as_of=result.context.on,
        columns=(
            PrintColumn(spec.unit_label, 45),
            *(PrintColumn(m.label, m.width, "right") for m in spec.measures),
        ),
        landscape=spec.landscape,
        subtitle=result.subtitle or None,
        footer_lines=(SIGNATURE,) if spec.signature and fmt is PrintFormat.PDF else (),
    )
    return await print_response(
        session,
        actor,
        fmt,
        document,
        rows(),
        total_rows=len(result.rows) + 1,
        filename=f"{spec.title}-{result.scope_name}-{result.context.on.isoformat()}.{fmt.value}",
        audit_subject={
            "report": spec.id,
            "parameters": {k: str(v) for k, v in result.context.filters.items() if v is not None},
            "on": result.context.on.isoformat(),
            "scope": result.context.prefix,
        },
    )


class _PrintFormatConvertor(Convertor[str]):
    """Matches only a known print format, so ``/{report_id}.{fmt}`` never takes ``/7.2`` (report 7, format "2")
    from ``/{report_id}``: report ids contain dots. A path with another ending is an unknown report there."""

    regex = "|".join(f.value for f in PrintFormat)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("print_format", _PrintFormatConvertor())


@router.get("/{report_id}.{fmt:print_format}", response_class=StreamingResponse, responses=print_responses())
async def print_report(
    report_id: ReportIdPath,
    fmt: PrintFormat,
    request: Request,
    session: Session,
    actor: StaffActor,
    on: OnQuery = None,
    sort: SortQuery = None,
    unmasked: UnmaskedQuery = False,
) -> StreamingResponse:
    """报表导出为 Excel（xlsx）或打印为 PDF（pdf：A4，表头每页重复，页码，签字/盖章栏），与屏幕上的数字相同；
    花名册为全部人员，流式生成，默认脱敏；每次导出或打印记入审计日志。"""
    return await _print(session, actor, fmt, report_id, request, on, sort, unmasked)


@router.get("/{report_id}/rows", response_model=QueryPageView)
async def roster_rows(
    report_id: ReportIdPath,
    request: Request,
    session: Session,
    actor: StaffActor,
    on: OnQuery = None,
    sort: SortQuery = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> QueryPageView:
    """花名册类报表（7.9、7.11 等）的一页人员（分页、服务端排序；证件号码和电话脱敏）。"""
    roster = ROSTERS.get(report_id)
    if roster is None:
        raise NotFound(ErrorCode.REPORT_NOT_FOUND, f"没有编号为 {report_id} 的花名册类报表")
    result = await queries.run_page(
        session, actor, roster.query, _parameters(request), on=on, sort=sort, page=page, size=size
    )
    return QueryPageView(
        id=result.spec.id,
        title=result.spec.title,
        on=result.on,
        items=[{k: local_value(v) for k, v in item.items()} for item in result.items],
        total=result.total,
        page=page,
        size=size,
    )


@router.get("/{report_id}", response_model=ReportResultView)
async def report(
    report_id: ReportIdPath, request: Request, session: Session, actor: StaffActor, on: OnQuery = None
) -> ReportResultView:
    """统计报表（屏幕查看）：每个下一级机构一行，以及本级直管和合计；统计条件为目录中列出的参数。"""
    if report_id in ROSTERS:
        message = f"报表 {report_id} 是花名册类报表，请按页查看：/api/v1/reports/{report_id}/rows"
        raise NotFound(ErrorCode.REPORT_NOT_FOUND, message)
    result = await reports.run(session, actor, report_id, _parameters(request), on)
    return ReportResultView(
        id=result.spec.id,
        title=result.spec.title,
        scope_name=result.scope_name,
        on=result.context.on,
        subtitle=result.subtitle,
        rows=[_row(row) for row in result.rows],
        total=_row(result.total),
    )
