"""7.2 退休人员分布情况统计 for staff: viewable as JSON, downloadable as a spreadsheet (XLSX, set up for A4 landscape
printing) and printed as a PDF (A4 landscape through channels/printing: the header on every page, page numbers, the
signature line, audited), over the caller's query scope (1.3), as of any date."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict

from channels.deps import Session, StaffActor
from channels.printing import PrintColumn, PrintedDocument, PrintFormat, print_response, print_responses
from channels.printing.document import Cell
from channels.staff import report_sheets
from domain.reports import distribution
from domain.retirees.lifecycle import STATUS_LABELS, Status

router = APIRouter(prefix="/api/v1/reports", tags=["统计报表 7.x"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CountsView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    total: int
    city_insured: int
    county_insured: int
    by_status: dict[str, int]
    male: int
    female: int
    by_age_band: list[int]


class RowView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    counts: CountsView


class DistributionView(BaseModel):
    title: str
    scope_name: str
    on: date
    age_bands: list[str]
    status_labels: dict[str, str]
    city_agency_codes: list[str]
    by_institution: list[RowView]
    by_agency: list[RowView]
    total: CountsView

    @classmethod
    def of(cls, report: distribution.Distribution) -> DistributionView:
        return cls(
            title=report_sheets.DISTRIBUTION_TITLE,
            scope_name=report.scope_name,
            on=report.on,
            age_bands=list(distribution.AGE_BANDS),
            status_labels={s.value: STATUS_LABELS[s] for s in (*distribution.MANAGED, Status.APPROVED)},
            city_agency_codes=sorted(report.city_agency_codes),
            by_institution=[RowView.model_validate(row) for row in report.by_institution],
            by_agency=[RowView.model_validate(row) for row in report.by_agency],
            total=CountsView.model_validate(report.total),
        )


_ON = Query(default=None, description="年龄计算日期（默认今天）")


@router.get("/retiree-distribution", response_model=DistributionView)
async def retiree_distribution(session: Session, actor: StaffActor, on: date | None = _ON) -> DistributionView:
    """7.2 退休人员分布情况统计：市本级、县（市、区）参保退休人员按管理机构、参保机构、状态、性别、年龄段的分布。"""
    return DistributionView.of(await distribution.retiree_distribution(session, actor, on))


@router.get("/retiree-distribution.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def retiree_distribution_sheet(session: Session, actor: StaffActor, on: date | None = _ON) -> Response:
    """7.2 打印：同一统计表的 Excel 文件（A4 横向，每页重复表头）。"""
    report = await distribution.retiree_distribution(session, actor, on)
    filename = f"retiree-distribution-{report.on.isoformat()}.xlsx"
    return Response(
        report_sheets.distribution_workbook(report),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_STATUSES = (*distribution.MANAGED, Status.APPROVED)
SIGNATURE = "制表人：                    审核人：                    单位（盖章）："
_BY_AGENCY = "按参保机构统计"


def _figures(counts: distribution.Counts) -> tuple[int, ...]:
    """A row's figures in the order of the XLSX sheet's columns (report_sheets.py)."""
    statuses = (counts.by_status.get(status.value, 0) for status in _STATUSES)
    return (counts.total, counts.city_insured, counts.county_insured, *statuses, counts.male, counts.female,
            *counts.by_age_band)  # fmt: skip


def _distribution_document(report: distribution.Distribution) -> PrintedDocument:
    return PrintedDocument(
        title=report_sheets.DISTRIBUTION_TITLE,
        institution=report.scope_name,
        data_as_of=report.on,
        columns=(
            PrintColumn("管理机构 / 参保机构", 44),
            PrintColumn("合计", 15, "right"),
            PrintColumn("市本级参保", 17, "right"),
            PrintColumn("县（市、区）参保", 20, "right"),
            *(PrintColumn(STATUS_LABELS[status], 16, "right") for status in _STATUSES),
            PrintColumn("男", 12, "right"),
            PrintColumn("女", 12, "right"),
            *(PrintColumn(band, 15, "right") for band in distribution.AGE_BANDS),
        ),
        landscape=True,
        subtitle=f"统计日期：{report.on.isoformat()}（人员状态和所属机构取当日，年龄按当日计算）",
        footer_lines=(SIGNATURE,),
    )


@router.get(
    "/retiree-distribution.pdf",
    response_class=StreamingResponse,
    responses=print_responses(PrintFormat.PDF),
)
async def retiree_distribution_pdf(session: Session, actor: StaffActor, on: date | None = _ON) -> StreamingResponse:
    """7.2 打印：同一统计表的 PDF（A4 横向，表头每页重复，页码，制表人/审核人/盖章栏），记入审计日志。"""
    report = await distribution.retiree_distribution(session, actor, on)
    separator: tuple[Cell, ...] = (f"【{_BY_AGENCY}】",)

    async def rows() -> AsyncIterator[tuple[Cell, ...]]:
        for row in report.by_institution:
            yield (row.name, *_figures(row.counts))
        yield ("合计", *_figures(report.total))
        yield separator
        for row in report.by_agency:
            yield (row.name, *_figures(row.counts))

    return await print_response(
        session,
        actor,
        PrintFormat.PDF,
        _distribution_document(report),
        rows(),
        total_rows=len(report.by_institution) + len(report.by_agency) + 2,
        filename=f"{report_sheets.DISTRIBUTION_TITLE}-{report.scope_name}-{report.on.isoformat()}.pdf",
        audit_subject={"report": "7.2", "on": report.on.isoformat(), "scope": actor.query_path},
    )
