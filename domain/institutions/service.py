"""Institution management (1.1): add, change and delete the institutions under one's own, and subtree lookups.

A new institution sits one level below its parent; a deletion is refused while anything still refers to the
institution (sub-institutions, staff, retirees, applications), with a message saying what.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.institutions.models import CHILD_LEVEL, LEVEL_LABELS, Institution, Level, in_subtree
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode
from domain.staff.permissions import Permission, require, require_in_scope


async def get(session: AsyncSession, institution_id: int) -> Institution | None:
    return await session.get(Institution, institution_id)


async def by_code(session: AsyncSession, code: str) -> Institution | None:
    return (await session.execute(select(Institution).where(col(Institution.code) == code))).scalar_one_or_none()


async def by_path(session: AsyncSession, path: str) -> Institution | None:
    return (await session.execute(select(Institution).where(col(Institution.path) == path))).scalar_one_or_none()


async def visible(session: AsyncSession, actor: Actor, institution_id: int) -> Institution:
    """The institution if it is in the actor's subtree; NotFound otherwise (the same for one that does not exist)."""
    institution = await get(session, institution_id)
    require_in_scope(actor, institution.path if institution else "\0", "机构")
    assert institution is not None
    return institution


async def subtree(session: AsyncSession, path: str, *, level: Level | None = None) -> list[Institution]:
    query = select(Institution).where(in_subtree(path))
    if level is not None:
        query = query.where(col(Institution.level) == level.value)
    return list((await session.execute(query.order_by(col(Institution.path)))).scalars().all())


async def create(session: AsyncSession, actor: Actor, *, parent_id: int | None, code: str, name: str) -> Institution:
    require(actor, Permission.MANAGE_INSTITUTIONS)
    if parent_id is None:
        if actor.kind != "system":
            raise DomainError(ErrorCode.ROOT_RESERVED, "市级根机构只能在系统初始化时创建")
        level, parent_path = Level.CITY, "/"
    else:
        parent = await visible(session, actor, parent_id)
        child = CHILD_LEVEL.get(Level(parent.level))
        if child is None:
            raise DomainError(ErrorCode.NO_CHILD_LEVEL, f"{LEVEL_LABELS[Level(parent.level)]}之下不能再设下级机构")
        level, parent_path = child, parent.path
    if await by_code(session, code) is not None:
        raise Conflict(ErrorCode.INSTITUTION_CODE_TAKEN, f"机构编码 {code} 已存在")
    institution = Institution(code=code, name=name, level=level.value, parent_id=parent_id, path="")
    session.add(institution)
    await session.flush()
    institution.path = f"{parent_path}{institution.id}/"
    await trail.record(session, actor, "institution.create", target=code, detail={"name": name, "level": level.value})
    return institution


async def rename(
    session: AsyncSession, actor: Actor, institution_id: int, *, name: str, active: bool | None
) -> Institution:
    require(actor, Permission.MANAGE_INSTITUTIONS)
    institution = await visible(session, actor, institution_id)
    if institution.path == actor.institution_path and actor.kind != "system":
        raise DomainError(ErrorCode.OWN_INSTITUTION, "不能修改本机构自身，请由上级机构办理")
    before = {"name": institution.name, "active": institution.active}
    institution.name = name
    if active is not None:
        institution.active = active
    institution.updated_at = datetime.now(UTC)
    await trail.record(
        session,
        actor,
        "institution.update",
        target=institution.code,
        detail={"before": before, "name": name, "active": institution.active},
    )
    return institution


_REFERENCES = (
    ("institution", "parent_id", "下级机构"),
    ("staff_account", "institution_id", "工作人员"),
    ("staff_account", "query_scope_institution_id", "工作人员的查询范围"),
    ("retiree", "institution_id", "退休人员"),
    ("registration_application", "community_id", "登记申请"),
    ("status_change", "institution_id", "人员状态变更记录"),
)


async def delete(session: AsyncSession, actor: Actor, institution_id: int) -> None:
    require(actor, Permission.MANAGE_INSTITUTIONS)
    institution = await visible(session, actor, institution_id)
    if institution.path == actor.institution_path:
        raise DomainError(ErrorCode.OWN_INSTITUTION, "不能删除本机构自身")
    # Lock the row so nothing new can be attached to it while the references are counted.
    await session.execute(select(col(Institution.id)).where(col(Institution.id) == institution_id).with_for_update())
    in_use = []
    for table, column, label in _REFERENCES:
        count = (
            await session.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :id"), {"id": institution_id})
        ).scalar_one()
        if count:
            in_use.append(f"{label}{count}条")
    if in_use:
        raise Conflict(
            ErrorCode.INSTITUTION_IN_USE,
            f"机构“{institution.name}”仍被引用（{'，'.join(in_use)}），不能删除",
            references=in_use,
        )
    await session.delete(institution)
    await trail.record(session, actor, "institution.delete", target=institution.code, detail={"name": institution.name})


async def count_by_level(session: AsyncSession, path: str) -> dict[str, int]:
    rows = await session.execute(
        select(col(Institution.level), func.count()).where(in_subtree(path)).group_by(col(Institution.level))
    )
    return {level: count for level, count in rows}


async def search_communities(session: AsyncSession, keyword: str, *, limit: int = 50) -> list[Institution]:
    """Active communities whose own name, or whose street's or district's name, contains the keyword."""
    pattern = f"%{keyword.replace('%', '').replace('_', '')}%"
    table = inspect(Institution).local_table
    street = table.alias("street")
    district = table.alias("district")
    query = (
        select(Institution)
        .join(street, street.c.id == col(Institution.parent_id))
        .join(district, district.c.id == street.c.parent_id)
        .where(col(Institution.level) == Level.COMMUNITY.value, col(Institution.active).is_(True))
        .where(col(Institution.name).like(pattern) | street.c.name.like(pattern) | district.c.name.like(pattern))
        .order_by(col(Institution.code))
        .limit(limit)
    )
    return list((await session.execute(query)).scalars().all())
