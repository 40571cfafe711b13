"""Passwords (argon2), signed, expiring bearer tokens (JWT, HS256) for staff and channel clients, and the login
rate limiter.

A staff token names the account; its role and institution are read from the database on every request, so a role
withdrawn or an account deactivated takes effect at once rather than when the token expires. Each token carries a
``jti`` (logout revokes it) and an ``iat`` with sub-second precision (a password change voids tokens issued before).
"""

from __future__ import annotations

import math
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.shared.errors import DomainError, ErrorCode
from domain.staff.login import LoginPolicy
from hub.settings import Settings

Audience = Literal["staff", "channel"]
_hasher = PasswordHasher()
# Verifying against a real hash when the user does not exist keeps the answer's timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 10


class Unauthenticated(DomainError):
    status = 401


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH or password.isdigit() or password.isalpha():
        raise DomainError(
            ErrorCode.WEAK_PASSWORD, f"密码至少{MIN_PASSWORD_LENGTH}位，且须同时包含字母和数字", field="password"
        )
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Claims:
    subject: str
    jti: str | None  # None for tokens issued before issue 13 (they expire within staff_token_minutes)
    issued_at: float | None
    expires_at: datetime


def issue_token(secret: str, subject: str, audience: Audience, minutes: int) -> tuple[str, datetime]:
    issued = time.time()
    expires = datetime.fromtimestamp(issued, UTC) + timedelta(minutes=minutes)
    claims = {"sub": subject, "aud": audience, "exp": expires, "iat": issued, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm="HS256"), expires


def read_claims(secret: str, token: str, audience: Audience) -> Claims:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=audience, options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated(ErrorCode.TOKEN_EXPIRED, "登录已过期，请重新登录") from error
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(ErrorCode.TOKEN_INVALID, "身份凭证无效，请重新登录") from error
    iat = claims.get("iat")
    return Claims(
        subject=str(claims["sub"]),
        jti=str(claims["jti"]) if "jti" in claims else None,
        issued_at=float(iat) if isinstance(iat, int | float) else None,
        expires_at=datetime.fromtimestamp(float(claims["exp"]), UTC),
    )


def read_token(secret: str, token: str, audience: Audience) -> str:
    return read_claims(secret, token, audience).subject


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        max_failures=settings.login_max_failures,
        failure_window=timedelta(minutes=settings.login_failure_window_minutes),
        lockout=timedelta(minutes=settings.login_lockout_minutes),
        password_max_age=timedelta(days=settings.password_max_age_days),
        history=settings.password_history,
    )


class TooManyAttempts(DomainError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            ErrorCode.TOO_MANY_ATTEMPTS, f"登录尝试过于频繁，请{retry_after}秒后再试", retry_after=retry_after
        )
        self.retry_after = retry_after


class LoginLimiter:
    """Sliding-window limits on login attempts per account name and per client address, held in this API process.

    Why in-process rather than in PostgreSQL: the limiter is a throttle against floods and password spraying, checked
    before any database work or argon2 hashing, so a flood costs neither a row write nor a hash per attempt; with N API
    processes behind the balancer the effective limit is N times the setting, which is acceptable because the
    per-account lock-out (domain/staff/login.py, in PostgreSQL) is the cross-process guarantee against guessing one
    account's password. A restart forgets the windows, which only ever loosens a throttle for a minute.
    """

    def __init__(self, window_seconds: float, per_account: int, per_address: int) -> None:
        self.window = window_seconds
        self.limits = {"account": per_account, "address": per_address}
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def check(self, username: str, address: str | None, now: float | None = None) -> None:
        """Count one attempt, or raise :class:`TooManyAttempts` (the attempt is then not counted)."""
        now = time.monotonic() if now is None else now
        keys = [("account", username.casefold()), *([("address", address)] if address else [])]
        waits = [self._wait(key, now) for key in keys]
        if max(waits) > 0:
            raise TooManyAttempts(math.ceil(max(waits)))
        for key in keys:
            self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > 10_000:  # forget idle keys so a spray of names cannot grow memory without end
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}

    def _wait(self, key: tuple[str, str], now: float) -> float:
        hits = self._hits.get(key)
        if hits is None:
            return 0.0
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limits[key[0]]:
            return 0.0
        return hits[0] + self.window - now
