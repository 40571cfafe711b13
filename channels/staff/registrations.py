"""4.1 登记: at the counter by personal number + insuring-agency code, and community staff's decisions on
applications made from the mobile apps."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import ApplicationId, Session, StaffActor, StaffWork
from channels.staff.residence import ResidenceBody
from channels.staff.views import RetireeSummary
from domain.institutions import service as institutions
from domain.institutions.models import Institution
from domain.registrations import service as registrations
from domain.registrations.models import APPLICATION_STATE_LABELS, ApplicationState, RegistrationApplication
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.retirees.models import Retiree
from domain.shared.masking import mask_id_number, mask_phone

router = APIRouter(prefix="/api/v1/registrations", tags=["登记 4.1"])

PersonalNumber = Query(pattern=r"^[0-9A-Za-z]{1,20}$", description="个人编号")
AgencyCode = Query(pattern=r"^[0-9A-Za-z]{6,12}$", description="参保机构编码")


class RegistrationCandidate(BaseModel):
    personal_number: str
    name: str
    id_number: str
    status: str
    status_label: str
    registered: bool


@router.get("/lookup", response_model=RegistrationCandidate)
async def lookup(
    session: Session, actor: StaffActor, personal_number: str = PersonalNumber, insuring_agency_code: str = AgencyCode
) -> RegistrationCandidate:
    """按个人编号+参保机构编码查询待登记人员。"""
    retiree = await registrations.find_for_registration(session, actor, personal_number, insuring_agency_code)
    return RegistrationCandidate(
        personal_number=retiree.personal_number,
        name=retiree.name,
        id_number=mask_id_number(retiree.id_number) or "",
        status=retiree.status,
        status_label=STATUS_LABELS[retiree.status],
        registered=retiree.status == Status.REGISTERED,
    )


class CounterRegistration(BaseModel):
    personal_number: str = Field(pattern=r"^[0-9A-Za-z]{1,20}$")
    insuring_agency_code: str = Field(pattern=r"^[0-9A-Za-z]{6,12}$")
    effective_date: date | None = Field(default=None, description="登记生效日期（默认今天）")
    residence: ResidenceBody | None = Field(
        default=None,
        description="居住地（4.7）：参保机构登记本机构参保、居住在外市的人员时必填（或此前已记录）；社区登记时可选",
    )


@router.post("", response_model=RetireeSummary, status_code=201)
async def register(body: CounterRegistration, uow: StaffWork, actor: StaffActor) -> RetireeSummary:
    """确认登记到本社区；已登记的人员返回“人员已登记，不能重复登记”。参保机构（县区经办机构）只能登记本机构参保、
    居住在外市的人员（4.7），登记到本机构。"""
    retiree = await registrations.register_at_counter(
        uow,
        actor,
        body.personal_number,
        body.insuring_agency_code,
        effective_date=body.effective_date,
        residence=body.residence.input() if body.residence else None,
    )
    institution = await institutions.get(uow.session, retiree.institution_id) if retiree.institution_id else None
    return RetireeSummary.of(retiree, institution)


class ApplicationView(BaseModel):
    id: str
    state: str
    state_label: str
    personal_number: str
    name: str
    id_number: str
    contact_phone: str | None
    community: str | None = Field(description="申请登记的社区")
    submitted_at: datetime | None
    reject_reason: str | None


def application_view(
    application: RegistrationApplication,
    personal_number: str,
    name: str,
    id_number: str,
    community: Institution | None = None,
) -> ApplicationView:
    return ApplicationView(
        id=application.id,
        state=application.state,
        state_label=APPLICATION_STATE_LABELS[ApplicationState(application.state)],
        personal_number=personal_number,
        name=name,
        id_number=mask_id_number(id_number) or "",
        contact_phone=mask_phone(application.contact_phone),
        community=community.name if community else None,
        submitted_at=application.submitted_at,
        reject_reason=application.reject_reason,
    )


@router.get("/applications", response_model=list[ApplicationView])
async def pending_applications(session: Session, actor: StaffActor) -> list[ApplicationView]:
    """本机构（含下级社区）待确认的手机端登记申请。"""
    return [
        application_view(a, r.personal_number, r.name, r.id_number, c)
        for a, r, c in await registrations.pending_for(session, actor)
    ]


class Rejection(BaseModel):
    reason: str = Field(min_length=2, max_length=200, description="退回原因")


async def _view(uow: StaffWork, application: RegistrationApplication) -> ApplicationView:
    retiree = await uow.session.get(Retiree, application.retiree_id)
    community = await institutions.get(uow.session, application.community_id)
    assert retiree is not None
    return application_view(application, retiree.personal_number, retiree.name, retiree.id_number, community)


@router.post("/applications/{application_id}/confirm", response_model=ApplicationView)
async def confirm(application_id: ApplicationId, uow: StaffWork, actor: StaffActor) -> ApplicationView:
    return await _view(uow, await registrations.confirm(uow, actor, application_id))


@router.post("/applications/{application_id}/reject", response_model=ApplicationView)
async def reject(application_id: ApplicationId, body: Rejection, uow: StaffWork, actor: StaffActor) -> ApplicationView:
    return await _view(uow, await registrations.reject(uow, actor, application_id, body.reason))
