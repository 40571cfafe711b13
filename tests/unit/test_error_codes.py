"""The error-code catalogue (domain/shared/errors.py ErrorCode) is what the API documents: every code appears in the
OpenAPI document, as the enum of ``ErrorBody.code``, and the answers keep the ``{code, message, detail}`` shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.api import create_app
from channels.errors import ErrorBody, install
from domain.shared.errors import Conflict, ErrorCode

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return create_app().openapi()


def test_every_error_code_appears_in_the_openapi_document(openapi: dict[str, Any]) -> None:
    document = json.dumps(openapi, ensure_ascii=False)
    missing = [code.value for code in ErrorCode if f'"{code.value}"' not in document]
    assert missing == []


def test_the_error_body_code_is_the_catalogue_as_an_enum(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    assert schemas["ErrorBody"]["properties"]["code"]["$ref"] == "#/components/schemas/ErrorCode"
    assert schemas["ErrorCode"]["enum"] == [code.value for code in ErrorCode]


def test_each_code_is_spelled_as_its_name() -> None:
    assert [code.name for code in ErrorCode] == [code.value for code in ErrorCode]


async def test_a_domain_error_is_answered_with_its_code_as_a_plain_string() -> None:
    app = FastAPI()
    install(app)

    @app.get("/taken")
    async def taken() -> None:
        raise Conflict(ErrorCode.USERNAME_TAKEN, "用户名 a 已被使用", field="username")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api.test") as client:
        answer = await client.get("/taken")
        missing = await client.get("/nowhere")
    assert answer.status_code == 409
    assert (
        answer.content
        == json.dumps(
            {"code": "USERNAME_TAKEN", "message": "用户名 a 已被使用", "detail": {"field": "username"}},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
    )
    assert ErrorBody.model_validate(answer.json()).code is ErrorCode.USERNAME_TAKEN
    assert (missing.status_code, missing.json()["code"]) == (404, "HTTP_404")
