"""Login (argon2-checked password → expiring token), the caller's own profile and password, and the query
scope (1.3)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from channels.deps import BodyId, Session, StaffActor, client_address, hub_of
from channels.security import Unauthenticated, hash_password, issue_token, verify_password
from channels.staff.views import InstitutionView
from domain.audit import trail
from domain.institutions import service as institutions
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode
from domain.staff import service as staff
from domain.staff.permissions import ROLE_LABELS, Permission, Role, can

router = APIRouter(prefix="/api/v1/auth", tags=["登录与个人设置"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class Me(BaseModel):
    username: str
    full_name: str
    role: str | None
    role_label: str
    institution: InstitutionView
    query_scope: InstitutionView | None
    permissions: list[str]


@router.post("/login", response_model=Token)
async def login(body: Login, request: Request, session: Session) -> Token:
    account = await staff.by_username(session, body.username)
    if not verify_password(account.password_hash if account else None, body.password) or account is None:
        raise Unauthenticated(ErrorCode.LOGIN_FAILED, "用户名或密码错误")
    if not account.active:
        raise Unauthenticated(ErrorCode.ACCOUNT_DISABLED, "账号已停用，请联系系统管理员")
    settings = hub_of(request).settings
    token, expires = issue_token(settings.secret_key, account.username, "staff", settings.staff_token_minutes)
    account.last_login_at = datetime.now(UTC)
    actor = await staff.actor_for(session, account, client_address(request))
    await trail.record(session, actor, "staff.login", target=account.username)
    return Token(access_token=token, expires_at=expires)


async def _me(session: Session, actor: Actor) -> Me:
    account = await staff.by_username(session, actor.name)
    assert account is not None and actor.institution_id is not None
    institution = await institutions.get(session, actor.institution_id)
    scope = (
        await institutions.get(session, account.query_scope_institution_id)
        if account.query_scope_institution_id
        else None
    )
    assert institution is not None
    return Me(
        username=account.username,
        full_name=account.full_name,
        role=account.role,
        role_label=ROLE_LABELS[Role(account.role)] if account.role else "未授权",
        institution=InstitutionView.of(institution),
        query_scope=InstitutionView.of(scope) if scope else None,
        permissions=[p.value for p in Permission if can(actor, p)],
    )


@router.get("/me", response_model=Me)
async def me(session: Session, actor: StaffActor) -> Me:
    return await _me(session, actor)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


@router.post("/password", status_code=204)
async def change_password(body: PasswordChange, session: Session, actor: StaffActor) -> None:
    account = await staff.by_username(session, actor.name)
    if account is None or not verify_password(account.password_hash, body.current_password):
        raise Unauthenticated(ErrorCode.LOGIN_FAILED, "当前密码错误")
    await staff.change_own_password(session, actor, hash_password(body.new_password))


class QueryScope(BaseModel):
    institution_id: BodyId | None = Field(description="查询范围所在机构；为空表示本机构全部下级")


@router.put("/query-scope", response_model=Me)
async def set_query_scope(body: QueryScope, session: Session, actor: StaffActor) -> Me:
    """1.3 查询范围设置。"""
    await staff.set_query_scope(session, actor, body.institution_id)
    account = await staff.by_username(session, actor.name)
    assert account is not None
    return await _me(session, await staff.actor_for(session, account, actor.source))
