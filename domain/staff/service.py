"""Staff management (1.2) and the query scope (1.3).

The system administrator creates, changes and deactivates accounts of the institutions under their own, without a
role; the security administrator grants and withdraws roles; nobody holds two administrator roles. Passwords arrive
already hashed: hashing is the channel layer's job (argon2), so the domain never sees a password.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.institutions import service as institutions
from domain.institutions.models import Institution, Level, in_subtree
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound
from domain.staff import login
from domain.staff.login import LoginPolicy
from domain.staff.models import StaffAccount
from domain.staff.permissions import ADMIN_ROLES, LEVELS_FOR_ROLE, ROLE_LABELS, Permission, Role, can, require


async def by_username(session: AsyncSession, username: str) -> StaffAccount | None:
    query = select(StaffAccount).where(col(StaffAccount.username) == username)
    return (await session.execute(query)).scalar_one_or_none()


async def actor_for(session: AsyncSession, account: StaffAccount, source: str | None) -> Actor:
    """The Actor an authenticated account acts as: its institution's subtree and its chosen query scope."""
    institution = await session.get(Institution, account.institution_id)
    if institution is None:
        raise NotFound(ErrorCode.INSTITUTION_NOT_FOUND, "账号所属机构不存在")
    scope = (
        await session.get(Institution, account.query_scope_institution_id)
        if account.query_scope_institution_id
        else None
    )
    return Actor(
        name=account.username,
        kind="staff",
        role=account.role,
        institution_id=institution.id,
        institution_path=institution.path,
        scope_path=scope.path if scope and scope.path.startswith(institution.path) else None,
        source=source,
    )


async def _account_in_scope(session: AsyncSession, actor: Actor, account_id: int) -> tuple[StaffAccount, Institution]:
    account = await session.get(StaffAccount, account_id)
    institution = await session.get(Institution, account.institution_id) if account else None
    if account is None or institution is None or not actor.covers(institution.path):
        raise NotFound(ErrorCode.STAFF_NOT_FOUND, "未找到该工作人员，或不在本机构管辖范围内")
    return account, institution


