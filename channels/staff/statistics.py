"""The statistical reports of section 7 drawn from declarations (issue 19): the catalogue, a report on screen (rows,
total, and what its chart shows), the same report as XLSX and as a printed PDF (A4, the title, the institution,
the date of the data, who printed it and when, the header on every page, 第 n 页 共 N 页, the signature line),
each print audited (channels/printing). One ``ReportResult`` feeds all three, so their figures agree."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from channels.deps import Session, StaffActor
from channels.printing import PrintColumn, PrintedDocument, PrintFormat, print_response, print_responses
from channels.printing.document import Cell
from channels.staff.queries import ColumnView, FilterView, filter_views
from domain.reports import service as reports
from domain.reports.catalogue import REPORTS
from domain.reports.spec import ReportSpec

router = APIRouter(prefix="/api/v1/reports", tags=["统计报表 7.x"])

ReportIdPath = Annotated[str, Path(pattern=r"^7\.\d{1,2}$", description="报表的功能点编号，如 7.15")]
RESERVED = {"on"}
SIGNATURE = "制表人：                    审核人：                    单位（盖章）："
OnQuery = Annotated[date | None, Query(description="按历史日期统计（仅统计人员状态的报表）")]


class StatisticsReportView(BaseModel):
    id: str
    title: str
    description: str
    as_of: bool
    unit_label: str
    chart: str
    filters: list[FilterView]
    measures: list[ColumnView]
    charted: list[str]


class ReportCatalogueView(BaseModel):
    reports: list[StatisticsReportView]


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
        as_of=spec.as_of,
        unit_label=spec.unit_label,
        chart=spec.chart.value,
        filters=filter_views(spec.filters),
        measures=[ColumnView(key=m.key, label=m.label, kind=m.kind.value, sortable=False) for m in spec.measures],
        charted=[m.key for m in spec.measures if m.charted],
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
    """统计报表目录：每张报表的功能点编号、名称、统计条件和统计项。"""
    return ReportCatalogueView(reports=[_view(spec) for spec in REPORTS.values()])


async def _print(
    session: Session, actor: StaffActor, fmt: PrintFormat, report_id: str, request: Request, on: date | None
) -> StreamingResponse:
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


@router.get("/{report_id}.xlsx", response_class=StreamingResponse, responses=print_responses(PrintFormat.XLSX))
async def report_xlsx(
    report_id: ReportIdPath, request: Request, session: Session, actor: StaffActor, on: OnQuery = None
) -> StreamingResponse:
    """报表导出为 Excel（与屏幕上的数字相同），记入审计日志。"""
    return await _print(session, actor, PrintFormat.XLSX, report_id, request, on)


@router.get("/{report_id}.pdf", response_class=StreamingResponse, responses=print_responses(PrintFormat.PDF))
async def report_pdf(
    report_id: ReportIdPath, request: Request, session: Session, actor: StaffActor, on: OnQuery = None
) -> StreamingResponse:
    """报表打印为 PDF（A4，表头每页重复，页码，制表人/审核人/盖章栏），记入审计日志。"""
    return await _print(session, actor, PrintFormat.PDF, report_id, request, on)


@router.get("/{report_id}", response_model=ReportResultView)
async def report(
    report_id: ReportIdPath, request: Request, session: Session, actor: StaffActor, on: OnQuery = None
) -> ReportResultView:
    """统计报表（屏幕查看）：每个下一级机构一行，以及本级直管和合计；统计条件为目录中列出的参数。"""
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
