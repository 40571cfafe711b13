"""Queries over retirees, each limited to the caller's scope (1.3), and the city-wide status lookup (6.7).

Lists return whole rows; the channel layer masks ID and phone numbers in them. The full details of one person are
read through :func:`detail`, which writes the view to the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.institutions.models import Institution, in_subtree
from domain.retirees.models import Retiree, SupplementaryInfo
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode, NotFound
from domain.staff.permissions import Permission, require, require_in_scope


@dataclass(frozen=True)
class RetireeFilter:
    status: str | None = None
    suspension_reason: str | None = None  # a status-change reason code (S01 … S05)
    payment_status: str | None = None
    management_form: str | None = None
    institution_id: int | None = None  # narrow to one institution's subtree inside the scope
    name: str | None = None  # prefix
    personal_number: str | None = None
    id_number: str | None = None
    unregistered: bool = False  # only the city level sees people with no institution


# The columns a list may be sorted by (the console's sortable columns); anything else is refused by the channel.
SORTABLE = {
    "personal_number": col(Retiree.personal_number),
    "name": col(Retiree.name),
    "birth_date": col(Retiree.birth_date),
    "status": col(Retiree.status),
}


@dataclass(frozen=True)
class Page:
    items: list[tuple[Retiree, Institution | None]]
    total: int
    page: int
    size: int


async def _scoped(session: AsyncSession, actor: Actor, filters: RetireeFilter) -> Select[Retiree, Institution]:
    if filters.unregistered:
        if not actor.is_city_level:
            raise DomainError(ErrorCode.CITY_LEVEL_ONLY, "未登记（无所属机构）的人员仅市级可查询")
        query = select(Retiree, Institution).outerjoin(Institution, col(Retiree.institution_id) == col(Institution.id))
        query = query.where(col(Retiree.institution_id).is_(None))
    else:
        path = actor.query_path
        if filters.institution_id is not None:
            narrowed = await session.get(Institution, filters.institution_id)
            require_in_scope(actor, narrowed.path if narrowed else "\0", "机构")
            assert narrowed is not None
            path = narrowed.path
        query = select(Retiree, Institution).join(Institution, col(Retiree.institution_id) == col(Institution.id))
        query = query.where(in_subtree(path))
    if filters.status:
        query = query.where(col(Retiree.status) == filters.status)
    if filters.suspension_reason:
        query = query.where(col(Retiree.suspension_reason) == filters.suspension_reason)
    if filters.payment_status:
        query = query.where(col(Retiree.payment_status) == filters.payment_status)
    if filters.management_form:
        query = query.where(col(Retiree.management_form) == filters.management_form)
    if filters.name:
        query = query.where(col(Retiree.name).startswith(filters.name, autoescape=True))
    if filters.personal_number:
        query = query.where(col(Retiree.personal_number) == filters.personal_number)
    if filters.id_number:
        query = query.where(col(Retiree.id_number) == filters.id_number.upper())
    return query


async def search(
    session: AsyncSession,
    actor: Actor,
    filters: RetireeFilter,
    *,
    page: int = 1,
    size: int = 20,
    sort: str = "personal_number",
) -> Page:
    """One page of the retirees in scope (6.3, 6.4, 6.8, 6.11 …), ordered by a column of :data:`SORTABLE` (``-``
    before its name: descending), then by personal number."""
    require(actor, Permission.READ_REGISTRY)
    descending = sort.startswith("-")
    column = SORTABLE.get(sort.removeprefix("-"))
    if column is None:
        raise DomainError(ErrorCode.INVALID_REQUEST, f"不能按“{sort}”排序", field="sort")
    query = await _scoped(session, actor, filters)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    order = (column.desc() if descending else column.asc(), col(Retiree.personal_number).asc())
    rows = await session.execute(query.order_by(*order).offset((page - 1) * size).limit(size))
    return Page(items=[(r, i) for r, i in rows], total=total, page=page, size=size)


async def _in_scope(session: AsyncSession, actor: Actor, retiree_id: int) -> tuple[Retiree, Institution | None]:
    retiree = await session.get(Retiree, retiree_id)
    institution = await session.get(Institution, retiree.institution_id) if retiree and retiree.institution_id else None
    if retiree is None:
        raise NotFound(ErrorCode.NOT_FOUND, "未找到该人员，或不在本机构管辖范围内")
    require_in_scope(actor, institution.path if institution else None, "人员")
    return retiree, institution


async def detail(
    session: AsyncSession, actor: Actor, retiree_id: int
) -> tuple[Retiree, Institution | None, SupplementaryInfo | None]:
    """The full record of one person in scope; the view is audited."""
    require(actor, Permission.READ_REGISTRY)
    retiree, institution = await _in_scope(session, actor, retiree_id)
    info = await session.get(SupplementaryInfo, retiree_id)
    await trail.record(session, actor, "retiree.view_detail", retiree_id=retiree_id, target=retiree.personal_number)
    return retiree, institution, info


async def in_scope(session: AsyncSession, actor: Actor, retiree_id: int) -> Retiree:
    """The retiree if the actor may work on them (no audit entry: the command that follows writes one)."""
    require(actor, Permission.READ_REGISTRY)
    retiree, _ = await _in_scope(session, actor, retiree_id)
    return retiree


@dataclass(frozen=True)
class CityWideStatus:
    retiree: Retiree
    institution: Institution | None
    in_own_scope: bool


async def status_anywhere(session: AsyncSession, actor: Actor, number: str) -> CityWideStatus:
    """6.7: any institution may look up any retiree's current status by personal or ID number. Outside the caller's
    subtree only the status and where they are managed are shown (the channel layer masks the rest)."""
    require(actor, Permission.READ_REGISTRY)
    number = number.strip().upper()
    retiree = (
        await session.execute(
            select(Retiree).where(or_(col(Retiree.personal_number) == number, col(Retiree.id_number) == number))
        )
    ).scalar_one_or_none()
    if retiree is None:
        raise NotFound(ErrorCode.RETIREE_NOT_FOUND, f"未找到个人编号或身份证号为 {number} 的人员")
    institution = await session.get(Institution, retiree.institution_id) if retiree.institution_id else None
    own = actor.covers(institution.path if institution else None)
    await trail.record(
        session,
        actor,
        "retiree.status_lookup",
        retiree_id=retiree.id,
        target=retiree.personal_number,
        detail={"in_scope": own},
    )
    return CityWideStatus(retiree, institution, own)


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years (5.1's aged ledger is computed from this, by the system date)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
