"""The audit trail, for the auditor only: read it and verify its hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlmodel import col

from channels.deps import QueryId, Session, StaffActor
from domain.audit import trail
from domain.audit.models import AuditEntry
from domain.staff.permissions import Permission, require

router = APIRouter(prefix="/api/v1/audit", tags=["审计 三员分离"])


class AuditView(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_role: str | None
    institution_id: int | None
    action: str
    retiree_id: int | None
    retiree_ids: list[int] | None
    target: str | None
    detail: dict[str, Any]
    source_ip: str | None


class ChainView(BaseModel):
    entries: int
    intact: bool
    first_broken_id: int | None
    reason: str | None


class AuditCount(BaseModel):
    total: int


class _Filters:
    """The trail's filters, shared by the list and its count: who, which retiree, what, on what, and when."""

    def __init__(
        self,
        actor_name: str | None = Query(default=None, alias="actor", max_length=64, description="操作人用户名"),
        retiree_id: QueryId = None,
        action: str | None = Query(default=None, max_length=64, description="操作，如 staff.login"),
        target: str | None = Query(default=None, max_length=128, description="操作对象，如用户名或机构编码"),
        since: datetime | None = Query(default=None, description="不早于该时刻"),
        until: datetime | None = Query(default=None, description="早于该时刻"),
    ) -> None:
        self.conditions: list[ColumnElement[bool]] = []
        if actor_name:
            self.conditions.append(col(AuditEntry.actor) == actor_name)
        if retiree_id is not None:
            self.conditions.append(trail.about_retiree(retiree_id))
        if action:
            self.conditions.append(col(AuditEntry.action) == action)
        if target:
            self.conditions.append(col(AuditEntry.target) == target)
        if since:
            self.conditions.append(col(AuditEntry.at) >= since)
        if until:
            self.conditions.append(col(AuditEntry.at) < until)


Filters = Annotated[_Filters, Depends()]


@router.get("/entries", response_model=list[AuditView])
async def entries(
    session: Session,
    actor: StaffActor,
    filters: Filters,
    before_id: QueryId = None,
    offset: int = Query(default=0, ge=0, le=1_000_000, description="跳过的条数（分页）"),
    size: int = Query(default=50, ge=1, le=500),
) -> list[AuditView]:
    """审计日志，最新的在前；before_id 或 offset 分页。"""
    require(actor, Permission.READ_AUDIT)
    query = select(AuditEntry).where(*filters.conditions).order_by(col(AuditEntry.id).desc()).limit(size)
    if before_id:
        query = query.where(col(AuditEntry.id) < before_id)
    if offset:
        query = query.offset(offset)
    rows = (await session.execute(query)).scalars().all()
    return [AuditView.model_validate(r, from_attributes=True) for r in rows]


@router.get("/entries/count", response_model=AuditCount)
async def count_entries(session: Session, actor: StaffActor, filters: Filters) -> AuditCount:
    """符合筛选条件的审计日志条数（分页用）。"""
    require(actor, Permission.READ_AUDIT)
    query = select(func.count()).select_from(AuditEntry).where(*filters.conditions)
    return AuditCount(total=(await session.execute(query)).scalar_one())


@router.get("/verify", response_model=ChainView)
async def verify(session: Session, actor: StaffActor) -> ChainView:
    """校验审计日志哈希链是否完整。"""
    require(actor, Permission.READ_AUDIT)
    report = await trail.verify_chain(session)
    return ChainView(
        entries=report.entries, intact=report.intact, first_broken_id=report.first_broken_id, reason=report.reason
    )
