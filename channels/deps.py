"""FastAPI dependencies: one transaction per request, the authenticated actor, the unit of work.

The session dependency is function-scoped: its transaction commits when the endpoint returns and before the answer
is sent, so a client never sees success for a change that did not commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.security import Unauthenticated, read_token
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode
from domain.shared.uow import UnitOfWork
from domain.staff import service as staff
from domain.staff.models import ChannelClient
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


async def _staff_actor(request: Request, session: Session, credentials: Bearer) -> Actor:
    username = read_token(hub_of(request).settings.secret_key, _token(credentials), "staff")
    account = await staff.by_username(session, username)
    if account is None or not account.active:
        raise Unauthenticated(ErrorCode.ACCOUNT_DISABLED, "账号不存在或已停用")
    return await staff.actor_for(session, account, client_address(request))


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
