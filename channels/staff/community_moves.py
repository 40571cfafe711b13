"""4.8 机构拆分合并: move the retirees of one community to another community of the same street/town — all of them
(merge: the source is deactivated afterwards) or a chosen set (split: by list or by address). The API records the
move and answers at once (202, the move's id); the rules scheduler (or ``hub moves run``) applies it chunk by chunk
and the console polls its progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import BodyId, PathId, Session, StaffActor
from domain.community_moves import service as moves
from domain.community_moves.models import (
    ACCOUNT_HANDLING_LABELS,
    MOVE_KIND_LABELS,
    MOVE_STATE_LABELS,
    AccountHandling,
    MoveKind,
)
from domain.community_moves.rules import Selection
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.masking import mask_id_number, mask_name

router = APIRouter(prefix="/api/v1", tags=["机构拆分合并 4.8"])


class MoveSelectionIn(BaseModel):
    retiree_ids: list[BodyId] = Field(default_factory=list, max_length=50_000, description="拆分：人员名单")
    personal_numbers: list[str] = Field(
        default_factory=list, max_length=50_000, description="拆分：人员名单（个人编号，与 retiree_ids 合并）"
    )
    address_contains: str | None = Field(
        default=None, max_length=100, description="拆分：居住地址包含（如楼号、小区名）"
    )


class MoveIn(BaseModel):
    kind: Literal["split", "merge"] = Field(description="merge 合并（全部迁移，撤销原社区）；split 拆分")
    source_institution_id: BodyId = Field(description="原社区")
    target_institution_id: BodyId = Field(description="目标社区（同一街道/乡镇）")
    selection: MoveSelectionIn = Field(default_factory=MoveSelectionIn, description="拆分的人员范围")


class MoveCreate(MoveIn):
    effective_date: date | None = Field(default=None, description="生效日期（默认今天，不能晚于今天）")
    reason: str = Field(min_length=1, max_length=200, description="拆分合并原因")
    remarks: str | None = Field(default=None, max_length=500)
    account_handling: Literal["move", "deactivate"] | None = Field(
        default=None, description="合并：原社区工作人员账号 move 转入目标社区 / deactivate 停用"
    )
    request_id: str | None = Field(
        default=None, min_length=8, max_length=64, pattern=r"^[0-9A-Za-z_-]+$", description="客户端请求号（幂等）"
    )


class MovePersonView(BaseModel):
    id: int
    personal_number: str
    name: str = Field(description="姓名（脱敏）")
    id_number: str = Field(description="身份证号码（脱敏）")
    status: str
    status_label: str
    residence_address: str | None

    @classmethod
    def of(cls, r: Retiree) -> MovePersonView:
        assert r.id is not None
        return cls(
            id=r.id,
            personal_number=r.personal_number,
            name=mask_name(r.name) or "",
            id_number=mask_id_number(r.id_number) or "",
            status=r.status.value,
            status_label=STATUS_LABELS[Status(r.status)],
            residence_address=r.residence_address,
        )


class MoveExclusionView(BaseModel):
    retiree_id: int
    reason: str
    reason_label: str


class MovePreviewView(BaseModel):
    source: str
    target: str
    movable: int = Field(description="将迁移人数")
    first: list[MovePersonView] = Field(description="将迁移人员（前 20 名，脱敏）")
    excluded_count: int = Field(description="不迁移人数（有未办结转移或不在原社区）")
    excluded: list[MoveExclusionView]
    latest_registration: date | None = Field(description="将迁移人员中最晚的登记日期（生效日期不能早于它）")


class MoveView(BaseModel):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    source_institution_id: int
    source: str
    target_institution_id: int
    target: str
    street: str
    selection: dict[str, object]
    account_handling: str | None
    account_handling_label: str | None
    effective_date: date
    reason: str
    remarks: str | None
    total: int
    done: int
    moved: int
    skipped: int
    excluded_count: int
    excluded: list[MoveExclusionView]
    accounts_handled: int
    source_deactivated: bool
    error: str | None
    created_by: str
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: moves.MoveRow) -> MoveView:
        m = row.move
        assert m.id is not None
        return cls(
            id=m.id,
            kind=m.kind.value,
            kind_label=MOVE_KIND_LABELS[m.kind],
            state=m.state.value,
            state_label=MOVE_STATE_LABELS[m.state],
            source_institution_id=m.source_institution_id,
            source=row.source.name,
            target_institution_id=m.target_institution_id,
            target=row.target.name,
            street=row.street.name,
            selection=m.selection,
            account_handling=m.account_handling.value if m.account_handling else None,
            account_handling_label=ACCOUNT_HANDLING_LABELS[m.account_handling] if m.account_handling else None,
            effective_date=m.effective_date,
            reason=m.reason,
            remarks=m.remarks,
            total=m.total,
            done=m.done,
            moved=m.moved,
            skipped=m.skipped,
            excluded_count=m.excluded_count,
            excluded=[_exclusion(e["retiree_id"], e["reason"]) for e in m.excluded],
            accounts_handled=m.accounts_handled,
            source_deactivated=m.source_deactivated,
            error=m.error,
            created_by=m.created_by,
            created_at=m.created_at,
            started_at=m.started_at,
            finished_at=m.finished_at,
        )


class MovePage(BaseModel):
    items: list[MoveView]
    total: int
    page: int
    size: int


def _exclusion(retiree_id: int, reason: str) -> MoveExclusionView:
    label = moves.EXCLUSION_LABELS.get(reason, reason)
    return MoveExclusionView(retiree_id=retiree_id, reason=reason, reason_label=label)


async def _selection(session: Session, body: MoveSelectionIn) -> Selection:
    ids = set(body.retiree_ids) | set(await moves.by_personal_numbers(session, body.personal_numbers))
    return Selection(tuple(sorted(ids)), body.address_contains)


@router.post("/community-moves/preview", response_model=MovePreviewView)
async def preview(body: MoveIn, session: Session, actor: StaffActor) -> MovePreviewView:
    """预览：将迁移的人数与前 20 名（脱敏），以及不迁移的人员和原因；不做任何更改。"""
    result = await moves.preview(
        session,
        actor,
        kind=MoveKind(body.kind),
        source_id=body.source_institution_id,
        target_id=body.target_institution_id,
        selection=await _selection(session, body.selection),
    )
    return MovePreviewView(
        source=result.source.name,
        target=result.target.name,
        movable=result.movable,
        first=[MovePersonView.of(r) for r in result.first],
        excluded_count=result.excluded_count,
        excluded=[_exclusion(e.retiree_id, e.reason) for e in result.excluded],
        latest_registration=result.latest_registration,
    )


@router.post("/community-moves", response_model=MoveView, status_code=202)
async def create(body: MoveCreate, session: Session, actor: StaffActor) -> MoveView:
    """办理拆分合并：记录并锁定迁移名单，后台分批执行（202，返回记录号，控制台轮询进度）。同一请求号重复提交返回同一记录。"""
    move = await moves.create(
        session,
        actor,
        moves.MoveRequest(
            kind=MoveKind(body.kind),
            source_id=body.source_institution_id,
            target_id=body.target_institution_id,
            effective_date=body.effective_date or calendar.today(),
            reason=body.reason,
            selection=await _selection(session, body.selection),
            account_handling=AccountHandling(body.account_handling) if body.account_handling else None,
            remarks=body.remarks,
            request_id=body.request_id,
        ),
    )
    assert move.id is not None
    return MoveView.of(await moves.get_row(session, actor, move.id))


@router.get("/community-moves", response_model=MovePage)
async def listing(
    session: Session,
    actor: StaffActor,
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=20, ge=1, le=100),
) -> MovePage:
    """本机构（查询范围内）街道的拆分合并记录，最新在前。"""
    result = await moves.listing(session, actor, page=page, size=size)
    return MovePage(items=[MoveView.of(r) for r in result.items], total=result.total, page=page, size=size)


@router.get("/community-moves/{move_id}", response_model=MoveView)
async def detail(move_id: PathId, session: Session, actor: StaffActor) -> MoveView:
    """拆分合并进度：状态、已处理/总数、迁移/跳过/未迁移人数、错误。"""
    return MoveView.of(await moves.get_row(session, actor, move_id))
