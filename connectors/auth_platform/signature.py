"""Verifying the authentication platform's signed pushes (face-recognition results).

The platform signs each push with HMAC-SHA256 under a secret shared with us, over ``<timestamp>.<raw body>``,
and sends ``X-Signature-Timestamp`` (Unix seconds) and ``X-Signature`` (``sha256=<hex>``). Signing the timestamp
with the body means an old push cannot be re-sent with a fresh timestamp; refusing timestamps more than five minutes
from our clock bounds how long a captured push stays usable, and the replay check on the result id (made where the
database is) covers those five minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from domain.shared.errors import ErrorCode

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureRefused(Exception):
    """The push is not provably the platform's, or not fresh. ``code`` is stable; ``message`` is for staff."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The header value the platform sends (also what the simulator uses to sign)."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


@dataclass(frozen=True)
class SignedPush:
    timestamp: str | None
    signature: str | None
    body: bytes


def verify(secret: bytes, push: SignedPush, *, now: float, tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> int:
    """Return the push's timestamp if the signature is the platform's and the timestamp is fresh; raise otherwise.

    The signature is compared in constant time, and checked before the timestamp so that a forger learns nothing
    about our clock."""
    if not push.timestamp or not push.signature:
        raise SignatureRefused(ErrorCode.SIGNATURE_MISSING, "缺少签名或时间戳请求头")
    try:
        timestamp = int(push.timestamp)
    except ValueError:
        raise SignatureRefused(ErrorCode.TIMESTAMP_INVALID, "时间戳格式错误，应为 Unix 秒数") from None
    if not hmac.compare_digest(sign(secret, timestamp, push.body), push.signature.strip()):
        raise SignatureRefused(ErrorCode.SIGNATURE_INVALID, "签名校验失败")
    if abs(now - timestamp) > tolerance_seconds:
        raise SignatureRefused(ErrorCode.TIMESTAMP_STALE, f"时间戳与服务器时间相差超过 {tolerance_seconds // 60} 分钟")
    return timestamp
