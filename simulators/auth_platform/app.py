"""The simulator's HTTP face (function point 4.3/2.6, the auth-platform exchange of issue 5).

Platform API (docs/auth-platform-contract.md): ``POST /v1/persons:batch`` receives shared retirees under a bearer
token. Admin JSON endpoints for tests and benchmarks: ``GET /admin/persons`` (what was shared), ``PUT``/``DELETE
/admin/faults`` (latency, a rate of 5xx answers, ``down``), ``POST /admin/reset``, ``POST /admin/emit`` and ``GET
/admin/emit/{job}`` (push signed face results to the hub's webhook in the background and watch the answers), and
``GET /admin/background`` (the optional steady emission at ``rate`` results per second).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.retirees.idnumber import IdNumber, InvalidIdNumber
from simulators.auth_platform.config import AuthPlatformSettings
from simulators.auth_platform.emitter import CHINA_TZ, EmitReport, emit, make_result

logger = logging.getLogger("simulators.auth_platform")

MAX_BATCH = 500
MAX_EMIT = 1_000_000
_PERSONAL_NUMBER = re.compile(r"^[0-9A-Za-z]{1,20}$")
_SEXES = {"0", "1", "2", "9"}


class PlatformError(Exception):
    """A refusal of the platform API: ``{"error", "message", "personalNumber"}`` with a 4xx/5xx status."""

    def __init__(self, status: int, error: str, message: str, personal_number: str | None = None) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status = status
        self.error = error
        self.message = message
        self.personal_number = personal_number

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.personal_number is not None:
            body["personalNumber"] = self.personal_number
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(body, status_code=self.status, headers=headers)


@dataclass
class SharedPerson:
    """A person as first shared, with how often the hub has sent them since."""

    person: dict[str, Any]
    first_received_at: str
    times_received: int = 1
    last_batch_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.person,
            "firstSharedAt": self.person["sharedAt"],
            "firstReceivedAt": self.first_received_at,
            "timesReceived": self.times_received,
            "lastBatchId": self.last_batch_id,
        }


class FaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=120_000)
    http_5xx_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    down: bool = False


class BadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bad_signature: int = Field(default=0, ge=0, le=MAX_EMIT)
    stale: int = Field(default=0, ge=0, le=MAX_EMIT)
    duplicate: int = Field(default=0, ge=0, le=MAX_EMIT)
    malformed: int = Field(default=0, ge=0, le=MAX_EMIT)


class EmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Good results to push; absent = one per person.
    count: int | None = Field(default=None, ge=0, le=MAX_EMIT)
    # Pushes per second over the whole job; absent or 0 = as fast as ``concurrency`` allows.
    rate: float | None = Field(default=None, ge=0.0)
    # Persons to certify, in turn; absent = every person shared to the simulator.
    personal_numbers: list[str] | None = None
    # ID numbers of given persons who were not shared here (otherwise the share's idNumber is used).
    id_numbers: dict[str, str] | None = None
    bad: BadIn | None = None
    failed_ratio: float = Field(default=0.0, ge=0.0, le=1.0)
    concurrency: int = Field(default=32, ge=1, le=1024)


@dataclass
class EmitJob:
    id: str
    report: EmitReport
    started_at: float
    task: asyncio.Task[EmitReport] | None = None
    finished_at: float | None = None
    error: str | None = None

    @property
    def state(self) -> str:
        if self.task is None or not self.task.done():
            return "running"
        if self.task.cancelled():
            return "cancelled"
        return "failed" if self.error else "done"

    def as_dict(self) -> dict[str, Any]:
        end = self.finished_at or time.monotonic()
        return {
            "job": self.id,
            "state": self.state,
            "elapsed_s": round(end - self.started_at, 3),
            "error": self.error,
            **self.report.as_dict(),
        }


@dataclass
class State:
    persons: dict[str, SharedPerson] = field(default_factory=dict)
    faults: FaultsIn = field(default_factory=FaultsIn)
    jobs: dict[str, EmitJob] = field(default_factory=dict)
    batches: Counter[str] = field(default_factory=Counter)
    background: EmitReport = field(default_factory=EmitReport)


def _now_text() -> str:
    return datetime.now(CHINA_TZ).isoformat(timespec="seconds")


def _field_error(index: int, personal_number: str | None, name: str, reason: str) -> PlatformError:
    who = f"（{personal_number}）" if personal_number else ""
    return PlatformError(
        422, "PERSON_INVALID", f"第 {index + 1} 位人员{who}的字段 {name} 无效：{reason}", personal_number
    )


def _text(person: dict[str, Any], index: int, pn: str | None, name: str, *, max_len: int = 64) -> str:
    value = person.get(name)
    if value is None or value == "":
        raise _field_error(index, pn, name, "缺少必填字段")
    if not isinstance(value, str):
        raise _field_error(index, pn, name, "应为字符串")
    if len(value) > max_len:
        raise _field_error(index, pn, name, f"长度超过 {max_len}")
    return value


def validate_person(person: Any, index: int) -> dict[str, Any]:
    """Check one shared person and return it normalised (ID number upper-cased, 18 characters); raise otherwise."""
    if not isinstance(person, dict):
        raise PlatformError(422, "PERSON_INVALID", f"第 {index + 1} 位人员应为 JSON 对象")
    raw_pn = person.get("personalNumber")
    pn = raw_pn if isinstance(raw_pn, str) and raw_pn else None
    personal_number = _text(person, index, pn, "personalNumber", max_len=20)
    if not _PERSONAL_NUMBER.match(personal_number):
        raise _field_error(index, pn, "personalNumber", "应为 1 到 20 位字母或数字")
    try:
        id_number = IdNumber.parse(_text(person, index, pn, "idNumber", max_len=18))
    except InvalidIdNumber as error:
        raise _field_error(index, pn, "idNumber", error.message) from None
    name = _text(person, index, pn, "name")
    sex = _text(person, index, pn, "sex", max_len=1)
    if sex not in _SEXES:
        raise _field_error(index, pn, "sex", "应为 GB/T 2261.1 代码 0、1、2 或 9")
    birth_text = _text(person, index, pn, "birthDate", max_len=10)
    try:
        birth = date.fromisoformat(birth_text)
    except ValueError:
        raise _field_error(index, pn, "birthDate", "日期格式应为 YYYY-MM-DD") from None
    try:
        id_number.cross_check(birth, sex)
    except InvalidIdNumber as error:
        raise _field_error(index, pn, "idNumber", error.message) from None
    agency = person.get("insuringAgency")
    if agency is not None and not (isinstance(agency, str) and 0 < len(agency) <= 20):
        raise _field_error(index, pn, "insuringAgency", "应为参保机构代码字符串")
    shared_text = _text(person, index, pn, "sharedAt", max_len=40)
    try:
        shared_at = datetime.fromisoformat(shared_text)
    except ValueError:
        raise _field_error(index, pn, "sharedAt", "时间格式应为 ISO 8601，例如 2026-11-23T08:00:00+08:00") from None
    if shared_at.tzinfo is None:
        raise _field_error(index, pn, "sharedAt", "时间必须带时区，例如 2026-11-23T08:00:00+08:00")
    return {
        "personalNumber": personal_number,
        "idNumber": id_number.value,
        "name": name,
        "sex": sex,
        "birthDate": birth.isoformat(),
        "insuringAgency": agency,
        "sharedAt": shared_text,
    }


def parse_batch(raw: bytes) -> tuple[str, list[dict[str, Any]]]:
    """The batch id and its validated persons; the whole batch is refused if any part is wrong."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PlatformError(400, "BODY_NOT_JSON", "请求体不是合法的 JSON") from None
    if not isinstance(body, dict):
        raise PlatformError(400, "BODY_INVALID", "请求体应为 JSON 对象")
    batch_id = body.get("batchId")
    if not isinstance(batch_id, str) or not batch_id or len(batch_id) > 64:
        raise PlatformError(422, "BATCH_ID_INVALID", "缺少批次号 batchId，或其格式不正确")
    persons = body.get("persons")
    if not isinstance(persons, list):
        raise PlatformError(422, "PERSONS_INVALID", "persons 应为人员数组")
    if len(persons) > MAX_BATCH:
        raise PlatformError(422, "BATCH_TOO_LARGE", f"每批最多 {MAX_BATCH} 人，本批有 {len(persons)} 人")
    return batch_id, [validate_person(person, index) for index, person in enumerate(persons)]


