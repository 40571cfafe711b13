"""The channel-app simulator's HTTP face (issue 20; docs/channel-contract.md, section 3).

Webhook: ``POST /apps/{client_id}/notifications`` — verifies ``X-Signature`` / ``X-Signature-Timestamp`` under
that app's secret (401 otherwise), keeps each ``Idempotency-Key`` once (a repeat is answered 200 ``duplicate`` and
counted, never stored twice) and answers 200. Admin JSON endpoints for tests and benchmarks: ``GET /admin/received``
(what arrived, in arrival order, filterable by app and personal number), ``GET /admin/stats``, ``PUT``/``DELETE
/admin/faults`` (``latency_ms``, ``error_rate`` of 500 answers, ``down``: 503 to everything), ``PUT
/admin/clients/{client_id}`` (register an app's secret), ``POST /admin/reset``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from connectors.auth_platform.signature import SignatureRefused, SignedPush, verify
from simulators.channel_app.config import ChannelAppSettings

logger = logging.getLogger("simulators.channel_app")


class Faults(BaseModel):
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    down: bool = False


class ClientSecret(BaseModel):
    secret: str = Field(min_length=8, max_length=256)


@dataclass
class State:
    secrets: dict[str, str]
    faults: Faults = field(default_factory=Faults)
    received: list[dict[str, Any]] = field(default_factory=list)
    keys: set[tuple[str, str]] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    down_since: float | None = None

    def count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def create_app(settings: ChannelAppSettings | None = None) -> FastAPI:
    settings = settings or ChannelAppSettings()
    state = State(settings.secret_map())
    app = FastAPI(title="渠道应用模拟器（消息推送接收）", version="1")
    app.state.sim = state

    @app.post("/apps/{client_id}/notifications")
    async def receive(client_id: str, request: Request) -> JSONResponse:
        faults = state.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.down:
            state.count("down")
            return JSONResponse({"error": "DOWN", "message": "应用服务暂不可用"}, status_code=503)
        if faults.error_rate and random.random() < faults.error_rate:
            state.count("error")
            return JSONResponse({"error": "INTERNAL", "message": "应用内部错误"}, status_code=500)
        secret = state.secrets.get(client_id)
        if secret is None:
            state.count("unknown_client")
            return JSONResponse({"error": "UNKNOWN_CLIENT", "message": f"未知应用 {client_id}"}, status_code=404)
        body = await request.body()
        push = SignedPush(request.headers.get("X-Signature-Timestamp"), request.headers.get("X-Signature"), body)
        try:
            verify(secret.encode(), push, now=time.time(), tolerance_seconds=settings.tolerance_seconds)
        except SignatureRefused as refused:
            state.count("signature_refused")
            return JSONResponse({"error": refused.code.value, "message": refused.message}, status_code=401)
        key = request.headers.get("Idempotency-Key") or ""
        try:
            payload = json.loads(body)
        except ValueError:
            state.count("invalid")
            return JSONResponse({"error": "BODY_INVALID", "message": "不是 JSON"}, status_code=422)
        if not key or key != payload.get("idempotencyKey"):
            state.count("invalid")
            return JSONResponse({"error": "BODY_INVALID", "message": "缺少或不一致的 Idempotency-Key"}, status_code=422)
        if (client_id, key) in state.keys:
            state.count("duplicate")
            return JSONResponse({"received": True, "duplicate": True})
        state.keys.add((client_id, key))
        state.received.append({"clientId": client_id, "receivedAt": time.time(), **payload})
        state.count("received")
        return JSONResponse({"received": True, "duplicate": False})

    @app.get("/admin/received")
    async def received(
        client_id: str | None = None, personal_number: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        items = [
            r
            for r in state.received
            if (client_id is None or r["clientId"] == client_id)
            and (personal_number is None or r["personalNumber"] == personal_number)
        ]
        return items[-limit:]

    @app.get("/admin/stats")
    async def stats() -> dict[str, Any]:
        return {
            "received": len(state.received),
            "counts": state.counts,
            "faults": state.faults.model_dump(),
            "down_since": state.down_since,
            "clients": sorted(state.secrets),
        }

    @app.put("/admin/faults")
    async def set_faults(faults: Faults) -> Faults:
        if faults.down and not state.faults.down:
            state.down_since = time.time()
        if not faults.down:
            state.down_since = None
        state.faults = faults
        logger.info("faults now %s", faults.model_dump())
        return faults

    @app.delete("/admin/faults")
    async def clear_faults() -> Faults:
        state.faults, state.down_since = Faults(), None
        return state.faults

    @app.put("/admin/clients/{client_id}")
    async def register(client_id: str, body: ClientSecret) -> dict[str, str]:
        state.secrets[client_id] = body.secret
        return {"client_id": client_id}

    @app.post("/admin/reset")
    async def reset() -> dict[str, int]:
        dropped = len(state.received)
        state.received.clear()
        state.keys.clear()
        state.counts.clear()
        return {"dropped": dropped}

    return app
