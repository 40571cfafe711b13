"""Errors as structured JSON: ``{"code": stable code, "message": Chinese for the person reading it, "detail": …}``.

Domain errors carry their own status; a request that fails validation gets 422 with each bad field named; a
uniqueness race caught by the database becomes 409; anything else is logged and answered with 500 and no internals.
A 429 carries ``Retry-After``.

:func:`documented_errors` writes into the OpenAPI document, operation by operation, the error statuses each one can
really answer (read from its dependencies, parameters and method), so a client generated from it knows them.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException

from channels.http_headers import headers_for
from domain.retirees.idnumber import InvalidIdNumber
from domain.shared.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """The body of every error answer. ``code`` is one of the catalogue's (domain/shared/errors.py ErrorCode)."""

    code: ErrorCode = Field(description="Stable, for machines: one of the ErrorCode catalogue")
    message: str = Field(description="Chinese, for the person reading it")
    detail: dict[str, Any] = {}


_DESCRIPTIONS = {
    400: "请求体无法解析（HTTP_400）",
    401: "未登录，令牌无效、过期或已失效（NOT_LOGGED_IN、TOKEN_INVALID、TOKEN_EXPIRED、TOKEN_REVOKED、"
    "ACCOUNT_DISABLED），或登录失败（LOGIN_FAILED、ACCOUNT_LOCKED、CLIENT_AUTH_FAILED）",
    403: "当前角色无权执行（PERMISSION_DENIED 等），或须先修改密码（PASSWORD_CHANGE_REQUIRED）",
    404: "路径或请求中引用的记录不存在，或不在本机构管辖范围内",
    409: "与现有数据冲突（如重复、状态不允许），或数据已被其他操作修改（CONFLICT）",
    422: "请求参数不正确（INVALID_REQUEST）或违反业务规则",
    429: "尝试过于频繁（TOO_MANY_ATTEMPTS），Retry-After 头给出等待秒数",
}
# Operations that refuse credentials without taking a bearer token (so their dependencies do not show it).
_CREDENTIAL_CHECKS = {("POST", "/channel/v1/token")}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_LOOKUPS = {"number", "personal_number", "id_number"}  # query parameters that look one person up


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for the given error statuses, each with the error model and what it means."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


def _calls(dependant: Dependant) -> set[object]:
    found: set[object] = {dependant.call} if dependant.call else set()
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _statuses(route: APIRoute) -> list[int]:
    from channels.deps import _channel_actor, _staff_login

    calls = _calls(route.dependant)
    methods = route.methods or set()
    statuses = [400] if route.dependant.body_params else []
    if calls & {_staff_login, _channel_actor} or any((m, route.path) in _CREDENTIAL_CHECKS for m in methods):
        statuses.append(401)
    if _staff_login in calls:
        statuses.append(403)
    references = route.dependant.path_params or route.dependant.body_params
    if references or any(q.name.endswith("_id") or q.name in _LOOKUPS for q in route.dependant.query_params):
        statuses.append(404)
    if methods & _WRITES:
        statuses.append(409)
    return statuses


def documented_errors(router: APIRouter) -> dict[int | str, dict[str, Any]]:
    """Document on each operation of ``router`` the error statuses it can answer, and return for
    ``include_router(responses=…)`` the one every operation shares (422). Per operation: 400 when it takes a body
    (one that is not JSON), 401 when it takes a token or checks credentials, 403 for staff operations (role, or a
    password to change first), 404 when it names a record (a path id, a body, an ``…_id`` filter, a person's
    number), 409 for writes (a rule's conflict or a lost uniqueness race). An operation's own ``responses`` (e.g.
    login's 429) stay."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            for status, response in documented(*_statuses(route)).items():
                route.responses.setdefault(status, response)
    return documented(422)


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
        answer = error(exc.status, exc.code, exc.message, exc.detail)
        if exc.status == 429 and "retry_after" in exc.detail:
            answer.headers["Retry-After"] = str(exc.detail["retry_after"])
        return answer

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
        answer = error(500, ErrorCode.INTERNAL_ERROR, "系统内部错误，请稍后重试或联系管理员")
        # Starlette answers an unhandled exception from outside every middleware: the security headers are set here.
        answer.headers.update(headers_for(request.url.path))
        return answer