async def create_account(
    session: AsyncSession,
    actor: Actor,
    *,
    username: str,
    full_name: str,
    institution_id: int,
    password_hash: str,
    id_number: str | None = None,
    phone: str | None = None,
) -> StaffAccount:
    """A new account without a role: it can log in but do nothing until the security administrator grants one, and
    nothing but change its password until it has (issue 13)."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    await institutions.visible(session, actor, institution_id)
    if await by_username(session, username) is not None:
        raise Conflict(ErrorCode.USERNAME_TAKEN, f"用户名 {username} 已被使用")
    account = StaffAccount(
        username=username,
        full_name=full_name,
        institution_id=institution_id,
        password_hash=password_hash,
        id_number=id_number,
        phone=phone,
        created_by=actor.name,
        must_change_password=True,  # the administrator knows the first password: the owner changes it first
    )
    session.add(account)
    await session.flush()
    await trail.record(session, actor, "staff.create", target=username, detail={"institution_id": institution_id})
    return account


async def update_account(
    session: AsyncSession,
    actor: Actor,
    account_id: int,
    *,
    full_name: str | None,
    phone: str | None,
    active: bool | None,
) -> StaffAccount:
    require(actor, Permission.MANAGE_ACCOUNTS)
    account, _ = await _account_in_scope(session, actor, account_id)
    if account.username == actor.name and active is False:
        raise DomainError(ErrorCode.SELF_DEACTIVATION, "不能停用自己的账号")
    changes = {k: v for k, v in {"full_name": full_name, "phone": phone, "active": active}.items() if v is not None}
    for field, value in changes.items():
        setattr(account, field, value)
    account.updated_at = datetime.now(UTC)
    await trail.record(session, actor, "staff.update", target=account.username, detail=changes)
    return account


async def set_password(
    session: AsyncSession,
    actor: Actor,
    account_id: int,
    password_hash: str,
    *,
    matches: Callable[[str], bool],
    policy: LoginPolicy,
) -> None:
    """The system administrator resets a password (the account's own change goes through change_own_password): the
    owner must change it at the next login, and the account's earlier tokens stop working."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    account, _ = await _account_in_scope(session, actor, account_id)
    await login.set_password(
        session, actor, account, password_hash, matches=matches, policy=policy, now=datetime.now(UTC), by_admin=True
    )


async def change_own_password(
    session: AsyncSession, actor: Actor, password_hash: str, *, matches: Callable[[str], bool], policy: LoginPolicy
) -> None:
    account = await by_username(session, actor.name)
    if account is None:
        raise NotFound(ErrorCode.STAFF_NOT_FOUND, "账号不存在")
    await login.set_password(
        session, actor, account, password_hash, matches=matches, policy=policy, now=datetime.now(UTC), by_admin=False
    )


async def unlock(session: AsyncSession, actor: Actor, account_id: int) -> StaffAccount:
    """The security administrator unlocks an account locked after repeated failed logins (issue 13)."""
    require(actor, Permission.GRANT_ROLES)
    account, _ = await _account_in_scope(session, actor, account_id)
    await login.unlock(session, actor, account)
    return account


async def grant_role(session: AsyncSession, actor: Actor, account_id: int, role: Role | None) -> StaffAccount:
    """The security administrator's one power: grant a role (or withdraw it with None)."""
    require(actor, Permission.GRANT_ROLES)
    account, institution = await _account_in_scope(session, actor, account_id)
    if account.username == actor.name:
        raise Forbidden(ErrorCode.SELF_GRANT, "不能为自己授权")
    if role is not None:
        if Level(institution.level) not in LEVELS_FOR_ROLE[role]:
            raise DomainError(ErrorCode.ROLE_LEVEL, f"{ROLE_LABELS[role]}只能授予市级机构的人员")
        if role in ADMIN_ROLES:
            if not account.id_number:
                raise DomainError(ErrorCode.ADMIN_NEEDS_ID, "授予管理员角色前须登记该人员的身份证号码，以核验三员分离")
            others = await session.execute(
                select(col(StaffAccount.username), col(StaffAccount.role)).where(
                    col(StaffAccount.id_number) == account.id_number,
                    col(StaffAccount.id) != account.id,
                    col(StaffAccount.active).is_(True),
                    col(StaffAccount.role).in_([r.value for r in ADMIN_ROLES]),
                )
            )
            held = others.first()
            if held is not None:
                held_role = Role(cast(str, held[1]))  # never NULL: the query filters on role IN ADMIN_ROLES
                raise Conflict(
                    ErrorCode.SEPARATION_OF_DUTIES,
                    f"该人员已通过账号 {held[0]} 担任{ROLE_LABELS[held_role]}，三员不得兼任",
                )
    before = account.role
    account.role = role.value if role else None
    account.updated_at = datetime.now(UTC)
    try:
        await session.flush()
    except IntegrityError as error:  # the partial unique index caught a concurrent grant
        raise Conflict(ErrorCode.SEPARATION_OF_DUTIES, "三员不得兼任") from error
    await trail.record(
        session, actor, "staff.grant_role", target=account.username, detail={"before": before, "after": account.role}
    )
    return account


async def list_accounts(session: AsyncSession, actor: Actor) -> list[tuple[StaffAccount, Institution]]:
    """6.19: accounts of the actor's subtree, for the administrators who manage them."""
    if not (can(actor, Permission.MANAGE_ACCOUNTS) or can(actor, Permission.GRANT_ROLES)):
        require(actor, Permission.MANAGE_ACCOUNTS)
    rows = await session.execute(
        select(StaffAccount, Institution)
        .join(Institution, col(StaffAccount.institution_id) == col(Institution.id))
        .where(in_subtree(actor.institution_path))
        .order_by(col(Institution.path), col(StaffAccount.username))
    )
    return [(a, i) for a, i in rows]


async def set_query_scope(session: AsyncSession, actor: Actor, institution_id: int | None) -> StaffAccount:
    """1.3: narrow the institution scope lists and reports run over; None returns to the whole own subtree."""
    require(actor, Permission.READ_REGISTRY)
    account = await by_username(session, actor.name)
    if account is None:
        raise NotFound(ErrorCode.STAFF_NOT_FOUND, "账号不存在")
    if institution_id is not None:
        await institutions.visible(session, actor, institution_id)
    account.query_scope_institution_id = institution_id
    await trail.record(
        session, actor, "staff.set_query_scope", target=actor.name, detail={"institution_id": institution_id}
    )
    return account
