"""Who calls the channel API (issue 20, docs/channel-contract.md): an app, and the retiree it acts for.

The apps log their users in themselves (the city's real-name login). To act for one, the app signs a short-lived
**retiree assertion** — a JWT, HS256 under the app's own ``signing_secret``: ``iss`` the app's client id, ``aud``
``retiree-hub``, ``sub`` the retiree's ID number, ``iat``/``exp`` at most ``channel_assertion_max_seconds`` apart,
and a unique ``jti`` — and exchanges it once (``POST /channel/v1/retiree-sessions``, under its client token) for a
**retiree token**: a hub-signed JWT with audience ``retiree`` naming the retiree's personal number and the app. Every
retiree-level endpoint takes that token and answers about that retiree only. A forged assertion fails the signature;
a replayed one finds its ``jti`` spent (domain/channel_access/service.py).

Every channel call — client-level or retiree-level — checks the app is still active, counts against the app's own
per-minute limit (``channel_client.rate_limit_per_minute``), and is audited with the client id.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from sqlalchemy import select
from sqlmodel import col

from channels.deps import Bearer, Session, client_address, hub_of
from channels.errors import ErrorBody
from channels.security import Unauthenticated, read_token
from domain.audit import trail
from domain.retirees.idnumber import IdNumber, InvalidIdNumber
from domain.retirees.models import Retiree
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode, Forbidden
from domain.staff.models import ChannelClient

ASSERTION_AUDIENCE = "retiree-hub"
RETIREE_AUDIENCE = "retiree"
CLOCK_SKEW_SECONDS = 60


class RateLimited(DomainError):
    status = 429


class ClientRateLimiter:
    """A sliding one-minute window of calls per channel client, held in this API process (like the login limiter,
    channels/security.py: with N API processes the effective limit is N times the setting)."""

    def __init__(self, window_seconds: float = 60.0) -> None:
        self.window = window_seconds
        self._calls: dict[str, deque[float]] = {}

    def check(self, client_id: str, limit: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        calls = self._calls.setdefault(client_id, deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(calls) >= limit:
            retry_after = max(1, int(calls[0] + self.window - now) + 1)
            raise RateLimited(
                ErrorCode.CLIENT_RATE_LIMITED,
                f"调用过于频繁（每分钟不超过{limit}次），请{retry_after}秒后再试",
                retry_after=retry_after,
            )
        calls.append(now)


def rate_limiter(request: Request) -> ClientRateLimiter:
    limiter: ClientRateLimiter | None = getattr(request.app.state, "channel_rate_limiter", None)
    if limiter is None:
        limiter = ClientRateLimiter()
        request.app.state.channel_rate_limiter = limiter
    return limiter


@dataclass(frozen=True)
class VerifiedAssertion:
    id_number: str
    jti: str
    expires_at: datetime


def verify_assertion(assertion: str, client: ChannelClient, *, max_seconds: int, now: float) -> VerifiedAssertion:
    """The assertion's claims if ``client`` signed it and it is fresh; :class:`Unauthenticated` otherwise."""
    if not client.signing_secret:
        raise Unauthenticated(ErrorCode.ASSERTION_INVALID, "该渠道客户端未配置签名密钥，不能代表退休人员调用")
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            client.signing_secret,
            algorithms=["HS256"],
            audience=ASSERTION_AUDIENCE,
            issuer=client.client_id,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "sub", "iat", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated(ErrorCode.ASSERTION_INVALID, "身份断言已过期，请重新生成") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated(ErrorCode.ASSERTION_INVALID, "身份断言无效（签名、签发方或格式不符）") from None
    issued, expires = float(claims["iat"]), float(claims["exp"])
    if expires - issued > max_seconds or issued > now + CLOCK_SKEW_SECONDS:
        raise Unauthenticated(ErrorCode.ASSERTION_INVALID, f"身份断言的有效期不得超过{max_seconds}秒")
    jti = str(claims["jti"])
    if not 8 <= len(jti) <= 64:
        raise Unauthenticated(ErrorCode.ASSERTION_INVALID, "身份断言的 jti 应为 8 至 64 个字符")
    return VerifiedAssertion(str(claims["sub"]), jti, datetime.fromtimestamp(expires + CLOCK_SKEW_SECONDS, UTC))


def issue_retiree_token(secret: str, personal_number: str, client_id: str, minutes: int) -> tuple[str, datetime]:
    issued = time.time()
    expires = datetime.fromtimestamp(issued, UTC) + timedelta(minutes=minutes)
    claims = {"sub": personal_number, "cid": client_id, "aud": RETIREE_AUDIENCE, "iat": issued, "exp": expires}
    return jwt.encode(claims, secret, algorithm="HS256"), expires


