"""The retiree page's timeline (issue 13): everything that happened to one person, newest first, as typed entries.
Scoped and audited like the detail view (domain/retirees/timeline.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from channels.deps import PathId, Session, StaffActor
from channels.staff.views import error_responses
from domain.retirees import timeline
from domain.retirees.timeline import RegistrationChannel, TimelineKind

router = APIRouter(prefix="/api/v1/retirees", tags=["退休人员 6.x"])


class ChangeDetailView(BaseModel):
    """A status-change log entry (6.22) and whether the province acknowledged it."""

    id: int = Field(description="变更记录号")
    entry_id: str = Field(description="上报省平台时的记录编号")
    change_kind: str = Field(description="变更类型代码")
    change_kind_label: str = Field(description="变更类型（中文）")
    reason_code: str = Field(description="变更原因代码")
    reason_label: str = Field(description="变更原因（中文）")
    from_status: str = Field(description="变更前状态")
    from_status_label: str = Field(description="变更前状态（中文）")
    to_status: str = Field(description="变更后状态")
    to_status_label: str = Field(description="变更后状态（中文）")
    effective_date: date = Field(description="法定生效日期")
    entered_at: datetime | None = Field(description="记录时间")
    cause_type: str = Field(description="起因类型代码")
    cause_label: str = Field(description="起因（中文）：经办人员办理、手机端申请、省平台同步、系统规则、历史数据导入")
    cause_ref: str | None = Field(description="起因编号（事件号、申请号、经办人等）")
    actor: str | None = Field(description="办理人")
    remarks: str | None = Field(description="备注")
    reverses_id: int | None = Field(description="差错恢复所恢复的变更记录号")
    sync_state: str = Field(description="上报省平台状态代码")
    sync_state_label: str = Field(description="上报省平台状态（中文）")
    sent_at: datetime | None = Field(description="上报时间")
    acknowledged_at: datetime | None = Field(description="省平台确认时间")
    receipt_no: str | None = Field(description="省平台回执号")
    sync_error: str | None = Field(description="上报失败原因")


class RegistrationDetailView(BaseModel):
    channel: RegistrationChannel = Field(description="登记方式：counter 社区窗口、mobile 手机端申请、other 同步或导入")
    channel_label: str = Field(description="登记方式（中文）")
    institution_id: int | None = Field(description="登记到的机构")
    institution: str | None = Field(description="登记到的机构名称")
    effective_date: date = Field(description="登记生效日期")
    application_id: str | None = Field(description="手机端申请号")


class ApplicationDetailView(BaseModel):
    application_id: str = Field(description="申请号")
    community_id: int = Field(description="申请登记的社区")
    community: str | None = Field(description="申请登记的社区名称")
    state: str = Field(description="申请状态代码")
    state_label: str = Field(description="申请状态（中文）")
    submitted_at: datetime | None = Field(description="提交时间")
    decided_at: datetime | None = Field(description="社区确认或退回时间")
    reject_reason: str | None = Field(description="退回原因")


class CertificationDetailView(BaseModel):
    certified_on: date = Field(description="认证日期")
    source: str = Field(description="认证来源代码")
    source_label: str = Field(description="认证来源（中文）")
    method: str = Field(description="认证方式")
    certified_by: str | None = Field(description="现场认证的经办人")


class SupplementaryDetailView(BaseModel):
    recorded_by: str | None = Field(description="采集人")
    field_history_kept: bool = Field(description="是否保留逐项修改历史（目前不保留）")
    note: str = Field(description="说明")


class ProvincialDetailView(BaseModel):
    action: str = Field(description="省平台同步的动作：retiree.approved 等；created 为无同步记录时的建档")
    fields: list[str] = Field(description="变更的字段")
    approval_date: date | None = Field(description="核准日期（纳入时）")
    event_id: str | None = Field(description="同步事件号")


class DeathDetailView(BaseModel):
    death_id: int = Field(description="死亡登记记录号")
    death_date: date = Field(description="死亡日期")
    evidence: str = Field(description="死亡信息来源代码")
    evidence_label: str = Field(description="死亡信息来源（中文）")
    document_number: str | None = Field(description="证明文件编号")
    recorded_by: str = Field(description="登记人")
    overpaid_months: list[str] = Field(description="多发待遇月份（YYYY-MM）")
    overpaid_amount: Decimal = Field(description="应追回金额（元）")
    recovery_state: str = Field(description="追回状态")
    recovery_state_label: str = Field(description="追回状态（中文）")
    recovery_remarks: str | None = Field(description="追回或核销说明")
    withdrawn: bool = Field(description="死亡登记已作差错恢复（撤销）")


class TimelineEntryView(BaseModel):
    """One entry: ``kind`` says which detail object is filled (status-change entries also fill ``status_change``)."""

    kind: TimelineKind = Field(description="条目类型")
    at: datetime = Field(description="发生（记录）时间")
    title: str = Field(description="标题（中文）")
    status_change: ChangeDetailView | None = Field(
        default=None, description="状态变更详情（kind 为 status_change、registration、supplementary_info 时）"
    )
    registration: RegistrationDetailView | None = Field(default=None, description="登记详情")
    application: ApplicationDetailView | None = Field(default=None, description="手机端登记申请详情")
    certification: CertificationDetailView | None = Field(default=None, description="资格认证详情")
    supplementary: SupplementaryDetailView | None = Field(default=None, description="补充信息采集详情")
    provincial: ProvincialDetailView | None = Field(
        default=None, description="省平台同步详情（kind 为 arrived、provincial_update 时）"
    )
    death: DeathDetailView | None = Field(
        default=None, description="死亡登记与多发待遇详情（kind 为 death、overpayment 时）"
    )


class TimelineView(BaseModel):
    retiree_id: int = Field(description="人员")
    personal_number: str = Field(description="个人编号")
    name: str = Field(description="姓名")
    entries: list[TimelineEntryView] = Field(description="全部经历，最新在前")


@router.get("/{retiree_id}/timeline", response_model=TimelineView, responses=error_responses(401, 403, 404))
async def retiree_timeline(retiree_id: PathId, session: Session, actor: StaffActor) -> TimelineView:
    """人员经历：状态变更（含省平台确认情况）、资格认证、登记及手机端申请、补充信息采集、省平台同步纳入与变更，
    最新在前。仅限本机构管辖范围，每次查看均记入审计日志。"""
    found = await timeline.timeline(session, actor, retiree_id)
    assert found.retiree.id is not None
    return TimelineView(
        retiree_id=found.retiree.id,
        personal_number=found.retiree.personal_number,
        name=found.retiree.name,
        entries=[TimelineEntryView.model_validate(e, from_attributes=True) for e in found.entries],
    )
