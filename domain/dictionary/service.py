"""The data dictionary (1.4): code tables and parameters, with the checks that keep them usable.

A code cannot be deleted while it is built in or still used by a retiree; it can be relabelled or deactivated.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.dictionary.codes import (
    CATEGORIES,
    CATEGORY_BY_NAME,
    CODE_LIST_PARAMETERS,
    PARAMETER_RANGES,
    PARAMETERS,
    TIME_RANGE_PARAMETERS,
)
from domain.dictionary.models import CodeEntry, Parameter
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, NotFound
from domain.staff.permissions import Permission, require

_CODE_LIST = re.compile(r"[0-9A-Za-z]{1,20}(,[0-9A-Za-z]{1,20})*")
_TIME_RANGE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")


async def ensure_builtin(session: AsyncSession) -> int:
    """Insert the built-in codes and parameters that are missing; what staff edited stays as it is."""
    codes = [
        {"category": c.name, "code": code, "label": label, "sort_order": i, "builtin": True}
        for c in CATEGORIES
        for i, (code, label) in enumerate(c.codes)
    ]
    params = [{"name": n, "value": v, "description": d} for n, (v, d) in PARAMETERS.items()]
    inserted = await session.execute(
        insert(CodeEntry).values(codes).on_conflict_do_nothing().returning(col(CodeEntry.code))
    )
    await session.execute(insert(Parameter).values(params).on_conflict_do_nothing())
    return len(inserted.all())


async def codes(session: AsyncSession, category: str | None = None) -> list[CodeEntry]:
    query = select(CodeEntry).order_by(col(CodeEntry.category), col(CodeEntry.sort_order), col(CodeEntry.code))
    if category is not None:
        query = query.where(col(CodeEntry.category) == category)
    return list((await session.execute(query)).scalars().all())


async def labels(session: AsyncSession, category: str) -> dict[str, str]:
    return {entry.code: entry.label for entry in await codes(session, category)}


async def require_codes(session: AsyncSession, category: str, values: list[str], field: str) -> None:
    """Refuse codes that are not active in the category, naming the field and the bad values."""
    active = {entry.code for entry in await codes(session, category) if entry.active}
    unknown = [v for v in values if v not in active]
    if unknown:
        raise DomainError(
            ErrorCode.UNKNOWN_CODE, f"{field} 的代码 {'、'.join(unknown)} 不在数据字典“{category}”中", field=field
        )


async def add_code(
    session: AsyncSession, actor: Actor, category: str, code: str, label: str, sort_order: int
) -> CodeEntry:
    require(actor, Permission.MANAGE_DICTIONARY)
    if await session.get(CodeEntry, (category, code)) is not None:
        raise Conflict(ErrorCode.CODE_EXISTS, f"代码表“{category}”中已有代码 {code}")
    entry = CodeEntry(category=category, code=code, label=label, sort_order=sort_order)
    session.add(entry)
    await trail.record(session, actor, "dictionary.add", target=f"{category}/{code}", detail={"label": label})
    return entry


async def update_code(
    session: AsyncSession, actor: Actor, category: str, code: str, *, label: str | None, active: bool | None
) -> CodeEntry:
    require(actor, Permission.MANAGE_DICTIONARY)
    entry = await session.get(CodeEntry, (category, code))
    if entry is None:
        raise NotFound(ErrorCode.CODE_NOT_FOUND, f"代码表“{category}”中没有代码 {code}")
    if label is not None:
        entry.label = label
    if active is not None:
        entry.active = active
    entry.updated_at = datetime.now(UTC)
    await trail.record(
        session, actor, "dictionary.update", target=f"{category}/{code}", detail={"label": label, "active": active}
    )
    return entry


async def delete_code(session: AsyncSession, actor: Actor, category: str, code: str) -> None:
    require(actor, Permission.MANAGE_DICTIONARY)
    entry = await session.get(CodeEntry, (category, code))
    if entry is None:
        raise NotFound(ErrorCode.CODE_NOT_FOUND, f"代码表“{category}”中没有代码 {code}")
    if entry.builtin:
        raise Conflict(ErrorCode.CODE_BUILTIN, f"“{entry.label}”是系统内置代码，只能停用，不能删除")
    known = CATEGORY_BY_NAME.get(category)
    if known is not None and known.retiree_column is not None:
        used = (
            await session.execute(
                text(f"SELECT count(*) FROM retiree WHERE {known.retiree_column} = :code"), {"code": code}
            )
        ).scalar_one()
        if used:
            raise Conflict(ErrorCode.CODE_IN_USE, f"代码“{entry.label}”仍被 {used} 名人员使用，不能删除，可停用")
    if category == "special_category":
        used = (
            await session.execute(
                text("SELECT count(*) FROM retiree_supplementary_info WHERE :code = ANY(special_categories)"),
                {"code": code},
            )
        ).scalar_one()
        if used:
            raise Conflict(ErrorCode.CODE_IN_USE, f"代码“{entry.label}”仍被 {used} 名人员使用，不能删除，可停用")
    await session.delete(entry)
    await trail.record(session, actor, "dictionary.delete", target=f"{category}/{code}")


async def parameters(session: AsyncSession) -> list[Parameter]:
    return list((await session.execute(select(Parameter).order_by(col(Parameter.name)))).scalars().all())


async def parameter_int(session: AsyncSession, name: str) -> int:
    parameter = await session.get(Parameter, name)
    return int(parameter.value if parameter else PARAMETERS[name][0])


async def parameter_text(session: AsyncSession, name: str) -> str:
    parameter = await session.get(Parameter, name)
    return parameter.value if parameter else PARAMETERS[name][0]


async def set_parameter(session: AsyncSession, actor: Actor, name: str, value: str) -> Parameter:
    require(actor, Permission.MANAGE_DICTIONARY)
    parameter = await session.get(Parameter, name)
    if parameter is None:
        raise NotFound(ErrorCode.PARAMETER_NOT_FOUND, f"没有参数 {name}")
    if name in CODE_LIST_PARAMETERS:
        if not _CODE_LIST.fullmatch(value.strip()):
            raise DomainError(
                ErrorCode.PARAMETER_NOT_A_CODE_LIST, f"参数 {name} 应为以英文逗号分隔的编码", field="value"
            )
    elif name in TIME_RANGE_PARAMETERS:
        if not _TIME_RANGE.fullmatch(value.strip()):
            raise DomainError(
                ErrorCode.PARAMETER_NOT_A_TIME_RANGE, f"参数 {name} 应为“时:分-时:分”，如 22:00-07:00", field="value"
            )
    elif name in PARAMETERS and not value.strip().isdigit():
        raise DomainError(ErrorCode.PARAMETER_NOT_A_NUMBER, f"参数 {name} 应为非负整数", field="value")
    elif name in PARAMETER_RANGES:
        low, high = PARAMETER_RANGES[name]
        if not low <= int(value.strip()) <= high:
            raise DomainError(
                ErrorCode.PARAMETER_OUT_OF_RANGE, f"参数 {name} 应为 {low} 至 {high} 之间的整数", field="value"
            )
    before = parameter.value
    parameter.value = value.strip()
    parameter.updated_at = datetime.now(UTC)
    await trail.record(
        session, actor, "dictionary.set_parameter", target=name, detail={"before": before, "after": value}
    )
    return parameter
