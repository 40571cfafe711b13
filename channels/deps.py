"""FastAPI dependencies: one transaction per request, the authenticated actor, the unit of work.

The session dependency is function-scoped: its transaction commits when the endpoint returns and before the answer
is sent, so a client never sees success for a change that did not commit.

A staff token is checked on every request against the account (active), the revoked tokens (logout) and the
account's ``tokens_valid_after`` (a password change or reset). An account that must change its password
(``must_change_password`` or expired) is a :data:`StaffLoginState` for ``GET /auth/me``, ``POST /auth/password`` and
``POST /auth/logout`` only; :data:`StaffActor`, which every other staff endpoint takes, refuses it with 403
``PASSWORD_CHANGE_REQUIRED``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.security import Claims, Unauthenticated, login_policy, read_claims, read_token
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode, Forbidden
from domain.shared.uow import UnitOfWork
from domain.staff import login as logins
from domain.staff import service as staff
from domain.staff.login import ChangeReason
from domain.staff.models import ChannelClient, StaffAccount
from hub.bootstrap import Hub

# Database ids are bigint: bounding them here turns an absurd id into a 422 instead of a database overflow.
MAX_ID = 2**63 - 1
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
ApplicationId = Annotated[str, Path(min_length=1, max_length=64)]

_bearer = HTTPBearer(auto_error=False, description="登录后获得的访问令牌")


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with hub_of(request).sessions() as session, session.begin():
        yield session


Session = Annotated[AsyncSession, Depends(_session, scope="function")]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise Unauthenticated(ErrorCode.NOT_LOGGED_IN, "请先登录")
    return credentials.credentials


@dataclass(frozen=True)
class StaffLogin:
    """The authenticated account behind a staff request, its actor and token, and why it must change its password."""

    actor: Actor
    account: StaffAccount
    claims: Claims
    change_reason: ChangeReason | None


async def _staff_login(request: Request, session: Session, credentials: Bearer) -> StaffLogin:
    settings = hub_of(request).settings
    claims = read_claims(settings.secret_key, _token(credentials), "staff")
    if claims.jti is None or claims.issued_at is None:
        raise Unauthenticated(ErrorCode.TOKEN_INVALID, "身份凭证无效，请重新登录")
    account = await staff.by_username(session, claims.subject)
    if account is None or not account.active:
        raise Unauthenticated(ErrorCode.ACCOUNT_DISABLED, "账号不存在或已停用")
    valid_after = account.tokens_valid_after
    if (valid_after is not None and claims.issued_at < valid_after.timestamp()) or await logins.is_revoked(
        session, claims.jti
    ):
        raise Unauthenticated(ErrorCode.TOKEN_REVOKED, "登录已失效（已退出或密码已修改），请重新登录")
    actor = await staff.actor_for(session, account, client_address(request))
    reason = logins.change_reason(account, login_policy(settings), datetime.now(UTC))
    return StaffLogin(actor, account, claims, reason)


StaffLoginState = Annotated[StaffLogin, Depends(_staff_login)]


async def _staff_actor(state: StaffLoginState) -> Actor:
    if state.change_reason is not None:
        why = "首次登录须修改初始密码" if state.change_reason is ChangeReason.FIRST_LOGIN else "密码已过期"
        raise Forbidden(ErrorCode.PASSWORD_CHANGE_REQUIRED, f"{why}，请先修改密码", reason=state.change_reason.value)
    return state.actor


async def _channel_actor(request: Request, session: Session, credentials: Bearer) -> Actor:
    client_id = read_token(hub_of(request).settings.secret_key, _token(credentials), "channel")
    client = (
        await session.execute(select(ChannelClient).where(col(ChannelClient.client_id) == client_id))
    ).scalar_one_or_none()
    if client is None or not client.active:
        raise Unauthenticated(ErrorCode.CLIENT_DISABLED, "渠道客户端不存在或已停用")
    return Actor(name=f"channel:{client_id}", kind="channel", role="channel", source=client_address(request))


StaffActor = Annotated[Actor, Depends(_staff_actor)]
ChannelActor = Annotated[Actor, Depends(_channel_actor)]


def _staff_work(request: Request, session: Session) -> UnitOfWork:
    return hub_of(request).unit_of_work(session, "staff-api")


def _channel_work(request: Request, session: Session) -> UnitOfWork:
    return hub_of(request).unit_of_work(session, "channel-api")


StaffWork = Annotated[UnitOfWork, Depends(_staff_work)]
ChannelWork = Annotated[UnitOfWork, Depends(_channel_work)]
