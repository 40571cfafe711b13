"""Statistical reports (7.x) for staff: each viewable as JSON and printable as a spreadsheet (XLSX, set up for A4
landscape printing), over the caller's query scope (1.3)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from channels.deps import Session, StaffActor
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
