"""The audit trail, for the auditor only: read it and verify its hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
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


@router.get("/entries", response_model=list[AuditView])
async def entries(
    session: Session,
    actor: StaffActor,
    actor_name: str | None = Query(default=None, alias="actor", max_length=64),
    retiree_id: QueryId = None,
    action: str | None = Query(default=None, max_length=64),
    since: datetime | None = Query(default=None),
    before_id: QueryId = None,
    size: int = Query(default=50, ge=1, le=500),
) -> list[AuditView]:
    require(actor, Permission.READ_AUDIT)
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(size)
    if actor_name:
        query = query.where(col(AuditEntry.actor) == actor_name)
    if retiree_id is not None:
        query = query.where(trail.about_retiree(retiree_id))
    if action:
        query = query.where(col(AuditEntry.action) == action)
    if since:
        query = query.where(col(AuditEntry.at) >= since)
    if before_id:
        query = query.where(col(AuditEntry.id) < before_id)
    rows = (await session.execute(query)).scalars().all()
    return [AuditView.model_validate(r, from_attributes=True) for r in rows]


@router.get("/verify", response_model=ChainView)
async def verify(session: Session, actor: StaffActor) -> ChainView:
    """校验审计日志哈希链是否完整。"""
    require(actor, Permission.READ_AUDIT)
    report = await trail.verify_chain(session)
    return ChainView(
        entries=report.entries, intact=report.intact, first_broken_id=report.first_broken_id, reason=report.reason
    )
