"""Security headers (issue 13, 等保 level 3) on every answer, a server error's included."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from channels import errors
from channels.http_headers import CONTENT_SECURITY_POLICY, SecurityHeaders

pytestmark = pytest.mark.unit


def _app() -> FastAPI:
    app = FastAPI()
    errors.install(app)
    app.add_middleware(SecurityHeaders)

    @app.get("/api/v1/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    @app.get("/api/v1/fine")
    async def fine() -> dict[str, str]:
        return {"ok": "yes"}

    return app


@pytest.mark.parametrize("path", ["/api/v1/fine", "/api/v1/broken"])
async def test_1_2_every_answer_carries_the_security_headers_a_server_error_too(path: str) -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        answer = await client.get(path)
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY.split("script-src")[1].split(";")[0]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    if path.endswith("broken"):
        assert answer.status_code == 500 and answer.json()["code"] == "INTERNAL_ERROR"
        assert "a bug" not in answer.text
