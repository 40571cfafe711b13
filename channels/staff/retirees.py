"""Retiree queries (6.3, 6.4, 6.7, 6.8, 6.11), the detail view, supplementary info (4.2) and the person
status-change log (6.22) with error restoration."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import PathId, QueryId, Session, StaffActor, StaffWork
from channels.staff.views import (
    CityWideStatusView,
    RetireeDetail,
    RetireePage,
    RetireeSummary,
    StatusChangeView,
    SupplementaryView,
    masked_status,
)
from domain.dictionary.codes import ReasonCode
from domain.retirees import management, supplementary
from domain.retirees import service as retirees
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.staff.permissions import Permission, require
from domain.status_log import service as status_log

router = APIRouter(prefix="/api/v1/retirees", tags=["退休人员 6.x"])
SORT_PATTERN = rf"^-?({'|'.join(retirees.SORTABLE)})$"


@router.get("", response_model=RetireePage)
async def search_retirees(
    session: Session,
    actor: StaffActor,
    status: Status | None = Query(default=None, description="人员状态"),
    suspension_reason: ReasonCode | None = Query(
        default=None, description="暂停原因代码（如 S01 超过6个月未认证），与 status=suspended 一起使用"
    ),
    payment_status: str | None = Query(default=None, pattern=r"^[0-9]$"),
    management_form: str | None = Query(default=None, pattern=r"^[0-9]$", description="6.11 管理形式"),
    institution_id: QueryId = None,
    name: str | None = Query(default=None, min_length=1, max_length=20, description="姓名（前缀）"),
    personal_number: str | None = Query(default=None, pattern=r"^[0-9A-Za-z]{1,20}$"),
    id_number: str | None = Query(default=None, pattern=r"^[0-9]{17}[0-9Xx]$"),
    unregistered: bool = Query(default=False, description="未登记（无所属机构）人员，仅市级"),
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=20, ge=1, le=200),
    sort: str = Query(
        default="personal_number",
        pattern=SORT_PATTERN,
        description="排序列：personal_number、name、birth_date、status；前加“-”为降序（其后按个人编号）",
    ),
) -> RetireePage:
    filters = retirees.RetireeFilter(
        status=status.value if status else None,
        suspension_reason=suspension_reason.value if suspension_reason else None,
        payment_status=payment_status,
        management_form=management_form,
        institution_id=institution_id,
        name=name,
        personal_number=personal_number,
        id_number=id_number,
        unregistered=unregistered,
    )
    result = await retirees.search(session, actor, filters, page=page, size=size, sort=sort)
    return RetireePage(
        items=[RetireeSummary.of(r, i) for r, i in result.items], total=result.total, page=result.page, size=result.size
    )


@router.get("/status", response_model=CityWideStatusView)
async def status_anywhere(
    session: Session,
    actor: StaffActor,
    number: str = Query(pattern=r"^[0-9A-Za-z]{1,20}$", description="个人编号或身份证号码"),
) -> CityWideStatusView:
    """6.7 全市任一退休人员当前状态查询。"""
    found = await retirees.status_anywhere(session, actor, number)
    return masked_status(found.retiree, found.institution, found.in_own_scope)


@router.get("/{retiree_id}", response_model=RetireeDetail)
async def retiree_detail(retiree_id: PathId, session: Session, actor: StaffActor) -> RetireeDetail:
    """6.9 基本信息：完整信息，每次查看均记入审计日志。"""
    return RetireeDetail.of(*await retirees.detail(session, actor, retiree_id))


class SupplementaryForm(BaseModel):
    household_address: str | None = Field(default=None, max_length=200)
    marital_status: str | None = Field(default=None, pattern=r"^[0-9]{1,2}$")
    health_status: str | None = Field(default=None, pattern=r"^[0-9]{1,2}$")
    living_arrangement: str | None = Field(default=None, pattern=r"^[0-9]{1,2}$")
    emergency_contact_name: str | None = Field(default=None, min_length=2, max_length=20)
    emergency_contact_phone: str | None = Field(default=None, pattern=r"^[0-9+\-]{5,20}$")
    special_categories: list[str] = Field(default_factory=list, max_length=10)
    remarks: str | None = Field(default=None, max_length=500)


@router.put("/{retiree_id}/supplementary", response_model=SupplementaryView)
async def record_supplementary(
    retiree_id: PathId, body: SupplementaryForm, uow: StaffWork, actor: StaffActor
) -> SupplementaryView:
    """4.2 补充信息采集（含5.1特殊人员类别）。"""
    info = await supplementary.record(uow, actor, retiree_id, supplementary.SupplementaryForm(**body.model_dump()))
    return SupplementaryView.of(info)


@router.get("/{retiree_id}/status-changes", response_model=list[StatusChangeView])
async def status_changes(retiree_id: PathId, session: Session, actor: StaffActor) -> list[StatusChangeView]:
    """6.22 人员状态变更记录。"""
    await retirees.in_scope(session, actor, retiree_id)
    return [StatusChangeView.of(e) for e in await status_log.history(session, retiree_id)]


class StateOn(BaseModel):
    on: date
    known_at: datetime | None
    status: str | None
    status_label: str | None


@router.get("/{retiree_id}/state-on", response_model=StateOn)
async def state_on(
    retiree_id: PathId,
    session: Session,
    actor: StaffActor,
    on: date = Query(description="法定生效日期口径的日期"),
    known_at: datetime | None = Query(default=None, description="按该时刻系统已知的信息（默认现在）"),
) -> StateOn:
    """某日的人员状态（可按过去某时刻已知的信息重建）。"""
    retiree = await retirees.in_scope(session, actor, retiree_id)
    state = await status_log.state_on(session, retiree, on, known_at=known_at)
    return StateOn(
        on=on,
        known_at=known_at,
        status=state.status.value if state else None,
        status_label=STATUS_LABELS[state.status] if state else None,
    )


class Restoration(BaseModel):
    remarks: str = Field(min_length=2, max_length=500, description="差错原因")


@router.post("/{retiree_id}/status-changes/{entry_id}/restore", response_model=StatusChangeView, status_code=201)
async def restore_in_error(
    retiree_id: PathId, entry_id: PathId, body: Restoration, uow: StaffWork, actor: StaffActor
) -> StatusChangeView:
    """差错恢复：新增一条恢复记录，原记录不修改。"""
    require(actor, Permission.CHANGE_REGISTRY)
    await retirees.in_scope(uow.session, actor, retiree_id)
    entry = await status_log.restore_in_error(uow, actor, entry_id, retiree_id=retiree_id, remarks=body.remarks)
    return StatusChangeView.of(entry)


class ManagementFormBody(BaseModel):
    management_form: str = Field(
        pattern=r"^[0-9]$", description="管理形式代码：1 社区管理、2 社保经办机构管理、3 委托原单位管理"
    )
    reason: str = Field(max_length=200, description="变更原因")


class ManagementFormView(BaseModel):
    retiree_id: int
    management_form: str
    previous: str
    changed: bool


@router.put("/{retiree_id}/management-form", response_model=ManagementFormView)
async def set_management_form(
    retiree_id: PathId, body: ManagementFormBody, uow: StaffWork, actor: StaffActor
) -> ManagementFormView:
    """6.11 设置人员的管理形式（需填写原因，记入审计日志；与现管理形式相同时不作变更）。"""
    change = await management.set_management_form(uow, actor, retiree_id, body.management_form, body.reason)
    return ManagementFormView(
        retiree_id=retiree_id,
        management_form=change.retiree.management_form,
        previous=change.previous,
        changed=change.changed,
    )