@dataclass(frozen=True)
class RetireeCaller:
    """An app acting for one retiree: the actor (``channel:<client id>``) and the retiree."""

    actor: Actor
    client_id: str
    retiree: Retiree

    @property
    def retiree_id(self) -> int:
        assert self.retiree.id is not None
        return self.retiree.id


async def active_client(session: Session, client_id: str) -> ChannelClient:
    client = (
        await session.execute(select(ChannelClient).where(col(ChannelClient.client_id) == client_id))
    ).scalar_one_or_none()
    if client is None or not client.active:
        raise Unauthenticated(ErrorCode.CLIENT_DISABLED, "渠道客户端不存在或已停用")
    return client


async def admit(request: Request, session: Session, client: ChannelClient, retiree_id: int | None) -> Actor:
    """The per-client limit and the audit entry every channel call gets; the caller's actor."""
    rate_limiter(request).check(client.client_id, client.rate_limit_per_minute)
    actor = Actor(name=f"channel:{client.client_id}", kind="channel", role="channel", source=client_address(request))
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    await trail.record(session, actor, "channel.call", retiree_id=retiree_id, target=f"{request.method} {path}")
    return actor


async def _retiree_caller(request: Request, session: Session, credentials: Bearer) -> RetireeCaller:
    if credentials is None:
        raise Unauthenticated(ErrorCode.NOT_LOGGED_IN, "请先取得退休人员访问令牌（POST /channel/v1/retiree-sessions）")
    try:
        claims = jwt.decode(
            credentials.credentials,
            hub_of(request).settings.secret_key,
            algorithms=["HS256"],
            audience=RETIREE_AUDIENCE,
            options={"require": ["sub", "cid", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated(ErrorCode.TOKEN_EXPIRED, "退休人员访问令牌已过期，请重新取得") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated(ErrorCode.TOKEN_INVALID, "退休人员访问令牌无效") from None
    client = await active_client(session, str(claims["cid"]))
    retiree = (
        await session.execute(select(Retiree).where(col(Retiree.personal_number) == str(claims["sub"])))
    ).scalar_one_or_none()
    if retiree is None or retiree.id is None:
        raise Unauthenticated(ErrorCode.TOKEN_INVALID, "退休人员访问令牌无效")
    actor = await admit(request, session, client, retiree.id)
    return RetireeCaller(actor, client.client_id, retiree)


RetireeActor = Annotated[RetireeCaller, Depends(_retiree_caller)]


@dataclass(frozen=True)
class ClientCall:
    """A client-level call (the app's own token): the app, checked active, within its limit, audited."""

    actor: Actor
    client: ChannelClient


async def _client_call(request: Request, session: Session, credentials: Bearer) -> ClientCall:
    if credentials is None:
        raise Unauthenticated(ErrorCode.NOT_LOGGED_IN, "请先登录")
    client_id = read_token(hub_of(request).settings.secret_key, credentials.credentials, "channel")
    client = await active_client(session, client_id)
    return ClientCall(await admit(request, session, client, None), client)


async def _client_actor(call: Annotated[ClientCall, Depends(_client_call)]) -> Actor:
    return call.actor


AppCall = Annotated[ClientCall, Depends(_client_call)]
ClientActor = Annotated[Actor, Depends(_client_actor)]


def require_same_retiree(caller: RetireeCaller, id_number: str) -> None:
    """A body naming a retiree must name the one the token vouches for (a malformed ID number is said to be
    malformed first: that tells nothing about anyone)."""
    try:
        number = IdNumber.parse(id_number).value
    except InvalidIdNumber as error:
        raise DomainError(error.code, error.message, field="id_number") from error
    if number != caller.retiree.id_number:
        raise Forbidden(ErrorCode.RETIREE_NOT_VOUCHED, "只能办理本人（当前登录的退休人员）的业务", field="id_number")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# What every channel operation may answer besides its own (docs/channel-contract.md): ``APIRouter(responses=…)``.
CHANNEL_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error(
        "未登录或令牌无效、过期（NOT_LOGGED_IN、TOKEN_INVALID、TOKEN_EXPIRED），应用已停用（CLIENT_DISABLED）、"
        "认证失败（CLIENT_AUTH_FAILED），或身份断言无效、已使用（ASSERTION_INVALID、ASSERTION_REPLAYED）"
    ),
    403: _error("请求中的人员不是令牌所代表的退休人员本人（RETIREE_NOT_VOUCHED）"),
    429: _error("超过本应用每分钟的调用上限（CLIENT_RATE_LIMITED），detail.retry_after 给出等待秒数"),
}
