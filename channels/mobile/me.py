"""The retiree's own look-ups through their app (issue 20; 4.1, 4.4, 4.5): the retiree session an app's assertion
buys, then my status in plain words, my certification standing and history, my registration application, my
transfers and my community. Every endpoint here answers about the caller's retiree only (channels/mobile/caller.py).
Chinese text; the ID number and phone masked, as a stranger may see the screen."""

from __future__ import annotations

import time
from datetime import date, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from channels.deps import Session, hub_of
from channels.mobile.caller import (
    CHANNEL_RESPONSES,
    AppCall,
    RetireeActor,
    issue_retiree_token,
    verify_assertion,
)
from channels.mobile.registration import ApplicationProgress, application_progress
from domain.channel_access import service as me
from domain.shared import calendar
from domain.shared.masking import mask_id_number, mask_name, mask_phone
from domain.transfers.models import TRANSFER_KIND_LABELS, TRANSFER_STATE_LABELS

router = APIRouter(prefix="/channel/v1", tags=["渠道接口 本人查询（退休人员令牌）"], responses=CHANNEL_RESPONSES)


class RetireeSessionRequest(BaseModel):
    assertion: str = Field(
        min_length=20, max_length=4096, description="应用以本应用签名密钥签发的退休人员身份断言（JWT，HS256）"
    )


class RetireeSession(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    personal_number: str
    name: str = Field(description="姓名（脱敏）")


@router.post("/retiree-sessions", response_model=RetireeSession, status_code=201)
async def retiree_session(
    body: RetireeSessionRequest, request: Request, session: Session, call: AppCall
) -> RetireeSession:
    """以应用签发的身份断言换取退休人员访问令牌；同一断言只能使用一次。"""
    settings = hub_of(request).settings
    client = call.client
    verified = verify_assertion(
        body.assertion, client, max_seconds=settings.channel_assertion_max_seconds, now=time.time()
    )
    retiree = await me.vouch(session, client.client_id, verified.jti, verified.expires_at, verified.id_number)
    token, expires = issue_retiree_token(
        settings.secret_key, retiree.personal_number, client.client_id, settings.channel_retiree_token_minutes
    )
    return RetireeSession(
        access_token=token,
        expires_at=expires,
        personal_number=retiree.personal_number,
        name=mask_name(retiree.name) or "",
    )


class MyStatus(BaseModel):
    personal_number: str
    name: str
    id_number: str
    phone: str | None
    status: str
    status_label: str
    sentence: str = Field(description="与经办人员在系统中看到的同一句说明：在哪里登记、为何暂停、如何恢复")
    suspension_reason: str | None
    suspended_on: date | None
    community: str | None


@router.get("/me/status", response_model=MyStatus)
async def my_status(session: Session, caller: RetireeActor) -> MyStatus:
    """本人当前状态的通俗说明。"""
    retiree = caller.retiree
    found = await me.status_of(session, retiree, calendar.today())
    return MyStatus(
        personal_number=retiree.personal_number,
        name=mask_name(retiree.name) or "",
        id_number=mask_id_number(retiree.id_number) or "",
        phone=mask_phone(retiree.phone),
        status=found.status,
        status_label=found.status_label,
        sentence=found.sentence,
        suspension_reason=found.suspension_reason,
        suspended_on=found.suspended_on,
        community=found.community,
    )


class CertificationEntry(BaseModel):
    certified_on: date
    source: str
    method: str
    passed: bool


class MyCertification(BaseModel):
    last_certified_on: date | None
    next_due_on: date | None
    days_left: int | None = Field(description="距下次认证截止的天数；负数表示已逾期")
    sentence: str
    history: list[CertificationEntry]


@router.get("/me/certification", response_model=MyCertification)
async def my_certification(session: Session, caller: RetireeActor) -> MyCertification:
    """本人的资格认证情况：上次认证、下次截止日期和认证记录。"""
    found = await me.certification_of(session, caller.retiree, calendar.today())
    return MyCertification(
        last_certified_on=found.last_certified_on,
        next_due_on=found.next_due_on,
        days_left=found.days_left,
        sentence=found.sentence,
        history=[
            CertificationEntry(certified_on=h.certified_on, source=h.source_label, method=h.method, passed=h.passed)
            for h in found.history
        ],
    )


@router.get("/me/registration-application", response_model=ApplicationProgress)
async def my_application(session: Session, caller: RetireeActor) -> ApplicationProgress:
    """本人最近一次登记申请的办理进度。"""
    return await application_progress(session, await me.latest_application(session, caller.retiree))


class MyTransfer(BaseModel):
    kind: str
    kind_label: str
    state: str
    state_label: str
    from_community: str | None
    to_community: str | None
    requested_on: date
    effective_date: date
    taken_in_on: date | None


@router.get("/me/transfers", response_model=list[MyTransfer])
async def my_transfers(session: Session, caller: RetireeActor) -> list[MyTransfer]:
    """本人的转移记录及办理进度（最新的在前）。"""
    transfers = await me.transfers_of(session, caller.retiree)
    names = await me.institution_names(
        session, [t.from_institution_id for t in transfers] + [t.to_institution_id for t in transfers]
    )
    return [
        MyTransfer(
            kind=t.kind,
            kind_label=TRANSFER_KIND_LABELS[t.kind],
            state=t.state,
            state_label=TRANSFER_STATE_LABELS[t.state],
            from_community=names.get(t.from_institution_id) if t.from_institution_id else None,
            to_community=(names.get(t.to_institution_id) if t.to_institution_id else None) or t.destination_name,
            requested_on=t.requested_on,
            effective_date=t.effective_date,
            taken_in_on=t.taken_in_on,
        )
        for t in transfers
    ]


class MyCommunity(BaseModel):
    registered: bool
    message: str
    code: str | None = None
    name: str | None = None
    street: str | None = None
    district: str | None = None
    address: str | None = None
    phone: str | None = None


@router.get("/me/community", response_model=MyCommunity)
async def my_community(session: Session, caller: RetireeActor) -> MyCommunity:
    """本人所属社区及其地址、电话。"""
    found = await me.community_of(session, caller.retiree)
    if found is None:
        return MyCommunity(registered=False, message="您尚未在社区登记，可通过本应用选择社区提交登记申请。")
    return MyCommunity(
        registered=True,
        message=f"您由{found.name}提供服务。",
        code=found.code,
        name=found.name,
        street=found.street,
        district=found.district,
        address=found.address,
        phone=found.phone,
    )
