"""The status-change log across the caller's scope (6.22): what the province has not acknowledged yet, what it
refused, what was recorded on a day — with the Chinese labels of the log's codes.

Scoped by the retiree's current institution (the same scope as the retiree lists, so every row links to a timeline
the caller may open). The unacknowledged states are read through the partial index ``ix_status_change_unacknowledged``,
a day's entries through ``ix_status_change_entered_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.institutions.models import Institution
from domain.retirees.lifecycle import ChangeKind
from domain.retirees.models import Retiree
from domain.retirees.scope import retiree_in_scope
from domain.shared.actor import Actor
from domain.shared.calendar import BUSINESS_TZ
from domain.staff.permissions import Permission, require
from domain.status_log.models import CauseType, StatusChange, SyncState

CHANGE_KIND_LABELS: dict[ChangeKind, str] = {
    ChangeKind.REGISTERED: "登记",
    ChangeKind.SUPPLEMENTARY_INFO_RECORDED: "补充信息采集",
    ChangeKind.TRANSFERRED_OUT: "转出",
    ChangeKind.TRANSFERRED_IN: "转入",
    ChangeKind.SUSPENDED: "暂停发放",
    ChangeKind.RESUMED: "恢复发放",
    ChangeKind.DECEASED: "死亡减员",
    ChangeKind.ERROR_RESTORED: "差错恢复",
    ChangeKind.INSTITUTION_CHANGED: "机构调整",
}

SYNC_STATE_LABELS: dict[SyncState, str] = {
    SyncState.PENDING: "待上报省平台",
    SyncState.SENT: "已上报，待省平台确认",
    SyncState.ACKNOWLEDGED: "省平台已确认",
    SyncState.FAILED: "上报失败",
    SyncState.NOT_SENT: "无需上报（省平台发起）",
}

CAUSE_TYPE_LABELS: dict[CauseType, str] = {
    CauseType.STAFF: "经办人员办理",
    CauseType.CHANNEL: "手机端申请",
    CauseType.EVENT: "省平台同步",
    CauseType.RULE: "系统规则",
    CauseType.IMPORT: "历史数据导入",
}

UNACKNOWLEDGED = (SyncState.PENDING, SyncState.SENT)


def city_day(day: date) -> tuple[datetime, datetime]:
    """The instants a day of the city's calendar begins and ends (Asia/Shanghai), whatever the server's zone."""
    start = datetime.combine(day, time.min, tzinfo=BUSINESS_TZ)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class ChangeFilter:
    sync_states: Sequence[SyncState] = ()  # empty: every state
    kind: ChangeKind | None = None
    recorded_on: date | None = None  # the city's calendar day the entry was recorded


def conditions(actor: Actor, filters: ChangeFilter) -> list[ColumnElement[bool]]:
    """The WHERE of a scoped log query: ``status_change`` joined to its retiree."""
    where = [col(StatusChange.retiree_id) == col(Retiree.id), retiree_in_scope(actor, include_unplaced=True)]
    if filters.sync_states:
        # Inline values, so that even a generic prepared plan sees the partial index's predicate.
        states = [literal(s.value, literal_execute=True) for s in filters.sync_states]
        where.append(col(StatusChange.sync_state).in_(states))
    if filters.kind is not None:
        where.append(col(StatusChange.kind) == filters.kind.value)
    if filters.recorded_on is not None:
        start, end = city_day(filters.recorded_on)
        where.append(and_(col(StatusChange.entered_at) >= start, col(StatusChange.entered_at) < end))
    return where


@dataclass(frozen=True)
class ChangeRow:
    entry: StatusChange
    retiree: Retiree
    institution: Institution | None


@dataclass(frozen=True)
class ChangePage:
    items: list[ChangeRow]
    total: int
    page: int
    page_size: int


async def changes(
    session: AsyncSession, actor: Actor, filters: ChangeFilter, *, page: int, page_size: int
) -> ChangePage:
    """One page of the log in scope, newest recorded first."""
    require(actor, Permission.READ_REGISTRY)
    where = conditions(actor, filters)
    total = (
        await session.execute(select(func.count()).select_from(StatusChange).join(Retiree, and_(*where)))
    ).scalar_one()
    rows = await session.execute(
        select(StatusChange, Retiree, Institution)
        .select_from(StatusChange)
        .join(Retiree, and_(*where))
        .outerjoin(Institution, col(Retiree.institution_id) == col(Institution.id))
        .order_by(col(StatusChange.entered_at).desc(), col(StatusChange.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return ChangePage(items=[ChangeRow(e, r, i) for e, r, i in rows], total=total, page=page, page_size=page_size)
