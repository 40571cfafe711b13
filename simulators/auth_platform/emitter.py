"""Pushing signed face-recognition results to the hub's webhook, as the authentication platform does.

Function point 4.3/2.6 (issue 5): the platform pushes one result per request to
``POST {hub}/api/v1/auth-platform/face-results``, signed with HMAC-SHA256 over ``<timestamp>.<raw body>``
(``connectors.auth_platform.signature.sign``). The emitter can also send deliberately bad pushes (wrong secret,
stale timestamp, duplicate resultId, malformed body) so tests and benchmarks can watch the hub refuse them. Like
the real platform it retries 5xx answers and transport errors with a short backoff, and never retries a 4xx.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from connectors.auth_platform.signature import sign

logger = logging.getLogger(__name__)

CHINA_TZ = timezone(timedelta(hours=8), name="Asia/Shanghai")
BAD_KINDS = ("bad_signature", "stale", "duplicate", "malformed")
STALE_SECONDS = 600
WRONG_SECRET = b"not-the-shared-secret"
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_MAX_SECONDS = 1.0
TRANSPORT_ERROR_STATUS = 0
TRANSPORT_ERROR_CODE = "TRANSPORT_ERROR"
# Used only when bad pushes are asked for without any result to base them on.
PLACEHOLDER_PERSONAL_NUMBER = "1301000000000"
PLACEHOLDER_ID_NUMBER = "130102195001010033"


def _as_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def new_result_id(when: datetime | None = None) -> str:
    """A result id in the platform's style: ``FACE-<yyyymmdd>-<unique>``."""
    day = (when or datetime.now(CHINA_TZ)).astimezone(CHINA_TZ).strftime("%Y%m%d")
    return f"FACE-{day}-{uuid.uuid4().hex[:16].upper()}"


def make_result(
    personal_number: str,
    id_number: str,
    *,
    passed: bool = True,
    certified_at: datetime | str | None = None,
    result_id: str | None = None,
) -> dict[str, Any]:
    """One face-recognition result, shaped exactly as the contract's webhook body."""
    if certified_at is None:
        when = datetime.now(CHINA_TZ).replace(microsecond=0)
        certified = when.isoformat()
    elif isinstance(certified_at, datetime):
        when = certified_at if certified_at.tzinfo else certified_at.replace(tzinfo=CHINA_TZ)
        certified = when.isoformat()
    else:
        when = datetime.fromisoformat(certified_at)
        certified = certified_at
    score = random.uniform(0.85, 0.99) if passed else random.uniform(0.20, 0.60)
    return {
        "resultId": result_id or new_result_id(when),
        "personalNumber": personal_number,
        "idNumber": id_number,
        "certifiedAt": certified,
        "result": "passed" if passed else "failed",
        "score": round(score, 2),
        "deviceId": f"app-{uuid.uuid4().hex[:12]}",
    }


def encode(result: Mapping[str, Any]) -> bytes:
    """The raw body the platform sends for a result (compact UTF-8 JSON)."""
    return json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode()


def signed_request(secret: str | bytes, body_bytes: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers of a signed push of ``body_bytes`` (timestamp defaults to now)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "X-Signature-Timestamp": str(ts),
        "X-Signature": sign(_as_bytes(secret), ts, body_bytes),
    }


