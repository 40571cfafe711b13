"""Suspicious-record comparison (2.8 疑似信息比对): the worklist of compared rows, the result file sent back to the
ministry or province, and staff's review of each row (checked / suspension / death record)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from xlsxwriter import Workbook

from channels.deps import PathId, Session, StaffActor, StaffWork
from channels.printing.response import attachment_headers
from domain.deaths.rules import DeathEvidence
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.shared import calendar
from domain.shared.masking import mask_id_number
from domain.suspicious import review as reviews
from domain.suspicious.matching import MatchKind
from domain.suspicious.models import ReviewState

router = APIRouter(tags=["疑似信息比对 2.8"])

RESULT_COLUMNS = ("单位编码", "单位名称", "姓名", "身份证号", "发放状态", "匹配方式", "说明")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ComparedImportView(BaseModel):
    id: int = Field(description="导入批次号")
    file_name: str = Field(description="名单文件名")
    uploaded_at: datetime | None = Field(description="上传时间")
    committed_at: datetime | None = Field(description="比对完成时间")
    total: int = Field(description="本机构范围内的比对行数")
    pending: int = Field(description="待核查行数")
    flagged_pending: int = Field(description="待核查且标记为疑点的行数")


class MatchView(BaseModel):
    import_id: int = Field(description="导入批次号")
    row_number: int = Field(description="名单中的行号")
    listed_name: str = Field(description="名单姓名")
    listed_id_number: str | None = Field(description="名单身份证号（已脱敏）")
    retiree_id: int | None = Field(description="匹配到的人员（未匹配为空）")
    personal_number: str | None = Field(description="个人编号")
    name: str | None = Field(description="登记姓名")
    id_number: str | None = Field(description="登记身份证号（已脱敏）")
    institution_name: str | None = Field(description="所属机构")
    status_label: str | None = Field(description="人员状态")
    match_kind: MatchKind = Field(description="匹配方式")
    match_kind_label: str = Field(description="匹配方式（中文）")
    flagged: bool = Field(description="是否标记为疑点（须人工核查）")
    explanation: str = Field(description="说明：为何匹配、为何标记")
    employer_code: str | None = Field(description="单位编码（比对时）")
    employer_name: str | None = Field(description="单位名称（比对时）")
    payment_status: str | None = Field(description="发放状态（比对时）")
    review_state: ReviewState = Field(description="核查状态")
    review_state_label: str = Field(description="核查状态（中文）")
    reviewed_by: str | None = Field(description="核查人")
    reviewed_at: datetime | None = Field(description="核查时间")
    review_note: str | None = Field(description="核查说明")

    @classmethod
    def of(cls, r: reviews.WorklistRow) -> MatchView:
        return cls(
            import_id=r.import_id,
            row_number=r.row_number,
            listed_name=r.listed_name,
            listed_id_number=mask_id_number(r.listed_id_number),
            retiree_id=r.retiree_id,
            personal_number=r.personal_number,
            name=r.name,
            id_number=mask_id_number(r.id_number),
            institution_name=r.institution_name,
            status_label=STATUS_LABELS[Status(r.status)] if r.status else None,
            match_kind=r.match_kind,
            match_kind_label=r.match_kind.label,
            flagged=r.flagged,
            explanation=r.explanation,
            employer_code=r.employer_code,
            employer_name=r.employer_name,
            payment_status=r.payment_status,
            review_state=r.review_state,
            review_state_label=r.review_state.label,
            reviewed_by=r.reviewed_by,
            reviewed_at=r.reviewed_at,
            review_note=r.review_note,
        )


class MatchPage(BaseModel):
    items: list[MatchView] = Field(description="本页记录：疑点在前，再按名单行号")
    total: int = Field(description="符合条件的总条数")
    page: int = Field(description="页码")
    size: int = Field(description="每页条数")


class ReviewRequest(BaseModel):
    action: reviews.ReviewAction = Field(
        description="checked 核查无误（须填写说明）；suspend 暂停发放；record_death 死亡登记"
    )
    note: str | None = Field(default=None, max_length=500, description="核查说明（核查无误时必填）")
    death_date: date | None = Field(default=None, description="死亡日期（死亡登记时必填）")
    evidence: DeathEvidence | None = Field(default=None, description="死亡信息来源（死亡登记时必填）")
    document_number: str | None = Field(default=None, max_length=100, description="证明文件编号")


@router.get("/api/v1/suspicious-imports", response_model=list[ComparedImportView])
async def compared_imports(session: Session, actor: StaffActor) -> list[ComparedImportView]:
    """2.8 已比对的疑似名单（本机构范围内），最新的在前，附待核查数。"""
    return [
        ComparedImportView(
            id=i.id,
            file_name=i.file_name,
            uploaded_at=i.uploaded_at,
            committed_at=i.committed_at,
            total=i.total,
            pending=i.pending,
            flagged_pending=i.flagged_pending,
        )
        for i in await reviews.imports(session, actor)
    ]


@router.get("/api/v1/suspicious-matches", response_model=MatchPage)
async def suspicious_matches(
    session: Session,
    actor: StaffActor,
    import_id: int | None = Query(default=None, ge=1, le=2**62, description="导入批次号"),
    review_state: ReviewState | None = Query(default=None, description="核查状态"),
    flagged: bool | None = Query(default=None, description="仅看标记为疑点的（true）"),
    page: int = Query(default=1, ge=1, le=100_000, description="页码，从 1 开始"),
    size: int = Query(default=20, ge=1, le=200, description="每页条数"),
) -> MatchPage:
    """2.8 疑似信息核查清单：本机构范围内的比对结果（身份证号已脱敏），含匹配方式和说明。"""
    result = await reviews.worklist(
        session,
        actor,
        reviews.WorklistFilter(import_id=import_id, review_state=review_state, flagged=flagged),
        page=page,
        size=size,
    )
    return MatchPage(
        items=[MatchView.of(r) for r in result.items], total=result.total, page=result.page, size=result.size
    )


@router.post("/api/v1/suspicious-matches/{import_id}/{row_number}/review", response_model=MatchView)
async def review_match(
    import_id: PathId, row_number: PathId, body: ReviewRequest, uow: StaffWork, actor: StaffActor
) -> MatchView:
    """2.8 核查一行：核查无误（须填说明）、暂停发放（S04，上报省平台）或死亡登记（4.6）。
    核查与所发起的业务在同一事务中，要么都生效要么都不生效；重复提交同一核查结果不会重复办理。"""
    row = await reviews.review(
        uow,
        actor,
        import_id,
        row_number,
        reviews.Review(
            action=body.action,
            note=body.note,
            death_date=body.death_date,
            evidence=body.evidence,
            document_number=body.document_number,
        ),
        today=calendar.today(),
    )
    return MatchView.of(row)


def _chunks(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as written:
            while block := written.read(1 << 16):
                yield block
    finally:
        os.unlink(path)


@router.get(
    "/api/v1/ministry-imports/{import_id}/comparison.xlsx",
    response_class=StreamingResponse,
    responses={200: {"description": "比对结果", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def comparison_xlsx(import_id: PathId, uow: StaffWork, actor: StaffActor) -> StreamingResponse:
    """2.8 比对结果文件（回传用）：单位编码、单位名称、姓名、身份证号、发放状态、匹配方式、说明；
    本机构范围内的全部行。"""
    session = uow.session
    file_name = await reviews.visible_import(session, actor, import_id)
    handle, path = tempfile.mkstemp(prefix="hub-suspicious-", suffix=".xlsx")
    os.close(handle)
    count = 0
    try:
        workbook = Workbook(
            path,
            {
                "constant_memory": True,
                "tmpdir": tempfile.gettempdir(),
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        sheet = workbook.add_worksheet("比对结果")
        bold = workbook.add_format({"bold": True})
        for column, (title, width) in enumerate(zip(RESULT_COLUMNS, (14, 28, 10, 22, 14, 30, 80), strict=True)):
            sheet.set_column(column, column, width)
            sheet.write_string(0, column, title, bold)
        async for r in reviews.result_rows(session, actor, import_id):
            count += 1
            values = (r.employer_code, r.employer_name, r.name, r.id_number, r.payment_status, r.match_kind)
            for column, value in enumerate((*values, r.explanation)):
                sheet.write_string(count, column, value or "")
        workbook.close()
    except BaseException:
        os.unlink(path)
        raise
    await reviews.record_download(session, actor, import_id, count)
    stem = file_name.rsplit(".", 1)[0] or "疑似名单"
    return StreamingResponse(_chunks(path), media_type=XLSX, headers=attachment_headers(f"{stem}-比对结果.xlsx"))
