"""The staff console's home page (issue 13): the worklist counts (待办) over the caller's query scope, and the lists
behind them — people whose certification falls due (4.3, 4.5) and the status-change log across the scope (6.22).
The people suspended for missing certification are the retiree search with ``status=suspended&suspension_reason=S01``;
pending mobile applications are ``GET /api/v1/registrations/applications``."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import Session, StaffActor
from channels.staff.views import RetireeSummary, error_responses
from domain.certifications import due
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import ChangeKind, Status
from domain.retirees.timeline import reason_label
from domain.shared import calendar
from domain.status_log import queries as status_changes
from domain.status_log.models import SyncState
from domain.status_log.queries import CHANGE_KIND_LABELS, SYNC_STATE_LABELS, UNACKNOWLEDGED
from domain.worklists import counts as worklists

router = APIRouter(tags=["待办与工作清单 4.1 4.3 4.5 6.22"])

Page = Query(default=1, ge=1, le=100_000, description="页码，从 1 开始")
PageSize = Query(default=20, ge=1, le=200, description="每页条数")


class WorklistKey(StrEnum):
    APPLICATIONS_PENDING = "applications_pending"
    CERTIFICATIONS_DUE = "certifications_due"
    SUSPENDED_UNCERTIFIED = "suspended_uncertified"
    CHANGES_UNACKNOWLEDGED = "changes_unacknowledged"
    CHANGES_FAILED = "changes_failed"
    REGISTERED_TODAY = "registered_today"
    CERTIFIED_TODAY = "certified_today"
    SUSPENDED_TODAY = "suspended_today"
    RESUMED_TODAY = "resumed_today"
    OVERPAYMENTS_TO_RECOVER = "overpayments_to_recover"
    TRANSFERS_INCOMING = "transfers_incoming"
    SUSPENSION_BATCHES_HELD = "suspension_batches_held"
    HANDOVERS_WAITING = "handovers_waiting"
    ADJUSTMENT_OBJECTIONS_WAITING = "adjustment_objections_waiting"


class WorklistItem(BaseModel):
    key: WorklistKey = Field(description="事项代码")
    label: str = Field(description="事项名称（中文）")
    count: int = Field(description="本查询范围内的数量")
    path: str | None = Field(description="对应清单的接口路径（GET）；无清单时为空")
    query: dict[str, str | list[str]] = Field(description="调用该清单接口时带的查询参数")


class WorklistView(BaseModel):
    today: date = Field(description="本市日历的今天（“今日”各项按此日期统计）")
    todo: list[WorklistItem] = Field(description="待办事项")
    done_today: list[WorklistItem] = Field(description="今日办理情况")


def _item(key: WorklistKey, label: str, count: int, path: str | None, **query: str | list[str]) -> WorklistItem:
    return WorklistItem(key=key, label=label, count=count, path=path, query=query)


@router.get("/api/v1/worklists", response_model=WorklistView, responses=error_responses(401, 403))
async def worklist(session: Session, actor: StaffActor) -> WorklistView:
    """待办：本查询范围（1.3）内待确认的手机端登记申请、30天内认证到期人员、因未认证暂停人员、省平台未确认及上报失败的
    状态变更，以及今日登记、认证、暂停、恢复数量。每项附对应清单的接口路径和查询参数。"""
    today = calendar.today()
    n = await worklists.counts(session, actor, today=today, due_within_days=30)
    changes, day = "/api/v1/status-changes", today.isoformat()
    return WorklistView(
        today=today,
        todo=[
            _item(
                WorklistKey.APPLICATIONS_PENDING,
                "待确认的手机端登记申请",
                n.applications_pending,
                "/api/v1/registrations/applications",
            ),
            _item(
                WorklistKey.CERTIFICATIONS_DUE,
                "30天内认证到期人员",
                n.certifications_due,
                "/api/v1/certifications/due",
                within_days="30",
            ),
            _item(
                WorklistKey.SUSPENDED_UNCERTIFIED,
                "因未认证暂停发放人员",
                n.suspended_uncertified,
                "/api/v1/retirees",
                status=Status.SUSPENDED.value,
                suspension_reason=ReasonCode.CERTIFICATION_OVERDUE.value,
            ),
            _item(
                WorklistKey.CHANGES_UNACKNOWLEDGED,
                "省平台尚未确认的状态变更",
                n.changes_unacknowledged,
                changes,
                sync_state=[s.value for s in UNACKNOWLEDGED],
            ),
            _item(
                WorklistKey.CHANGES_FAILED,
                "上报省平台失败的状态变更",
                n.changes_failed,
                changes,
                sync_state=[SyncState.FAILED.value],
            ),
            _item(
                WorklistKey.OVERPAYMENTS_TO_RECOVER,
                "待追回多发待遇",
                n.overpayments_to_recover,
                "/api/v1/deaths/overpayments",
                state="to_recover",
            ),
            _item(
                WorklistKey.TRANSFERS_INCOMING,
                "待接收的转移人员",
                n.transfers_incoming,
                "/api/v1/transfers",
                direction="incoming",
                state="requested",
            ),
        ]
        # 4.5: the batches the brake held wait for a city-level decision; only the city level sees the item
        + (
            [
                _item(
                    WorklistKey.SUSPENSION_BATCHES_HELD,
                    "挂起待审批的批量暂停",
                    n.suspension_batches_held,
                    "/api/v1/suspension-batches",
                    state="held",
                )
            ]
            if actor.is_city_level
            else []
        )
        # 3.3: employers' archive hand-overs wait for the receiving agency (city and district level only)
        + (
            [
                _item(
                    WorklistKey.HANDOVERS_WAITING,
                    "待接收的单位移交档案",
                    n.handovers_waiting,
                    "/api/v1/handovers",
                    state="submitted",
                )
            ]
            if actor.institution_path.count("/") <= 3
            else []
        )
        # 4.10: the retirees' objections to the year's adjustment wait for their insuring agency (city and district)
        + (
            [
                _item(
                    WorklistKey.ADJUSTMENT_OBJECTIONS_WAITING,
                    "待核实答复的调资异议",
                    n.adjustment_objections_waiting,
                    "/api/v1/adjustment-objections",
                    waiting="true",
                )
            ]
            if actor.institution_path.count("/") <= 3
            else []
        ),
        done_today=[
            _item(
                WorklistKey.REGISTERED_TODAY,
                "今日登记",
                n.registered_today,
                changes,
                kind=ChangeKind.REGISTERED.value,
                recorded_on=day,
            ),
            _item(WorklistKey.CERTIFIED_TODAY, "今日认证", n.certified_today, None),
            _item(
                WorklistKey.SUSPENDED_TODAY,
                "今日暂停",
                n.suspended_today,
                changes,
                kind=ChangeKind.SUSPENDED.value,
                recorded_on=day,
            ),
            _item(
                WorklistKey.RESUMED_TODAY,
                "今日恢复",
                n.resumed_today,
                changes,
                kind=ChangeKind.RESUMED.value,
                recorded_on=day,
            ),
        ],
    )


class DueRetireeView(RetireeSummary):
    """A person due for certification: the masked list row plus the dates."""

    last_certified_on: date | None = Field(description="上次认证日期（从未认证为空，按登记日期起算）")
    due_on: date = Field(description="认证到期日（当天仍在期限内）")
    days_left: int = Field(description="距到期日天数（0 为今天到期）")


class DuePage(BaseModel):
    items: list[DueRetireeView] = Field(description="本页人员（身份证号、电话已脱敏）")
    total: int = Field(description="符合条件的总人数")
    page: int = Field(description="页码")
    page_size: int = Field(description="每页条数")


@router.get("/api/v1/certifications/due", response_model=DuePage, responses=error_responses(401, 403))
async def certifications_due(
    session: Session,
    actor: StaffActor,
    within_days: int = Query(default=30, ge=0, le=366, description="今天起多少天内到期"),
    page: int = Page,
    page_size: int = PageSize,
) -> DuePage:
    """4.3 认证到期清单：本查询范围内已登记、认证将在指定天数内到期的人员，按到期日先后排列（与认证提醒同一口径）。"""
    today = calendar.today()
    result = await due.due_list(session, actor, today=today, within_days=within_days, page=page, page_size=page_size)
    return DuePage(
        items=[
            DueRetireeView(
                **RetireeSummary.of(d.retiree, d.institution).model_dump(),
                last_certified_on=d.retiree.last_certified_on,
                due_on=d.due_on,
                days_left=(d.due_on - today).days,
            )
            for d in result.items
        ],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


class StatusChangeRow(BaseModel):
    id: int = Field(description="变更记录号")
    entry_id: str = Field(description="上报省平台时的记录编号")
    retiree: RetireeSummary = Field(description="人员（列表口径，身份证号、电话已脱敏）")
    kind: ChangeKind = Field(description="变更类型")
    kind_label: str = Field(description="变更类型（中文）")
    reason_code: str = Field(description="变更原因代码")
    reason_label: str = Field(description="变更原因（中文）")
    effective_date: date = Field(description="法定生效日期")
    entered_at: datetime | None = Field(description="记录时间")
    sync_state: SyncState = Field(description="上报省平台状态")
    sync_state_label: str = Field(description="上报省平台状态（中文）")
    sync_error: str | None = Field(description="上报失败原因")
    acknowledged_at: datetime | None = Field(description="省平台确认时间")
    receipt_no: str | None = Field(description="省平台回执号")


class StatusChangePage(BaseModel):
    items: list[StatusChangeRow] = Field(description="本页变更记录，最新记录在前")
    total: int = Field(description="符合条件的总条数")
    page: int = Field(description="页码")
    page_size: int = Field(description="每页条数")


@router.get("/api/v1/status-changes", response_model=StatusChangePage, responses=error_responses(401, 403))
async def status_change_list(
    session: Session,
    actor: StaffActor,
    sync_state: list[SyncState] | None = Query(
        default=None, description="上报省平台状态，可重复（如 sync_state=pending&sync_state=sent）；不填为全部"
    ),
    kind: ChangeKind | None = Query(default=None, description="变更类型"),
    recorded_on: date | None = Query(default=None, description="记录日期（本市日历）"),
    page: int = Page,
    page_size: int = PageSize,
) -> StatusChangePage:
    """6.22 人员状态变更清单：本查询范围内的变更记录及其上报省平台的状态，最新记录在前。"""
    filters = status_changes.ChangeFilter(sync_states=tuple(sync_state or ()), kind=kind, recorded_on=recorded_on)
    result = await status_changes.changes(session, actor, filters, page=page, page_size=page_size)
    return StatusChangePage(
        items=[
            StatusChangeRow(
                id=row.entry.id or 0,
                entry_id=row.entry.entry_id,
                retiree=RetireeSummary.of(row.retiree, row.institution),
                kind=ChangeKind(row.entry.kind),
                kind_label=CHANGE_KIND_LABELS[ChangeKind(row.entry.kind)],
                reason_code=row.entry.reason_code,
                reason_label=reason_label(row.entry.reason_code),
                effective_date=row.entry.effective_date,
                entered_at=row.entry.entered_at,
                sync_state=SyncState(row.entry.sync_state),
                sync_state_label=SYNC_STATE_LABELS[SyncState(row.entry.sync_state)],
                sync_error=row.entry.sync_error,
                acknowledged_at=row.entry.acknowledged_at,
                receipt_no=row.entry.receipt_no,
            )
            for row in result.items
        ],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )
