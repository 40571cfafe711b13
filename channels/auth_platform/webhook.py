"""The authentication platform's face-result webhook (issue 5; docs/auth-platform-contract.md).

A push is answered 202 only once its ``certification.recorded`` event is acknowledged by Kafka (acks=all), so the
platform may safely send again whatever it did not see answered. Before that: the signature and its freshness, the
replay check on the result id, the body, and the person (known to the registry, with that ID number). A refused push
is counted and logged and leaves nothing behind; the registry changes only when the worker applies the event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from channels.deps import Session, hub_of
from channels.errors import ErrorBody, error
from connectors.auth_platform.mapping import FaceResult, ResultRefused, parse_result
from connectors.auth_platform.models import FaceResultReceipt
from connectors.auth_platform.signature import SignatureRefused, SignedPush, verify
from domain.retirees.models import Retiree
from domain.shared.errors import ErrorCode
from domain.shared.event_types import EventType
from hub import metrics
from hub.bootstrap import Hub
from hub.envelope import Envelope

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/auth-platform", tags=["认证平台"])
WEBHOOK = "face_results"
PUBLISH_TIMEOUT_SECONDS = 10.0
_connect_lock = asyncio.Lock()


def _refuse(status: int, code: ErrorCode, message: str, **detail: str) -> JSONResponse:
    metrics.webhook_pushes.labels(webhook=WEBHOOK, outcome=code).inc()
    log.warning("face-result push refused: %s %s %s", code, message, detail or "")
    return error(status, code, message, detail)


async def _make_durable(hub: Hub, result: FaceResult) -> None:
    """Publish the result's event and wait for Kafka's acknowledgement."""
    async with _connect_lock:  # the API connects to Kafka on the first push, not at start-up
        await hub.broker.connect()
    envelope = Envelope.new(
        EventType.CERTIFICATION_RECORDED,
        result.personal_number,
        result.event_data(),
        source=f"{hub.settings.event_source}/auth-platform",
        time=result.certified_at,
    )
    envelope = replace(envelope, id=result.event_id, correlation_id=result.event_id)
    await asyncio.wait_for(hub.publisher.publish_events([envelope]), PUBLISH_TIMEOUT_SECONDS)


@router.post(
    "/face-results",
    status_code=202,
    summary="认证平台推送人脸识别认证结果",
    responses={
        401: {"model": ErrorBody},
        409: {"model": ErrorBody},
        422: {"model": ErrorBody},
        503: {"model": ErrorBody},
    },
)
async def receive_face_result(request: Request, session: Session) -> JSONResponse:
    hub = hub_of(request)
    raw = await request.body()
    push = SignedPush(request.headers.get("X-Signature-Timestamp"), request.headers.get("X-Signature"), raw)
    try:
        verify(
            hub.settings.auth_platform_webhook_secret.encode(),
            push,
            now=time.time(),
            tolerance_seconds=hub.settings.webhook_tolerance_seconds,
        )
    except SignatureRefused as refused:
        return _refuse(401, refused.code, refused.message)
    try:
        result = parse_result(raw, now=datetime.now(UTC))
    except ResultRefused as refused:
        return _refuse(422, ErrorCode.BODY_INVALID, refused.message, field=refused.field)

    seen = await session.get(FaceResultReceipt, result.result_id)
    if seen is not None:
        return _refuse(
            409,
            ErrorCode.REPLAY,
            f"认证结果 {result.result_id} 已于 {seen.received_at:%Y-%m-%d %H:%M:%S} 接收，无需重复推送",
        )
    id_number = (
        await session.execute(
            select(col(Retiree.id_number)).where(col(Retiree.personal_number) == result.personal_number)
        )
    ).scalar_one_or_none()
    if id_number is None:
        return _refuse(
            422, ErrorCode.PERSON_UNKNOWN, f"个人编号 {result.personal_number} 不是本市退休人员", field="personalNumber"
        )
    if id_number != result.id_number:
        return _refuse(422, ErrorCode.ID_NUMBER_MISMATCH, "身份证号码与个人编号不是同一人", field="idNumber")

    try:
        await _make_durable(hub, result)
    except Exception as failure:  # Kafka unreachable or too slow: the platform keeps the result and retries
        log.error("face result %s not made durable: %s: %s", result.result_id, type(failure).__name__, failure)
        metrics.webhook_pushes.labels(webhook=WEBHOOK, outcome="UNAVAILABLE").inc()
        return error(503, ErrorCode.UNAVAILABLE, "系统暂时无法接收认证结果，请稍后重试")

    try:
        async with session.begin_nested():  # committed with the request's transaction
            await session.execute(
                insert(FaceResultReceipt)
                .values(result_id=result.result_id, personal_number=result.personal_number, event_id=result.event_id)
                .on_conflict_do_nothing()
            )
    except Exception as failure:  # the event is on Kafka and its id is the result's: a replay would be a duplicate
        log.warning("face result %s is durable but its receipt was not written: %s", result.result_id, failure)
    metrics.webhook_pushes.labels(webhook=WEBHOOK, outcome="ACCEPTED").inc()
    return JSONResponse({"code": "ACCEPTED", "message": "已接收", "eventId": result.event_id}, status_code=202)