def create_app(
    config: AuthPlatformSettings | None = None, *, webhook_client: httpx.AsyncClient | None = None
) -> FastAPI:
    """The simulator. ``webhook_client`` (tests) replaces the HTTP client used to push results to the hub."""
    settings = config or AuthPlatformSettings()
    state = State()

    async def run_background() -> None:
        """Steady emission: one result per 1/rate seconds for a random shared person (one in ten fails)."""
        interval = 1.0 / settings.rate
        pending: set[asyncio.Task[EmitReport]] = set()
        async with contextlib.AsyncExitStack() as stack:
            client = webhook_client or await stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
            next_at = time.monotonic()
            try:
                while True:
                    next_at += interval
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                    if not state.persons or len(pending) >= 256:
                        continue
                    shared = random.choice(list(state.persons.values())).person
                    result = make_result(shared["personalNumber"], shared["idNumber"], passed=random.random() >= 0.1)
                    task = asyncio.create_task(
                        emit(
                            settings.webhook_url,
                            settings.webhook_secret,
                            [result],
                            client=client,
                            report=state.background,
                        )
                    )
                    pending.add(task)
                    task.add_done_callback(pending.discard)
            finally:
                for task in list(pending):
                    task.cancel()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        background = asyncio.create_task(run_background()) if settings.rate > 0 else None
        if background is not None:
            logger.info("background emission at %.3g results/s to %s", settings.rate, settings.webhook_url)
        try:
            yield
        finally:
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
            for job in state.jobs.values():
                if job.task is not None:
                    job.task.cancel()

    app = FastAPI(title="Authentication platform simulator (认证服务平台)", lifespan=lifespan)
    app.state.simulator = state
    app.state.settings = settings

    @app.exception_handler(PlatformError)
    async def platform_error(_: Request, error: PlatformError) -> JSONResponse:
        state.batches[f"refused_{error.error}"] += 1
        logger.info("persons:batch refused: %s %s", error.status, error.error)
        return error.response()

    @app.middleware("http")
    async def apply_faults(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Faults concern the platform API only (every ``/v1`` call), never the admin endpoints."""
        faults = state.faults
        if request.url.path.startswith("/v1"):
            refusal: PlatformError | None = None
            if faults.down:
                refusal = PlatformError(503, "UNAVAILABLE", "认证服务平台暂时不可用，请稍后重试")
            else:
                if faults.latency_ms:
                    await asyncio.sleep(faults.latency_ms / 1000)
                if faults.http_5xx_rate and random.random() < faults.http_5xx_rate:
                    refusal = PlatformError(500, "INTERNAL_ERROR", "认证服务平台内部错误，请稍后重试")
            if refusal is not None:
                state.batches[f"fault_{refusal.error}"] += 1
                return refusal.response()
        return await call_next(request)

    def check_token(request: Request) -> None:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {settings.token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise PlatformError(401, "UNAUTHORIZED", "访问令牌缺失或无效")

    @app.post("/v1/persons:batch")
    async def share_persons(request: Request) -> dict[str, Any]:
        """Receive up to 500 retirees; a person already shared is a duplicate, not an error."""
        check_token(request)
        batch_id, persons = parse_batch(await request.body())
        accepted = 0
        duplicates: list[str] = []
        received_at = _now_text()
        for person in persons:
            pn = person["personalNumber"]
            known = state.persons.get(pn)
            if known is None:
                state.persons[pn] = SharedPerson(person, received_at, last_batch_id=batch_id)
                accepted += 1
            else:
                known.times_received += 1
                known.last_batch_id = batch_id
                duplicates.append(pn)
        state.batches["accepted"] += 1
        logger.info("batch %s: %d accepted, %d duplicates", batch_id, accepted, len(duplicates))
        return {"accepted": accepted, "duplicates": duplicates}

    @app.get("/admin/persons")
    async def list_persons(personal_number: str | None = None) -> dict[str, Any]:
        chosen = (
            [state.persons[personal_number]]
            if personal_number and personal_number in state.persons
            else []
            if personal_number
            else list(state.persons.values())
        )
        return {
            "count": len(state.persons),
            "batches": dict(state.batches),
            "persons": [shared.as_dict() for shared in chosen],
        }

    @app.get("/admin/faults")
    async def get_faults() -> FaultsIn:
        return state.faults

    @app.put("/admin/faults")
    async def put_faults(faults: FaultsIn) -> FaultsIn:
        state.faults = faults
        logger.info("faults set: %s", faults.model_dump())
        return faults

    @app.delete("/admin/faults")
    async def clear_faults() -> FaultsIn:
        state.faults = FaultsIn()
        return state.faults

    @app.post("/admin/reset")
    async def reset() -> dict[str, Any]:
        for job in state.jobs.values():
            if job.task is not None:
                job.task.cancel()
        state.persons.clear()
        state.jobs.clear()
        state.batches.clear()
        state.faults = FaultsIn()
        state.background = EmitReport()
        logger.info("reset")
        return {"reset": True}

    def results_for(spec: EmitIn) -> list[dict[str, Any]]:
        if spec.personal_numbers is not None:
            given = spec.id_numbers or {}
            people: list[tuple[str, str]] = []
            for pn in spec.personal_numbers:
                shared = state.persons.get(pn)
                id_number = shared.person["idNumber"] if shared else given.get(pn)
                if not id_number:
                    raise HTTPException(422, f"person {pn} was not shared here and has no entry in id_numbers")
                people.append((pn, id_number))
        else:
            people = [(s.person["personalNumber"], s.person["idNumber"]) for s in state.persons.values()]
        count = len(people) if spec.count is None else spec.count
        if count and not people:
            raise HTTPException(409, "no persons to certify: share some first or give personal_numbers")
        return [
            make_result(*people[i % len(people)], passed=random.random() >= spec.failed_ratio) for i in range(count)
        ]

    @app.post("/admin/emit", status_code=202)
    async def start_emit(spec: EmitIn) -> dict[str, str]:
        results = results_for(spec)
        job = EmitJob(uuid.uuid4().hex[:12], EmitReport(), time.monotonic())

        async def run() -> EmitReport:
            try:
                return await emit(
                    settings.webhook_url,
                    settings.webhook_secret,
                    results,
                    rate=spec.rate or None,
                    concurrency=spec.concurrency,
                    bad=spec.bad.model_dump() if spec.bad else None,
                    client=webhook_client,
                    report=job.report,
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:
                job.error = f"{type(error).__name__}: {error}"
                logger.exception("emit job %s failed", job.id)
                return job.report
            finally:
                job.finished_at = time.monotonic()
                logger.info("emit job %s finished: %s", job.id, job.report.as_dict())

        job.task = asyncio.create_task(run())
        state.jobs[job.id] = job
        logger.info("emit job %s: %d results to %s", job.id, len(results), settings.webhook_url)
        return {"job": job.id}

    @app.get("/admin/emit/{job_id}")
    async def emit_progress(job_id: str) -> dict[str, Any]:
        job = state.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no emit job {job_id}")
        return job.as_dict()

    @app.delete("/admin/emit/{job_id}")
    async def cancel_emit(job_id: str) -> dict[str, Any]:
        job = state.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no emit job {job_id}")
        if job.task is not None and not job.task.done():
            job.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job.task
        return job.as_dict()

    @app.get("/admin/background")
    async def background_progress() -> dict[str, Any]:
        return {"rate": settings.rate, **state.background.as_dict()}

    return app
