"""Login (argon2-checked password → expiring token), logout, the caller's own profile and password, and the query
scope (1.3).

Login hardening (issue 13): attempts are rate-limited per account name and client address (429
``TOO_MANY_ATTEMPTS`` with ``Retry-After``); repeated failures lock the account (``ACCOUNT_LOCKED``); a failed
attempt is counted and audited in its own transaction, committed although the answer is a refusal. The answer to a
successful login tells the owner about failures since the last login and whether the password must be changed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from channels.deps import BodyId, Session, StaffActor, StaffLoginState, client_address, hub_of
from channels.errors import documented
from channels.security import (
    LoginLimiter,
    Unauthenticated,
    hash_password,
    issue_token,
    login_policy,
    verify_password,
)
from channels.staff.views import InstitutionView
from domain.institutions import service as institutions
from domain.shared.actor import Actor
from domain.shared.calendar import BUSINESS_TZ
from domain.shared.errors import ErrorCode
from domain.staff import login as logins
from domain.staff import service as staff
from domain.staff.login import ChangeReason, Outcome
from domain.staff.permissions import ROLE_LABELS, Permission, Role, can

router = APIRouter(prefix="/api/v1/auth", tags=["登录与个人设置"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    password_change_required: bool = Field(description="为真时该令牌只能查看本人信息、修改密码和退出")
    password_change_reason: ChangeReason | None = Field(
        description="first_login：管理员设置的初始密码；expired：密码已过期"
    )
    failed_attempts_since_last_login: int = Field(description="上次成功登录后失败的登录尝试次数")
    locked_since_last_login: bool = Field(description="上次成功登录后账号是否曾被锁定")
    previous_login_at: datetime | None = Field(description="上次成功登录时间")


class Me(BaseModel):
    username: str
    full_name: str
    role: str | None
    role_label: str
    institution: InstitutionView
    query_scope: InstitutionView | None
    permissions: list[str]
    password_change_required: bool
    password_change_reason: ChangeReason | None
    password_expires_at: datetime | None


def _limiter(request: Request) -> LoginLimiter:
    """The API process's one login limiter, made on first use (it lives as long as the application)."""
    limiter: LoginLimiter | None = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        settings = hub_of(request).settings
        limiter = LoginLimiter(
            settings.login_rate_window_seconds, settings.login_rate_per_account, settings.login_rate_per_address
        )
        request.app.state.login_limiter = limiter
    return limiter


def _locked(until: datetime | None) -> Unauthenticated:
    shown = until.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M") if until else "安全管理员解锁"
    return Unauthenticated(
        ErrorCode.ACCOUNT_LOCKED,
        f"账号因连续登录失败已被锁定，将于 {shown} 自动解锁，或请联系安全管理员解锁",
        locked_until=until,
    )


@router.post("/login", response_model=Token, responses=documented(401, 422, 429))
async def login(body: Login, request: Request) -> Token:
    """登录。连续失败将锁定账号（ACCOUNT_LOCKED），过于频繁将被限流（429 TOO_MANY_ATTEMPTS，见 Retry-After）。"""
    address = client_address(request)
    _limiter(request).check(body.username, address)
    hub, now = hub_of(request), datetime.now(UTC)
    settings = hub.settings
    async with hub.sessions() as session, session.begin():
        account = await staff.by_username(session, body.username)
        password_ok = verify_password(account.password_hash if account else None, body.password)
        actor = await staff.actor_for(session, account, address) if account else None
        previous_login = account.last_login_at if account else None
        result = await logins.attempt(
            session,
            account,
            body.username,
            password_ok=password_ok,
            policy=login_policy(settings),
            now=now,
            actor=actor or Actor(name="anonymous", kind="staff", source=address),
        )
    if result.outcome is Outcome.LOCKED:
        raise _locked(result.locked_until)
    if result.outcome is Outcome.DISABLED:
        raise Unauthenticated(ErrorCode.ACCOUNT_DISABLED, "账号已停用，请联系系统管理员")
    if result.outcome is not Outcome.OK or account is None:
        raise Unauthenticated(ErrorCode.LOGIN_FAILED, "用户名或密码错误")
    token, expires = issue_token(settings.secret_key, account.username, "staff", settings.staff_token_minutes)
    return Token(
        access_token=token,
        expires_at=expires,
        password_change_required=result.change_reason is not None,
        password_change_reason=result.change_reason,
        failed_attempts_since_last_login=result.failures_since_last_login,
        locked_since_last_login=result.locked_since_last_login,
        previous_login_at=previous_login,
    )


@router.post("/logout", status_code=204)
async def logout(session: Session, state: StaffLoginState) -> None:
    """退出登录：本令牌立即失效。"""
    await logins.revoke(session, state.actor, str(state.claims.jti), state.claims.expires_at, datetime.now(UTC))


async def _me(session: Session, actor: Actor, reason: ChangeReason | None, max_age: timedelta) -> Me:
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
        permissions=[p.value for p in Permission if can(actor, p)] if reason is None else [],
        password_change_required=reason is not None,
        password_change_reason=reason,
        password_expires_at=account.password_changed_at + max_age if account.password_changed_at else None,
    )


@router.get("/me", response_model=Me)
async def me(request: Request, session: Session, state: StaffLoginState) -> Me:
    """本人信息。password_change_required 为真时，除本接口、修改密码和退出外，
    其他接口均返回 403 PASSWORD_CHANGE_REQUIRED。"""
    max_age = login_policy(hub_of(request).settings).password_max_age
    return await _me(session, state.actor, state.change_reason, max_age)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


@router.post("/password", status_code=204)
async def change_password(body: PasswordChange, request: Request, session: Session, state: StaffLoginState) -> None:
    """修改本人密码。成功后此前签发的所有令牌（包括本次使用的）失效，须用新密码重新登录。"""
    if not verify_password(state.account.password_hash, body.current_password):
        raise Unauthenticated(ErrorCode.LOGIN_FAILED, "当前密码错误")
    new_hash = hash_password(body.new_password)
    await staff.change_own_password(
        session,
        state.actor,
        new_hash,
        matches=lambda old: verify_password(old, body.new_password),
        policy=login_policy(hub_of(request).settings),
    )


class QueryScope(BaseModel):
    institution_id: BodyId | None = Field(description="查询范围所在机构；为空表示本机构全部下级")


@router.put("/query-scope", response_model=Me)
async def set_query_scope(body: QueryScope, request: Request, session: Session, actor: StaffActor) -> Me:
    """1.3 查询范围设置。"""
    await staff.set_query_scope(session, actor, body.institution_id)
    account = await staff.by_username(session, actor.name)
    assert account is not None
    max_age = login_policy(hub_of(request).settings).password_max_age
    return await _me(session, await staff.actor_for(session, account, actor.source), None, max_age)
