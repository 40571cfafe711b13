"""部委数据导入 (2.7 跨地区认证数据, 2.8 疑似名单): one staged pipeline for the ministry's batch files.

Upload stores the file (202); the worker stages it (every row validated, progress in ``processed_rows``); staff
preview the valid rows and the exceptions (row, column, reason), download the exceptions as XLSX to correct and
upload again, then confirm (commit, applied by the worker chunk by chunk) or abandon. The same file uploaded twice is
answered with the earlier import (200, ``duplicate_of``) and changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from channels.deps import PathId, Session, StaffActor
from channels.printing.response import attachment_headers
from connectors.ministry_import.exceptions import file_columns, write_exceptions
from domain.audit import trail
from domain.ministry_imports import service
from domain.ministry_imports.models import (
    ACTIVE_STATES,
    IMPORT_KIND_LABELS,
    IMPORT_STATE_LABELS,
    ROW_OUTCOME_LABELS,
    ImportKind,
    MinistryImport,
    MinistryImportFile,
    MinistryImportRow,
    RowOutcome,
)
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.masking import mask_id_number

router = APIRouter(prefix="/api/v1", tags=["部委数据导入 2.7 2.8"])

MAX_FILE_BYTES = 50 * 1024 * 1024  # a 100,000-row CSV is about 8 MB, its XLSX about 5 MB
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")
_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


class ImportWarningView(BaseModel):
    code: str
    message: str


class ImportView(BaseModel):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    active: bool = Field(description="正在处理（等待处理/校验中/导入中），控制台每秒刷新")
    file_name: str
    file_digest: str
    file_size: int
    uploaded_by: str
    uploaded_at: datetime | None
    total_rows: int
    valid_rows: int
    exception_rows: int
    duplicate_rows: int
    applied_rows: int
    processed_rows: int = Field(description="当前阶段已处理行数（校验中：已读行数；导入中：已导入行数）")
    progress: int = Field(description="当前阶段进度百分比 0-100")
    warnings: list[ImportWarningView]
    error: str | None
    staged_at: datetime | None
    committed_at: datetime | None
    committed_by: str | None
    corrects_import_id: int | None
    duplicate_of: int | None = Field(default=None, description="同一文件已导入过：原批次号（本次未做任何更改）")
    message: str | None = None

    @classmethod
    def of(cls, m: MinistryImport, *, duplicate_of: int | None = None) -> ImportView:
        assert m.id is not None
        expected = max(m.valid_rows if m.state.value == "committing" else m.total_rows, 1)
        done = min(m.processed_rows, expected)
        progress = 100 if m.state.value in ("staged", "committed") else int(done * 100 / expected)
        when = m.uploaded_at.strftime("%Y-%m-%d %H:%M") if m.uploaded_at else ""
        return cls(
            id=m.id,
            kind=m.kind.value,
            kind_label=IMPORT_KIND_LABELS[m.kind],
            state=m.state.value,
            state_label=IMPORT_STATE_LABELS[m.state],
            active=m.state in ACTIVE_STATES,
            file_name=m.file_name,
            file_digest=m.file_digest,
            file_size=m.file_size,
            uploaded_by=m.uploaded_by,
            uploaded_at=m.uploaded_at,
            total_rows=m.total_rows,
            valid_rows=m.valid_rows,
            exception_rows=m.exception_rows,
            duplicate_rows=m.duplicate_rows,
            applied_rows=m.applied_rows,
            processed_rows=m.processed_rows,
            progress=progress,
            warnings=[ImportWarningView(code=w.get("code", ""), message=w.get("message", "")) for w in m.warnings],
            error=m.error,
            staged_at=m.staged_at,
            committed_at=m.committed_at,
            committed_by=m.committed_by,
            corrects_import_id=m.corrects_import_id,
            duplicate_of=duplicate_of,
            message=f"此文件已于{when}导入，批次 {duplicate_of}，本次未做任何更改" if duplicate_of else None,
        )


class ImportPage(BaseModel):
    items: list[ImportView]
    total: int
    page: int
    size: int


class RowProblemView(BaseModel):
    column: str = Field(description="列（文件中的表头）")
    field: str | None
    code: str
    message: str = Field(description="错误原因（含行号、列）")


class ImportRowView(BaseModel):
    row_number: int = Field(description="原行号（表头为第 1 行）")
    name: str | None
    id_number: str | None = Field(description="身份证号（脱敏）")
    personal_number: str | None
    retiree_id: int | None
    fields: dict[str, str] = Field(description="各字段（日期为 ISO 格式；身份证号不在其中）")
    outcome: str
    outcome_label: str
    problems: list[RowProblemView]

    @classmethod
    def of(cls, r: MinistryImportRow) -> ImportRowView:
        return cls(
            row_number=r.row_number,
            name=r.name,
            id_number=mask_id_number(r.id_number_18 or r.id_number),
            personal_number=r.personal_number,
            retiree_id=r.retiree_id,
            fields={k: str(v) for k, v in r.fields.items() if k != "id_number"},
            outcome=r.outcome.value,
            outcome_label=ROW_OUTCOME_LABELS[r.outcome],
            problems=[
                RowProblemView(
                    column=str(p.get("column") or ""),
                    field=p.get("field"),
                    code=str(p.get("code", "")),
                    message=str(p.get("message", "")),
                )
                for p in r.problems
            ],
        )


class RowPage(BaseModel):
    items: list[ImportRowView]
    total: int
    page: int
    size: int


def _refuse(message: str) -> DomainError:
    return DomainError(ErrorCode.IMPORT_FILE_INVALID, message, field="file")


def _check_file(name: str, content: bytes) -> None:
    if not content:
        raise _refuse(f"上传的文件“{name}”是空的（0字节）")
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(
            f"文件“{name}”有{len(content) / 1024 / 1024:.1f} MB，"
            f"超过上限 {MAX_FILE_BYTES // 1024 // 1024} MB，请分成几个文件上传"
        )
    lowered = name.lower()
    if not lowered.endswith(_SUFFIXES):
        raise _refuse(f"文件“{name}”的类型无法识别：只接受 Excel（.xlsx、.xls）或 CSV（.csv）文件")
    is_excel = content.startswith(_EXCEL_MAGIC)
    if lowered.endswith((".csv", ".txt")) and (is_excel or b"\x00" in content[:65536]):
        raise _refuse(f"文件“{name}”不是文本格式的CSV（可能是改了扩展名的Excel或其他文件），请另存为.csv或.xlsx")
    if not lowered.endswith((".csv", ".txt")) and not is_excel:
        raise _refuse(f"文件“{name}”不是有效的Excel工作簿（可能是改了扩展名的其他文件），请另存为.xlsx或.csv")


def _ready(request: Request) -> frozenset[ImportKind]:
    committers: dict[ImportKind, Any] = getattr(request.app.state, "import_committers", {})
    return frozenset(committers)


@router.post(
    "/ministry-imports",
    response_model=ImportView,
    status_code=202,
    responses={200: {"model": ImportView, "description": "同一文件已导入过：返回原批次，未做任何更改"}},
)
async def upload(
    session: Session,
    actor: StaffActor,
    file: Annotated[UploadFile, File(description="部委下发的 Excel（.xlsx/.xls）或 CSV 文件")],
    kind: Annotated[Literal["cross_region_certifications", "suspicious_list"], Form(description="文件类型")],
    corrects_import_id: Annotated[int | None, Form(ge=1, le=2**63 - 1, description="更正哪个批次的异常数据")] = None,
) -> Any:
    """上传部委文件：保存文件并排队校验（202）；同一文件（内容相同）再次上传返回原批次（200，duplicate_of），不做任何更改。"""
    written = os.path.basename((file.filename or "").replace("\\", "/"))
    name = "".join(c for c in written if c.isprintable()).strip()[:200] or "上传的文件"
    content = await file.read(MAX_FILE_BYTES + 1)
    _check_file(name, content)
    digest = hashlib.sha256(content).hexdigest()
    result = await service.upload(
        session,
        actor,
        kind=ImportKind(kind),
        file_name=name,
        content=content,
        digest=digest,
        corrects_import_id=corrects_import_id,
    )
    view = ImportView.of(result.ministry_import, duplicate_of=result.duplicate_of)
    if result.duplicate_of is not None:
        return JSONResponse(view.model_dump(mode="json"), status_code=200)
    return view


@router.get("/ministry-imports", response_model=ImportPage)
async def listing(
    session: Session,
    actor: StaffActor,
    kind: Literal["cross_region_certifications", "suspicious_list"] | None = Query(default=None),
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=20, ge=1, le=100),
) -> ImportPage:
    """本机构（查询范围内）上传的导入批次，最新在前。"""
    result = await service.listing(session, actor, kind=ImportKind(kind) if kind else None, page=page, size=size)
    return ImportPage(items=[ImportView.of(m) for m in result.items], total=result.total, page=page, size=size)


@router.get("/ministry-imports/{import_id}", response_model=ImportView)
async def detail(import_id: PathId, session: Session, actor: StaffActor) -> ImportView:
    """导入批次：状态、进度、各类行数、文件警告与整文件错误。"""
    return ImportView.of(await service.get(session, actor, import_id))


@router.get("/ministry-imports/{import_id}/rows", response_model=RowPage)
async def rows(
    import_id: PathId,
    session: Session,
    actor: StaffActor,
    outcome: Literal["valid", "exception", "duplicate", "applied"] | None = Query(default=None),
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=50, ge=1, le=200),
) -> RowPage:
    """预览各行（身份证号脱敏）：有效、异常（行号、列、原因）、重复、已导入。"""
    result = await service.rows(
        session, actor, import_id, outcome=RowOutcome(outcome) if outcome else None, page=page, size=size
    )
    return RowPage(items=[ImportRowView.of(r) for r in result.items], total=result.total, page=page, size=size)


def _chunks(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as written:
            while block := written.read(1 << 16):
                yield block
    finally:
        os.unlink(path)


@router.get(
    "/ministry-imports/{import_id}/exceptions.xlsx",
    response_class=StreamingResponse,
    responses={200: {"description": "异常数据", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def exceptions_xlsx(import_id: PathId, session: Session, actor: StaffActor) -> StreamingResponse:
    """异常数据（XLSX）：文件原有的列 + 原行号 + 错误原因，表头在第 1 行，改正后可直接重新上传。"""
    item = await service.get(session, actor, import_id)
    content = (
        await session.execute(
            select(col(MinistryImportFile.content)).where(col(MinistryImportFile.import_id) == import_id)
        )
    ).scalar_one_or_none()
    # No stored file (an import recorded without one): the columns are the file kind's own labels.
    columns = file_columns(item.kind, content or b"", item.file_name)
    del content
    handle, path = tempfile.mkstemp(prefix="hub-import-exceptions-", suffix=".xlsx")
    os.close(handle)
    try:
        count = await write_exceptions(path, columns, service.exception_rows(session, import_id))
    except BaseException:
        os.unlink(path)
        raise
    await trail.record(
        session,
        actor,
        "ministry_import.exceptions_download",
        target=f"ministry_import:{import_id}",
        detail={"rows": count, "file_name": item.file_name},
    )
    stem = item.file_name.rsplit(".", 1)[0] or "部委数据"
    return StreamingResponse(_chunks(path), media_type=XLSX, headers=attachment_headers(f"{stem}-异常数据.xlsx"))


@router.post("/ministry-imports/{import_id}/commit", response_model=ImportView)
async def commit(import_id: PathId, request: Request, session: Session, actor: StaffActor) -> ImportView:
    """确认导入（仅“待确认”的批次）：后台分批导入有效数据；重复确认返回同一批次，不会重复导入。"""
    return ImportView.of(await service.request_commit(session, actor, import_id, ready=_ready(request)))


@router.post("/ministry-imports/{import_id}/abandon", response_model=ImportView)
async def abandon(import_id: PathId, session: Session, actor: StaffActor) -> ImportView:
    """放弃（确认导入前）：该批次不再导入；同一文件之后可以重新上传。"""
    return ImportView.of(await service.abandon(session, actor, import_id))
