"""Errors as structured JSON: ``{"code": stable code, "message": Chinese for the person reading it, "detail": …}``.

Domain errors carry their own status; a request that fails validation gets 422 with each bad field named; a
uniqueness race caught by the database becomes 409; anything else is logged and answered with 500 and no internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException

from domain.retirees.idnumber import InvalidIdNumber
from domain.shared.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """The body of every error answer. ``code`` is one of the catalogue's (domain/shared/errors.py ErrorCode)."""

    code: ErrorCode = Field(description="Stable, for machines: one of the ErrorCode catalogue")
    message: str = Field(description="Chinese, for the person reading it")
    detail: dict[str, Any] = {}


def error(http_status: int, code: ErrorCode | str, message: str, detail: dict[str, Any] | None = None) -> JSONResponse:
    """The JSON answer ``{code, message, detail}``. ``code`` is a catalogue member, except ``HTTP_<status>`` for a
    framework status the catalogue does not name (see :func:`_http_code`)."""
    body = {"code": str(code), "message": message, "detail": jsonable_encoder(detail or {})}
    return JSONResponse(body, status_code=http_status)


def _http_code(status: int) -> ErrorCode | str:
    """``HTTP_<status>`` for an error the framework raised itself (no route, wrong method …): the catalogue's member
    when it has one, else the same spelling, so an unforeseen status is still answered rather than failing here."""
    code = f"HTTP_{status}"
    return ErrorCode(code) if code in ErrorCode.__members__ else code


_HTTP_MESSAGES = {404: "请求的资源不存在", 405: "不支持该请求方法", 401: "请先登录", 403: "无权访问"}


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return error(exc.status, exc.code, exc.message, exc.detail)

    @app.exception_handler(InvalidIdNumber)
    async def invalid_id_number(request: Request, exc: InvalidIdNumber) -> JSONResponse:
        return error(422, exc.code, exc.message, {"field": "id_number"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "problem": e["msg"]} for e in exc.errors()
        ]
        names = "、".join(f["field"] or "请求体" for f in fields)
        return error(422, ErrorCode.INVALID_REQUEST, f"请求参数不正确：{names}", {"fields": fields})

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        return error(409, ErrorCode.CONFLICT, "数据已被其他操作修改或重复，请刷新后重试")

    @app.exception_handler(DataError)
    async def bad_value(request: Request, exc: DataError) -> JSONResponse:
        # Validation should have caught it; the database is the last line, and bad input is still not a 5xx.
        log.warning("data error on %s %s: %s", request.method, request.url.path, exc.orig)
        return error(422, ErrorCode.INVALID_VALUE, "提交的数据超出允许范围或格式不正确")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, _http_code(exc.status_code), _HTTP_MESSAGES.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, ErrorCode.INTERNAL_ERROR, "系统内部错误，请稍后重试或联系管理员")
