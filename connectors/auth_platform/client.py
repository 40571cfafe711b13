"""HTTP client of the authentication platform's share endpoint (docs/auth-platform-contract.md, section 1).

Transient failures (refused or dropped connections, timeouts, 5xx) are retried a few times with exponential backoff
and jitter inside one call; what still fails raises :class:`AuthPlatformUnavailable` and the caller reschedules the
batch. A 4xx is the platform saying the batch is wrong: :class:`BatchRefused`, never retried as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter


class AuthPlatformUnavailable(Exception):
    """The platform could not be reached or answered 5xx after the retries.

    Deliberately a plain exception, not a :class:`hub.errors.TransientError`: it never reaches the hub's retry /
    park path. Only the share sender calls the platform (:func:`connectors.auth_platform.share.share_due`), outside
    any consumer group, and it handles the outage itself: it catches this and reschedules the batch's rows in
    ``face_model_share`` with its own long backoff (30 s up to an hour), so nothing is lost and no event is parked.
    Not the provincial platform's :class:`connectors.provincial.client.ProvincialPlatformUnavailable`, which is
    transient for the hub."""


class BatchRefused(Exception):
    """The platform refused the batch (4xx). ``personal_number`` names the person at fault, when it says."""

    def __init__(self, status: int, code: str, message: str, personal_number: str | None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.personal_number = personal_number


@dataclass(frozen=True)
class ShareAnswer:
    accepted: int
    duplicates: frozenset[str]


class _Transient(Exception):
    pass


class AuthPlatformClient:
    def __init__(
        self, base_url: str, token: str, *, timeout: float = 10.0, attempts: int = 3, transport: Any = None
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )
        self._attempts = attempts

    async def close(self) -> None:
        await self._http.aclose()

    async def share(self, batch_id: str, persons: Sequence[dict[str, Any]]) -> ShareAnswer:
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(_Transient),
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential_jitter(multiplier=0.5, max=5.0, jitter=0.5),
                reraise=True,
            ):
                with attempt:
                    return await self._share_once(batch_id, persons)
        except _Transient as error:
            raise AuthPlatformUnavailable(str(error)) from error
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _share_once(self, batch_id: str, persons: Sequence[dict[str, Any]]) -> ShareAnswer:
        try:
            response = await self._http.post("/v1/persons:batch", json={"batchId": batch_id, "persons": list(persons)})
        except httpx.TransportError as error:
            raise _Transient(f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            body = _json(response)
            raise BatchRefused(
                response.status_code,
                str(body.get("error", f"HTTP_{response.status_code}")),
                str(body.get("message", response.text[:200])),
                body.get("personalNumber"),
            )
        body = _json(response)
        return ShareAnswer(int(body.get("accepted", 0)), frozenset(body.get("duplicates") or ()))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
