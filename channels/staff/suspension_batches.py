"""The brake on mass suspensions (4.5, issue 14): the batches the nightly rules held, their people, approval (all,
some institutions or some people) and rejection by a city-level operator, and the preview of tonight's run. City
level only: anyone else is answered 403 ``CITY_LEVEL_ONLY``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import BodyId, PathId, QueryId, Session, StaffActor, StaffWork
from domain.shared import calendar
from domain.shared.masking import mask_id_number, mask_name
from domain.suspensions import brake, gate
from domain.suspensions.models import BatchState, Outcome, SuspensionBatch
from domain.suspensions.overdue import Rule

router = APIRouter(prefix="/api/v1", tags=["批量暂停审批 4.5"])

RULE_LABELS = {
    Rule.CERTIFICATION_OVERDUE.value: "超过认证期限未认证",
    Rule.REGISTRATION_OVERDUE.value: "退休后逾期未登记",
    Rule.TRANSFER_IN_OVERDUE.value: "转出后逾期未转入",
}
STATE_LABELS = {
    BatchState.HELD.value: "待审批",
    BatchState.APPROVED.value: "已批准",
    BatchState.PARTLY_APPROVED.value: "部分批准",
    BatchState.REJECTED.value: "已驳回",
}
OUTCOME_LABELS = {
    Outcome.HELD.value: "待审批",
    Outcome.SUSPENDED.value: "已暂停",
    Outcome.SKIPPED.value: "已跳过（情况已变化）",
    Outcome.REJECTED.value: "已驳回",
}


class InstitutionCountView(BaseModel):
    institution_id: int | None = Field(description="管理机构（社区）；空为未登记人员")
    name: str
    count: int
    per_rule: dict[str, int] = Field(description="按规则的人数")


class BatchView(BaseModel):
    id: int
    night: date = Field(description="规则运行日（暂停生效日期）")
    state: str = Field(description="held 待审批 | approved | partly_approved | rejected")
    state_label: str
    held: int = Field(description="批次人数")
    why: str = Field(description="挂起原因")
    per_rule: dict[str, int]
    per_institution: list[InstitutionCountView]
    outcomes: dict[str, int] = Field(description="按处理结果的人数：held/suspended/skipped/rejected")
    created_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None


class HeldPersonView(BaseModel):
    retiree_id: int
    personal_number: str
    name: str = Field(description="姓名（脱敏）")
    id_number: str = Field(description="身份证号码（脱敏）")
    status: str = Field(description="当前状态")
    institution_id: int | None
    institution: str
    rule: str
    rule_label: str
    reason_code: str
    outcome: str
    outcome_label: str


class HeldPeoplePage(BaseModel):
    items: list[HeldPersonView]
    total: int
    page: int
    size: int


class Approval(BaseModel):
    all: bool = Field(default=False, description="批准整个批次中仍待审批的全部人员")
    retiree_ids: list[BodyId] | None = Field(default=None, max_length=10_000, description="只批准这些人员")
    institution_ids: list[BodyId | None] | None = Field(
        default=None, max_length=5_000, description="只批准这些管理机构的人员（null 为未登记人员）"
    )


class Rejection(BaseModel):
    reason: str = Field(min_length=2, max_length=200, description="驳回原因")


class DecisionView(BaseModel):
    batch: BatchView
    suspended: int = Field(description="本次暂停的人数")
    skipped: int = Field(description="批准但情况已变化、未暂停的人数")
    rejected: int = Field(description="本次驳回的人数")


class PreviewView(BaseModel):
    night: date
    city_threshold: int
    institution_threshold: int
    per_rule: dict[str, int] = Field(description="各规则今晚应暂停的人数")
    held_per_rule: dict[str, int] = Field(description="其中将被挂起的人数")
    institutions_over: list[InstitutionCountView] = Field(description="超过单机构上限的管理机构")
    city_held: bool = Field(description="其余人数超过全市上限，也将挂起")
    would_hold: int
    would_suspend: int
    brake: bool = Field(description="今晚是否会挂起")
    rules_blocked: str | None = Field(
        default=None, description="自动暂停规则不能运行的原因（历史数据迁移尚未完成确认时，issue 17）；能运行时为空"
    )


async def _batch_view(session: Session, batch: SuspensionBatch) -> BatchView:
    assert batch.id is not None
    outcomes = await brake.outcomes(session, batch.id)
    return BatchView(
        id=batch.id,
        night=batch.night,
        state=batch.state.value,
        state_label=STATE_LABELS[batch.state.value],
        held=batch.held,
        why=batch.why,
        per_rule=batch.per_rule,
        per_institution=[InstitutionCountView.model_validate(i) for i in batch.per_institution],
        outcomes={o.value: n for o, n in outcomes.items()},
        created_at=batch.created_at,
        decided_by=batch.decided_by,
        decided_at=batch.decided_at,
        rejection_reason=batch.rejection_reason,
    )


@router.get("/suspension-batches", response_model=list[BatchView])
async def list_batches(
    session: Session,
    actor: StaffActor,
    state: Literal["held", "approved", "partly_approved", "rejected"] | None = Query(default=None),
) -> list[BatchView]:
    """夜间暂停规则挂起的批次（最新的在前；?state=held 只看待审批的）。仅市级。"""
    found = await brake.batches(session, actor, BatchState(state) if state else None)
    return [await _batch_view(session, b) for b in found]


@router.get("/suspension-batches/{batch_id}", response_model=BatchView)
async def get_batch(batch_id: PathId, session: Session, actor: StaffActor) -> BatchView:
    """一个批次：按规则、按管理机构的人数，处理结果。仅市级。"""
    return await _batch_view(session, await brake.batch(session, actor, batch_id))


@router.get("/suspension-batches/{batch_id}/people", response_model=HeldPeoplePage)
async def batch_people(
    batch_id: PathId,
    session: Session,
    actor: StaffActor,
    institution_id: QueryId = None,
    rule: Literal["certification_overdue", "registration_overdue", "transfer_in_overdue"] | None = None,
    outcome: Literal["held", "suspended", "skipped", "rejected"] | None = None,
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=50, ge=1, le=200),
) -> HeldPeoplePage:
    """批次中的人员（脱敏），可按管理机构、规则、处理结果筛选，分页。仅市级。"""
    items, total = await brake.people(
        session,
        actor,
        batch_id,
        institution_id=institution_id,
        rule=Rule(rule) if rule else None,
        outcome=Outcome(outcome) if outcome else None,
        page=page,
        size=size,
    )
    return HeldPeoplePage(
        items=[
            HeldPersonView(
                retiree_id=p.retiree_id,
                personal_number=p.personal_number,
                name=mask_name(p.name) or "",
                id_number=mask_id_number(p.id_number) or "",
                status=p.status,
                institution_id=p.institution_id,
                institution=p.institution,
                rule=p.rule,
                rule_label=RULE_LABELS.get(p.rule, p.rule),
                reason_code=p.reason_code,
                outcome=p.outcome,
                outcome_label=OUTCOME_LABELS.get(p.outcome, p.outcome),
            )
            for p in items
        ],
        total=total,
        page=page,
        size=size,
    )


@router.post("/suspension-batches/{batch_id}/approve", response_model=DecisionView)
async def approve(batch_id: PathId, body: Approval, uow: StaffWork, actor: StaffActor) -> DecisionView:
    """批准：全部（all=true），或只批准所选人员/管理机构。每人按规则重新核对，情况已变化（如已认证）的跳过；
    其余经状态变更日志暂停并推送省平台。仅市级经办人。"""
    everyone = body.all or (body.retiree_ids is None and body.institution_ids is None)
    decision = await brake.approve(
        uow,
        actor,
        batch_id,
        retiree_ids=None if everyone else body.retiree_ids,
        institution_ids=None if everyone else body.institution_ids,
    )
    return DecisionView(
        batch=await _batch_view(uow.session, decision.batch),
        suspended=decision.suspended,
        skipped=decision.skipped,
        rejected=decision.rejected,
    )


@router.post("/suspension-batches/{batch_id}/reject", response_model=DecisionView)
async def reject(batch_id: PathId, body: Rejection, uow: StaffWork, actor: StaffActor) -> DecisionView:
    """驳回批次中仍待审批的全部人员：不暂停任何人；若情况未改正，次日规则会再次发现。仅市级经办人。"""
    decision = await brake.reject(uow, actor, batch_id, body.reason)
    return DecisionView(
        batch=await _batch_view(uow.session, decision.batch),
        suspended=decision.suspended,
        skipped=decision.skipped,
        rejected=decision.rejected,
    )


@router.get("/suspension-rules/preview", response_model=PreviewView)
async def preview(session: Session, actor: StaffActor) -> PreviewView:
    """今晚暂停规则将如何运行（不做任何改变）：各规则人数、超过单机构上限的机构、是否会挂起。仅市级。"""
    brake.require_city_reader(actor)
    plan = await brake.preview(session, calendar.today())
    return PreviewView(
        night=plan.night,
        city_threshold=plan.thresholds.city,
        institution_threshold=plan.thresholds.institution,
        per_rule={r.value: n for r, n in plan.per_rule.items()},
        held_per_rule={r.value: n for r, n in plan.held_rules.items()},
        institutions_over=[
            InstitutionCountView(institution_id=c.institution_id, name=c.name, count=c.count, per_rule=c.per_rule)
            for c in plan.institutions_over
        ],
        city_held=plan.decision.city_held,
        would_hold=plan.would_hold,
        would_suspend=plan.would_suspend,
        brake=plan.decision.holds_any,
        rules_blocked=None if await gate.rules_allowed(session) else gate.MESSAGE_ZH,
    )
