"""The legacy migration's reports (issue 17), for the city level only: the runs of ``hub legacy import`` and each
run's reconciliation — per table (read, would import, would merge, refused), per status, the refused rows with their
reasons, and the differences between the registry's province-synced fields and the old system's. Read-only: the
migration itself is an operator's command (``hub legacy import``), never a request. ID numbers in refusal messages
and names in differences are masked, as in every list."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import PathId, Session, StaffActor
from domain.legacy import service
from domain.legacy.models import RUN_STATE_LABELS, LegacyRun, RunState
from domain.legacy.schema import TABLE_LABELS, TableCode
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.shared.masking import mask_id_number, mask_name

router = APIRouter(prefix="/api/v1", tags=["历史数据迁移 (issue 17)"])
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_FIELD_LABELS = {"name": "姓名", "status": "人员状态", "payment_status": "待遇发放状态"}


def _masked(message: str) -> str:
    return _ID_NUMBER.sub(lambda m: mask_id_number(m.group(1)) or "", message)


def _status_label(value: str | None) -> str | None:
    if value is None:
        return None
    return STATUS_LABELS[Status(value)] if value in set(Status) else value


class RunView(BaseModel):
    id: int
    source: str = Field(description="导出目录")
    dry_run: bool = Field(description="试运行（只校验，不导入）")
    state: str
    state_label: str
    chunks_done: int
    chunks_total: int
    error: str | None
    created_by: str
    created_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, run: LegacyRun) -> RunView:
        assert run.id is not None
        return cls(
            id=run.id,
            source=run.source,
            dry_run=run.dry_run,
            state=run.state.value,
            state_label=RUN_STATE_LABELS[RunState(run.state)],
            chunks_done=run.chunks_done,
            chunks_total=run.chunks_total,
            error=run.error,
            created_by=run.created_by,
            created_at=run.created_at,
            finished_at=run.finished_at,
        )


class TableView(BaseModel):
    table_code: str
    label: str
    rows_read: int = Field(description="读取行数")
    would_import: int = Field(description="新增")
    would_merge: int = Field(description="与本系统已有记录合并（同身份证号码或同编码）")
    refused: int = Field(description="拒绝")


class StatusView(BaseModel):
    status: str
    label: str
    people: int
    merged: int = Field(description="其中与本系统已有人员合并")


class RefusalGroupView(BaseModel):
    table_code: str
    code: str
    label: str
    rows: int
    example: str = Field(description="一例（身份证号码脱敏）")


class LegacyReportView(BaseModel):
    run: RunView
    tables: list[TableView]
    statuses: list[StatusView]
    refusals: list[RefusalGroupView]
    differences: int = Field(description="与省平台数据不一致的字段数")


class RefusalView(BaseModel):
    table_code: str
    row_no: int = Field(description="文件中的行号（表头为第1行）")
    code: str
    label: str
    column: str | None
    message: str


class RefusalPage(BaseModel):
    items: list[RefusalView]
    total: int
    page: int
    size: int


class DifferenceView(BaseModel):
    retiree_id: int
    personal_number: str
    field: str
    field_label: str
    registry_value: str | None = Field(description="本系统（省平台同步）")
    legacy_value: str | None = Field(description="原系统")


class DifferencePage(BaseModel):
    items: list[DifferenceView]
    total: int
    page: int
    size: int


def _shown(field: str, value: str | None) -> str | None:
    if field == "name":
        return mask_name(value)
    if field == "status":
        return _status_label(value)
    return value


@router.get("/legacy-runs", response_model=list[RunView])
async def runs(session: Session, actor: StaffActor) -> list[RunView]:
    """历史数据迁移批次（试运行与导入），最新在前。仅市级。"""
    return [RunView.of(r) for r in await service.list_runs(session, actor)]


@router.get("/legacy-runs/{run_id}", response_model=LegacyReportView)
async def report(run_id: PathId, session: Session, actor: StaffActor) -> LegacyReportView:
    """迁移批次的对账报告：按表、按状态、拒绝原因汇总、与省平台数据的差异数。仅市级。"""
    result = await service.read_report(session, actor, run_id)
    return LegacyReportView(
        run=RunView.of(result.run),
        tables=[
            TableView(
                table_code=t.table_code,
                label=TABLE_LABELS[TableCode(t.table_code)],
                rows_read=t.rows_read,
                would_import=t.would_import,
                would_merge=t.would_merge,
                refused=t.refused,
            )
            for t in result.tables
        ],
        statuses=[
            StatusView(status=s.status, label=_status_label(s.status) or s.status, people=s.people, merged=s.merged)
            for s in result.statuses
        ],
        refusals=[
            RefusalGroupView(
                table_code=g.table_code, code=g.code, label=g.label, rows=g.rows, example=_masked(g.example)
            )
            for g in result.refusals
        ],
        differences=result.differences,
    )


@router.get("/legacy-runs/{run_id}/refusals", response_model=RefusalPage)
async def refusals(
    run_id: PathId,
    session: Session,
    actor: StaffActor,
    table: TableCode | None = Query(default=None, description="只看某一张表"),
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=50, ge=1, le=200),
) -> RefusalPage:
    """被拒绝的行：表、行号、列与原因。仅市级。"""
    total, items = await service.refusals(session, actor, run_id, table=table, offset=(page - 1) * size, limit=size)
    return RefusalPage(
        items=[
            RefusalView(
                table_code=r.table_code,
                row_no=r.row_no,
                code=r.code,
                label=r.label,
                column=r.column,
                message=_masked(r.message),
            )
            for r in items
        ],
        total=total,
        page=page,
        size=size,
    )


@router.get("/legacy-runs/{run_id}/differences", response_model=DifferencePage)
async def differences(
    run_id: PathId,
    session: Session,
    actor: StaffActor,
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=50, ge=1, le=200),
) -> DifferencePage:
    """同一人员在本系统（省平台同步）与原系统中不一致的字段（姓名脱敏）。仅市级。"""
    total, items = await service.differences(session, actor, run_id, offset=(page - 1) * size, limit=size)
    return DifferencePage(
        items=[
            DifferenceView(
                retiree_id=d.retiree_id,
                personal_number=d.personal_number,
                field=d.field,
                field_label=_FIELD_LABELS.get(d.field, d.field),
                registry_value=_shown(d.field, d.registry_value),
                legacy_value=_shown(d.field, d.legacy_value),
            )
            for d in items
        ],
        total=total,
        page=page,
        size=size,
    )