@dataclass
class EmitReport:
    """What happened to the pushes: final answers by HTTP status and body ``code``, and per-request latencies.

    ``by_kind`` maps each kind of push (``good`` or a bad kind) to the counter of final codes it got, so callers can
    check that every bad kind was refused as expected. A push that never got an answer counts as status 0 /
    ``TRANSPORT_ERROR``."""

    sent: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    retries: int = 0
    planned: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (latencies summarised, not listed)."""
        lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None

        return {
            "planned": self.planned,
            "sent": self.sent,
            "retries": self.retries,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_code": dict(sorted(self.by_code.items())),
            "by_kind": {kind: dict(sorted(codes.items())) for kind, codes in sorted(self.by_kind.items())},
            "latency_ms": {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99), "max": pct(1.0)},
        }


@dataclass(frozen=True)
class _Push:
    kind: str
    body: bytes
    secret: bytes
    stale: bool = False


def _malformed(result: Mapping[str, Any], index: int) -> bytes:
    """Alternately a body that is not JSON at all and one missing the required ``result`` field."""
    if index % 2 == 0:
        return encode(result)[:-7] + b',"score":'
    broken = {key: value for key, value in result.items() if key != "result"}
    broken["resultId"] = new_result_id()
    return encode(broken)


def _fresh_copy(result: Mapping[str, Any]) -> dict[str, Any]:
    copy = dict(result)
    copy["resultId"] = new_result_id()
    return copy


def _first_phase(results: Sequence[Mapping[str, Any]], secret: bytes, bad: Mapping[str, int]) -> list[_Push]:
    """Good pushes with the bad ones (except duplicates) spread evenly among them."""
    templates: Sequence[Mapping[str, Any]] = results or [
        make_result(PLACEHOLDER_PERSONAL_NUMBER, PLACEHOLDER_ID_NUMBER)
    ]
    extras: list[_Push] = []
    for i in range(bad.get("bad_signature", 0)):
        extras.append(_Push("bad_signature", encode(_fresh_copy(templates[i % len(templates)])), WRONG_SECRET))
    for i in range(bad.get("stale", 0)):
        extras.append(_Push("stale", encode(_fresh_copy(templates[i % len(templates)])), secret, stale=True))
    for i in range(bad.get("malformed", 0)):
        extras.append(_Push("malformed", _malformed(templates[i % len(templates)], i), secret))
    random.shuffle(extras)
    good = [_Push("good", encode(r), secret) for r in results]
    if not extras:
        return good
    if not good:
        return extras
    pushes: list[_Push] = []
    step = (len(good) + len(extras)) / len(extras)
    slots = {int(i * step + step / 2) for i in range(len(extras))}
    good_iter, extra_iter = iter(good), iter(extras)
    for position in range(len(good) + len(extras)):
        source = extra_iter if position in slots else good_iter
        item = next(source, None) or next(extra_iter if source is good_iter else good_iter)
        pushes.append(item)
    return pushes


async def _send(
    client: httpx.AsyncClient, url: str, push: _Push, report: EmitReport, *, max_attempts: int = MAX_ATTEMPTS
) -> None:
    status, code = TRANSPORT_ERROR_STATUS, TRANSPORT_ERROR_CODE
    for attempt in range(max_attempts):
        if attempt:
            report.retries += 1
            await asyncio.sleep(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))
        timestamp = int(time.time()) - (STALE_SECONDS if push.stale else 0)
        headers = signed_request(push.secret, push.body, timestamp=timestamp)
        started = time.perf_counter()
        try:
            response = await client.post(url, content=push.body, headers=headers)
        except httpx.TransportError as exc:
            report.latencies.append(time.perf_counter() - started)
            status, code = TRANSPORT_ERROR_STATUS, TRANSPORT_ERROR_CODE
            logger.debug("push %s: transport error %r (attempt %d)", push.kind, exc, attempt + 1)
            continue
        report.latencies.append(time.perf_counter() - started)
        status, code = response.status_code, _code_of(response)
        if status < 500:
            break
        logger.debug("push %s: %d %s (attempt %d)", push.kind, status, code, attempt + 1)
    report.sent += 1
    report.by_status[status] += 1
    report.by_code[code] += 1
    report.by_kind.setdefault(push.kind, Counter())[code] += 1


def _code_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP_{response.status_code}"
    code = body.get("code") if isinstance(body, dict) else None
    return str(code) if code else f"HTTP_{response.status_code}"


async def _run_phase(
    client: httpx.AsyncClient,
    url: str,
    pushes: Sequence[_Push],
    report: EmitReport,
    *,
    rate: float | None,
    concurrency: int,
    clock: list[int],
    started: float,
) -> None:
    semaphore = asyncio.Semaphore(max(1, concurrency))
    tasks: set[asyncio.Task[None]] = set()
    errors: list[BaseException] = []

    async def one(push: _Push) -> None:
        try:
            await _send(client, url, push, report)
        finally:
            semaphore.release()

    def finished(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            errors.append(error)

    try:
        for push in pushes:
            if errors:
                break
            if rate:
                delay = started + clock[0] / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            clock[0] += 1
            await semaphore.acquire()
            task = asyncio.create_task(one(push))
            tasks.add(task)
            task.add_done_callback(finished)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    except asyncio.CancelledError:
        for task in list(tasks):
            task.cancel()
        raise
    if errors:
        raise errors[0]


async def emit(
    url: str,
    secret: str | bytes,
    results: Sequence[Mapping[str, Any]],
    *,
    rate: float | None = None,
    concurrency: int = 32,
    bad: Mapping[str, int] | None = None,
    client: httpx.AsyncClient | None = None,
    report: EmitReport | None = None,
) -> EmitReport:
    """Push every result (and the requested bad pushes) to ``url``; return what the hub answered.

    ``rate`` is pushes per second over the whole run (None or 0 = as fast as ``concurrency`` allows). ``bad`` asks for
    extra pushes of each kind: ``bad_signature`` (signed with a wrong secret), ``stale`` (correctly signed, timestamp
    ten minutes old), ``duplicate`` (an already-sent result's exact body re-sent, freshly signed, after the good ones)
    and ``malformed`` (correctly signed, not JSON or missing a required field). Pass ``report`` to watch progress."""
    bad = dict(bad or {})
    unknown = set(bad) - set(BAD_KINDS)
    if unknown:
        raise ValueError(f"unknown bad kinds: {sorted(unknown)}")
    key = _as_bytes(secret)
    report = report if report is not None else EmitReport()
    first = _first_phase(results, key, bad)
    duplicates_wanted = bad.get("duplicate", 0)
    report.planned += len(first) + duplicates_wanted
    own_client = client is None
    http = client or httpx.AsyncClient(
        timeout=httpx.Timeout(10.0), limits=httpx.Limits(max_connections=max(1, concurrency))
    )
    clock = [0]
    started = time.monotonic()
    try:
        await _run_phase(http, url, first, report, rate=rate, concurrency=concurrency, clock=clock, started=started)
        if duplicates_wanted:
            originals = [push.body for push in first if push.kind == "good"]
            if not originals:
                # Nothing good was sent: send one so the duplicates have something to duplicate.
                template = make_result(PLACEHOLDER_PERSONAL_NUMBER, PLACEHOLDER_ID_NUMBER)
                originals = [encode(template)]
                report.planned += 1
                await _run_phase(
                    http,
                    url,
                    [_Push("good", originals[0], key)],
                    report,
                    rate=rate,
                    concurrency=concurrency,
                    clock=clock,
                    started=started,
                )
            dupes = [_Push("duplicate", originals[i % len(originals)], key) for i in range(duplicates_wanted)]
            await _run_phase(http, url, dupes, report, rate=rate, concurrency=concurrency, clock=clock, started=started)
    finally:
        if own_client:
            await http.aclose()
    return report
