"""4.1 手机端登记: a retiree identifies themself, picks a community and applies; they can follow the application.

The app's own token (``POST /channel/v1/token``) serves the client-level calls (the community search); identifying,
applying and following an application are the retiree's own business and take the retiree token of issue 20
(channels/mobile/caller.py): the ID number in the body must be the one the app vouched for."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from channels.deps import ApplicationId, ChannelWork, Session, client_address, hub_of
from channels.mobile.caller import CHANNEL_RESPONSES, ClientActor, RetireeActor, require_same_retiree
from channels.security import Unauthenticated, issue_token, verify_password
from domain.institutions import service as institutions
from domain.institutions.models import Institution
from domain.registrations import service as registrations
from domain.registrations.models import APPLICATION_STATE_LABELS, ApplicationState, RegistrationApplication
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.shared.errors import ErrorCode
from domain.shared.masking import mask_id_number
from domain.staff.models import ChannelClient

router = APIRouter(prefix="/channel/v1", tags=["渠道接口 手机端登记 4.1"], responses=CHANNEL_RESPONSES)

IdNumberField = Field(pattern=r"^[0-9]{17}[0-9Xx]$|^[0-9]{15}$", description="身份证号码")


class ClientCredentials(BaseModel):
    client_id: str = Field(min_length=1, max_length=64)
    client_secret: str = Field(min_length=1, max_length=128)


class ChannelToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post("/token", response_model=ChannelToken)
async def token(body: ClientCredentials, request: Request, session: Session) -> ChannelToken:
    client = (
        await session.execute(select(ChannelClient).where(col(ChannelClient.client_id) == body.client_id))
    ).scalar_one_or_none()
    if (
        not verify_password(client.secret_hash if client else None, body.client_secret)
        or client is None
        or not client.active
    ):
        raise Unauthenticated(ErrorCode.CLIENT_AUTH_FAILED, f"渠道客户端认证失败（来源 {client_address(request)}）")
    settings = hub_of(request).settings
    issued, expires = issue_token(settings.secret_key, client.client_id, "channel", settings.channel_token_minutes)
    return ChannelToken(access_token=issued, expires_at=expires)


class Identity(BaseModel):
    id_number: str = IdNumberField
    name: str = Field(min_length=2, max_length=20)
    personal_number: str = Field(pattern=r"^[0-9A-Za-z]{1,20}$", description="养老金编号（个人编号）")


class IdentifiedRetiree(BaseModel):
    name: str
    id_number: str
    status: str
    status_label: str
    can_apply: bool


@router.post("/identify", response_model=IdentifiedRetiree)
async def identify(body: Identity, session: Session, caller: RetireeActor) -> IdentifiedRetiree:
    """核对本人的身份证号码、姓名、养老金编号，返回人员登记状态；不一致时指出具体字段。"""
    require_same_retiree(caller, body.id_number)
    retiree = await registrations.identify(session, body.id_number, body.name, body.personal_number)
    return IdentifiedRetiree(
        name=retiree.name,
        id_number=mask_id_number(retiree.id_number) or "",
        status=retiree.status,
        status_label=STATUS_LABELS[retiree.status],
        can_apply=retiree.status == Status.APPROVED,
    )


class Community(BaseModel):
    code: str
    name: str
    street: str
    district: str


@router.get("/communities", response_model=list[Community])
async def communities(
    session: Session,
    actor: ClientActor,
    keyword: str = Query(min_length=1, max_length=20, description="社区、街道或县区名称中的文字"),
) -> list[Community]:
    """按名称查找可选择的社区。"""
    found = []
    for community in await institutions.search_communities(session, keyword, limit=50):
        street = await session.get(Institution, community.parent_id) if community.parent_id else None
        district = await session.get(Institution, street.parent_id) if street and street.parent_id else None
        found.append(
            Community(
                code=community.code,
                name=community.name,
                street=street.name if street else "",
                district=district.name if district else "",
            )
        )
    return found


class ApplicationForm(Identity):
    community_code: str = Field(pattern=r"^[0-9A-Za-z]{2,20}$")
    contact_phone: str | None = Field(default=None, pattern=r"^1[3-9][0-9]{9}$")


class ApplicationProgress(BaseModel):
    application_id: str
    state: str
    state_label: str
    community: str
    reject_reason: str | None
    submitted_at: datetime | None
    decided_at: datetime | None


async def application_progress(session: Session, application: RegistrationApplication) -> ApplicationProgress:
    community = await session.get(Institution, application.community_id)
    return ApplicationProgress(
        application_id=application.id,
        state=application.state,
        state_label=APPLICATION_STATE_LABELS[ApplicationState(application.state)],
        community=community.name if community else "",
        reject_reason=application.reject_reason,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
    )


@router.post("/registration-applications", response_model=ApplicationProgress, status_code=201)
async def apply(body: ApplicationForm, uow: ChannelWork, caller: RetireeActor) -> ApplicationProgress:
    """提交本人的登记申请，等待所选社区工作人员确认。"""
    require_same_retiree(caller, body.id_number)
    application = await registrations.apply(
        uow,
        caller.actor,
        id_number=body.id_number,
        name=body.name,
        personal_number=body.personal_number,
        community_code=body.community_code,
        contact_phone=body.contact_phone,
    )
    return await application_progress(uow.session, application)


@router.get("/registration-applications/{application_id}", response_model=ApplicationProgress)
async def application_state(
    application_id: ApplicationId, session: Session, caller: RetireeActor
) -> ApplicationProgress:
    """查询本人登记申请的办理状态；他人的申请视为不存在。"""
    application = await registrations.application_of(session, application_id, caller.retiree.id_number)
    return await application_progress(session, application)
