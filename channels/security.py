"""Passwords (argon2) and signed, expiring bearer tokens (JWT, HS256) for staff and channel clients.

A staff token names the account; its role and institution are read from the database on every request, so a role
withdrawn or an account deactivated takes effect at once rather than when the token expires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.shared.errors import DomainError, ErrorCode

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


def issue_token(secret: str, subject: str, audience: Audience, minutes: int) -> tuple[str, datetime]:
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    claims = {"sub": subject, "aud": audience, "exp": expires, "iat": datetime.now(UTC)}
    return jwt.encode(claims, secret, algorithm="HS256"), expires


def read_token(secret: str, token: str, audience: Audience) -> str:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=audience, options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated(ErrorCode.TOKEN_EXPIRED, "登录已过期，请重新登录") from error
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(ErrorCode.TOKEN_INVALID, "身份凭证无效，请重新登录") from error
    return str(claims["sub"])
