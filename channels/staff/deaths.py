"""Death registration (4.6): staff record a death (the person becomes deceased, the province is told), read the
death record with the pension overpaid after it, list the overpayments to recover in their scope and mark each
recovered or waived (核销). A death recorded in error is restored with
``POST /api/v1/retirees/{id}/status-changes/{entry}/restore`` (the record then reads as withdrawn)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import PathId, Session, StaffActor, StaffWork
from channels.staff.views import RetireeSummary
from domain.deaths import service as deaths
from domain.deaths.rules import EVIDENCE_LABELS, RECOVERY_STATE_LABELS, DeathEvidence, RecoveryState
from domain.shared import calendar

router = APIRouter(tags=["死亡登记与多发待遇追回 4.6"])


class DeathRegistration(BaseModel):
    death_date: date = Field(description="死亡日期（不能晚于今天，不能早于出生日期）")
    evidence: DeathEvidence = Field(description="死亡信息来源：死亡证明、火化证明、医院证明、家属报告、其他")
    document_number: str | None = Field(default=None, max_length=100, description="证明文件编号")
    remarks: str | None = Field(default=None, max_length=500, description="备注")


class DeathView(BaseModel):
    id: int = Field(description="死亡登记记录号")
    retiree_id: int
    status_change_id: int = Field(description="对应的状态变更记录号（差错恢复时使用）")
    death_date: date = Field(description="死亡日期（状态变更的法定生效日期）")
    evidence: DeathEvidence = Field(description="死亡信息来源")
    evidence_label: str = Field(description="死亡信息来源（中文）")
    document_number: str | None = Field(description="证明文件编号")
    remarks: str | None = Field(description="备注")
    recorded_on: date = Field(description="登记日期（本市日历），待遇发放至该月")
    recorded_by: str = Field(description="登记人")
    recorded_at: datetime | None = Field(description="登记时间")
    overpaid_months: list[str] = Field(description="多发待遇的月份（YYYY-MM）：死亡次月至登记当月")
    monthly_pension: Decimal = Field(description="月养老金（元）")
    overpaid_amount: Decimal = Field(description="应追回金额（元）= 月数 × 月养老金")
    recovery_state: RecoveryState = Field(description="追回状态")
    recovery_state_label: str = Field(description="追回状态（中文）")
    recovery_remarks: str | None = Field(description="追回或核销说明")
    recovery_marked_by: str | None = Field(description="标记人")
    recovery_marked_at: datetime | None = Field(description="标记时间")
    withdrawn: bool = Field(description="死亡登记已作差错恢复（撤销），多发待遇随之撤销")

    @classmethod
    def of(cls, death: deaths.Death) -> DeathView:
        r = death.record
        assert r.id is not None
        state = death.recovery_state
        return cls(
            id=r.id,
            retiree_id=r.retiree_id,
            status_change_id=r.status_change_id,
            death_date=r.death_date,
            evidence=DeathEvidence(r.evidence),
            evidence_label=EVIDENCE_LABELS[DeathEvidence(r.evidence)],
            document_number=r.document_number,
            remarks=r.remarks,
            recorded_on=r.recorded_on,
            recorded_by=r.recorded_by,
            recorded_at=r.recorded_at,
            overpaid_months=list(r.overpaid_months),
            monthly_pension=r.monthly_pension,
            overpaid_amount=r.overpaid_amount,
            recovery_state=state,
            recovery_state_label=RECOVERY_STATE_LABELS[state],
            recovery_remarks=r.recovery_remarks,
            recovery_marked_by=r.recovery_marked_by,
            recovery_marked_at=r.recovery_marked_at,
            withdrawn=death.withdrawn,
        )


@router.post("/api/v1/retirees/{retiree_id}/death", response_model=DeathView, status_code=201)
async def record_death(retiree_id: PathId, body: DeathRegistration, uow: StaffWork, actor: StaffActor) -> DeathView:
    """4.6 死亡登记：人员状态变为“已死亡”（死亡减员 DTH，法定生效日期为死亡日期）并上报省平台；计算死亡次月至登记
    当月多发的养老金，列入待追回。已登记死亡（含省平台先行报送）的人员不能重复登记（ALREADY_DECEASED）。"""
    death = await deaths.record(
        uow,
        actor,
        retiree_id,
        death_date=body.death_date,
        evidence=body.evidence,
        document_number=(body.document_number or "").strip() or None,
        remarks=(body.remarks or "").strip() or None,
        today=calendar.today(),
    )
    return DeathView.of(death)


@router.get("/api/v1/retirees/{retiree_id}/death", response_model=DeathView)
async def death_record(retiree_id: PathId, session: Session, actor: StaffActor) -> DeathView:
    """4.6 死亡登记记录（最近一次）及多发待遇；差错恢复后显示为已撤销。"""
    return DeathView.of(await deaths.latest(session, actor, retiree_id))


class OverpaymentRow(BaseModel):
    death: DeathView = Field(description="死亡登记与多发待遇")
    retiree: RetireeSummary = Field(description="人员（列表口径，身份证号、电话已脱敏）")


class OverpaymentPage(BaseModel):
    items: list[OverpaymentRow] = Field(description="本页记录，先登记的在前")
    total: int = Field(description="符合条件的总条数")
    page: int = Field(description="页码")
    page_size: int = Field(description="每页条数")


@router.get("/api/v1/deaths/overpayments", response_model=OverpaymentPage)
async def overpayments(
    session: Session,
    actor: StaffActor,
    state: RecoveryState = Query(default=RecoveryState.TO_RECOVER, description="追回状态，默认待追回"),
    page: int = Query(default=1, ge=1, le=100_000, description="页码，从 1 开始"),
    page_size: int = Query(default=20, ge=1, le=200, description="每页条数"),
) -> OverpaymentPage:
    """4.6 多发待遇清单：本查询范围内死亡登记后多发的养老金，按追回状态筛选（默认待追回）。"""
    result = await deaths.overpayments(session, actor, state=state, page=page, page_size=page_size)
    return OverpaymentPage(
        items=[
            OverpaymentRow(death=DeathView.of(row.death), retiree=RetireeSummary.of(row.retiree, row.institution))
            for row in result.items
        ],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


class Recovery(BaseModel):
    outcome: Literal["recovered", "waived"] = Field(description="recovered 已追回；waived 核销")
    remarks: str = Field(min_length=2, max_length=500, description="追回或核销说明")


@router.post("/api/v1/deaths/{death_id}/recovery", response_model=DeathView)
async def mark_recovery(death_id: PathId, body: Recovery, uow: StaffWork, actor: StaffActor) -> DeathView:
    """4.6 标记多发待遇已追回或核销（只能标记一次，须填写说明）。"""
    death = await deaths.mark_recovery(uow, actor, death_id, outcome=RecoveryState(body.outcome), remarks=body.remarks)
    return DeathView.of(death)
