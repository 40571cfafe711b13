"""HTTP client of a channel app's notification webhook (docs/channel-contract.md, section 3).

Each push is one JSON notification, signed like the authentication platform's face-result pushes
(connectors/auth_platform/signature.py): ``X-Signature-Timestamp`` (Unix seconds) and ``X-Signature``
(``sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``) under the app's ``signing_secret``, and an
``Idempotency-Key`` the app uses to recognise a push it already has. 2xx (or 409, "already have it") is delivered;
any other 4xx is the app refusing this push for good (:class:`PushRefused`, dead-lettered at once); 5xx, timeouts
and refused connections are transient (:class:`AppUnavailable`: retried, and they count against the breaker).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from connectors.auth_platform.signature import sign
from hub.errors import PermanentError, TransientError


class AppUnavailable(TransientError):
    """The app's webhook could not be reached, timed out or answered 5xx."""


class PushRefused(PermanentError):
    """The app answered 4xx (other than 409): this push will never be accepted as it is."""


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookClient:
    def __init__(self, *, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def push(self, url: str, secret: str, idempotency_key: str, body: bytes, client_id: str) -> None:
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Signature-Timestamp": str(timestamp),
            "X-Signature": sign(secret.encode(), timestamp, body),
            "Idempotency-Key": idempotency_key,
            "X-Hub-Client-Id": client_id,
        }
        try:
            answer = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise AppUnavailable(f"{type(error).__name__}: {error or 'no answer'} ({url})") from error
        if answer.is_success or answer.status_code == 409:
            return
        text = answer.text[:300]
        if answer.status_code >= 500 or answer.status_code == 429:
            raise AppUnavailable(f"HTTP {answer.status_code} from {url}: {text}")
        raise PushRefused(f"HTTP {answer.status_code} from {url}: {text}")
