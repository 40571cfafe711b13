"""Certification and the staff actions of 4.5: where a retiree stands (with the sentence to read aloud), the
certification history (6.13), on-site certification at the community (4.3), suspending selected retirees and
resuming those who qualify. Error restoration is ``POST /api/v1/retirees/{id}/status-changes/{entry}/restore``."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from channels.deps import PathId, StaffActor, StaffWork
from channels.staff.views import StatusChangeView
from connectors.auth_platform.models import FaceModelShare
from domain.certifications import service as certifications
from domain.certifications.rules import CertificationSource
from domain.retirees import service as retirees
from domain.shared import calendar
from domain.staff.permissions import Permission, require
from domain.suspensions import staff as staff_actions

router = APIRouter(prefix="/api/v1/retirees", tags=["资格认证与暂停恢复 4.3 4.5"])


class ReportView(BaseModel):
    source: str
    source_id: str
    method: str
    certified_on: date
    result: str
    certified_by: str | None
    recorded_at: datetime | None


class FaceShareView(BaseModel):
    state: str
    attempts: int
    requested_at: datetime | None
    shared_at: datetime | None
    last_error: str | None


class CertificationView(BaseModel):
    retiree_id: int
    status: str
    suspension_reason: str | None
    last_certified: date | None
    next_due: date | None
    sentence: str = Field(description="可向退休人员宣读的一句话说明")
    history: list[ReportView]
    face_share: FaceShareView | None = Field(description="向认证平台推送人像建模信息的状态")


@router.get("/{retiree_id}/certification", response_model=CertificationView)
async def certification(retiree_id: PathId, uow: StaffWork, actor: StaffActor) -> CertificationView:
    """认证情况：上次认证、下次到期、是否暂停及原因（一句话说明）、认证历史（6.13）、人像建模推送状态。"""
    today = calendar.today()
    standing = await staff_actions.standing(uow, actor, retiree_id, today=today)
    reports = await certifications.history(uow, retiree_id)
    share = await uow.session.get(FaceModelShare, retiree_id)
    return CertificationView(
        retiree_id=retiree_id,
        status=standing.status,
        suspension_reason=standing.suspension_reason,
        last_certified=standing.last_certified,
        next_due=standing.next_due,
        sentence=standing.sentence,
        history=[
            ReportView(
                source=r.source,
                source_id=r.source_id,
                method=r.method,
                certified_on=r.certified_on,
                result=r.result,
                certified_by=r.certified_by,
                recorded_at=r.recorded_at,
            )
            for r in reports
        ],
        face_share=FaceShareView.model_validate(share.model_dump()) if share else None,
    )


class OnSiteCertification(BaseModel):
    certified_on: date = Field(description="现场认证日期")

    @field_validator("certified_on")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > calendar.today():
            raise ValueError("认证日期不能晚于今天")
        return value


class CertificationOutcome(BaseModel):
    outcome: str
    sentence: str


@router.post("/{retiree_id}/certifications", response_model=CertificationOutcome, status_code=201)
async def certify_on_site(
    retiree_id: PathId, body: OnSiteCertification, uow: StaffWork, actor: StaffActor
) -> CertificationOutcome:
    """4.3 社区现场认证：同一人同一天只计一次；因未认证而暂停的人员认证后自动恢复发放。"""
    require(actor, Permission.CHANGE_REGISTRY)
    person = await retirees.in_scope(uow.session, actor, retiree_id)
    today = calendar.today()
    report = certifications.Report(
        retiree_id=retiree_id,
        source=CertificationSource.ON_SITE,
        source_id=f"onsite-{person.personal_number}-{body.certified_on.isoformat()}",
        method="on_site",
        certified_on=body.certified_on,
        passed=True,
        certified_by=actor.name,
    )
    outcome = await certifications.record(uow, actor, report, today=today)
    standing = await staff_actions.standing(uow, actor, retiree_id, today=today)
    return CertificationOutcome(outcome=outcome.value, sentence=standing.sentence)


class Selection(BaseModel):
    retiree_ids: list[int] = Field(min_length=1, max_length=500, description="选中的退休人员")
    effective_date: date = Field(description="暂停的法定生效日期")
    remarks: str = Field(min_length=2, max_length=500, description="暂停原因说明")


class SelectedView(BaseModel):
    retiree_id: int
    done: bool
    code: str
    message: str
    entry_id: int | None


@router.post("/suspensions", response_model=list[SelectedView])
async def suspend_selected(body: Selection, uow: StaffWork, actor: StaffActor) -> list[SelectedView]:
    """4.5 经办人员暂停选中人员的养老金发放；不能暂停的人员逐一说明原因，其余照常办理。"""
    outcomes = await staff_actions.suspend_selected(
        uow, actor, body.retiree_ids, effective_date=body.effective_date, remarks=body.remarks
    )
    return [SelectedView.model_validate(o, from_attributes=True) for o in outcomes]


class Resumption(BaseModel):
    effective_date: date = Field(description="恢复的法定生效日期")
    remarks: str = Field(min_length=2, max_length=500, description="恢复依据")


@router.post("/{retiree_id}/resume", response_model=StatusChangeView, status_code=201)
async def resume(retiree_id: PathId, body: Resumption, uow: StaffWork, actor: StaffActor) -> StatusChangeView:
    """4.5 恢复符合条件人员的发放（因未认证暂停的须先完成认证）。"""
    entry = await staff_actions.resume(
        uow, actor, retiree_id, effective_date=body.effective_date, remarks=body.remarks, today=calendar.today()
    )
    return StatusChangeView.of(entry)
