"""The simulator's HTTP face: the SOAP endpoint (POST /soap), its WSDL (GET /wsdl or GET /soap?wsdl), and admin
JSON endpoints for tests and benchmarks (generate changes and exchange rows, list received pushes, inject faults,
reset). ``create_app`` wraps the FastAPI app in :class:`ConnectionDropper`, which implements ``drop_rate``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulators.provincial import soap
from simulators.provincial.faults import Faults, FaultState
from simulators.provincial.generator import PERSON_CHANGE_KINDS
from simulators.provincial.settings import SimulatorSettings
from simulators.provincial.soap import SoapFault, SoapRequest
from simulators.provincial.store import SimulatorError, Store

logger = logging.getLogger("simulators.provincial")

ChangeKind = Literal["EMPLOYER", "NEW_RETIREE", "PAYMENT_STATUS", "ADJUSTMENT", "CERTIFICATION", "CORRECTION"]
PersonChangeKind = Literal[
    "ADDRESS", "PHONE", "EMPLOYER", "INSURANCE_STATUS", "RETIRED_STATUS", "PAYMENT_STATUS", "NAME", "DEATH"
]
assert set(PersonChangeKind.__args__) == set(PERSON_CHANGE_KINDS)  # type: ignore[attr-defined]
_BUSINESS_FIELDS = (
    "idempotencyKey",
    "aac001",
    "businessType",
    "reasonCode",
    "effectiveDate",
    "enteredAt",
    "orgCode",
    "reversesRecord",
)
_MAX_BATCH = 100_000


class ChangesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=1, ge=1, le=_MAX_BATCH)
    kinds: list[ChangeKind] | None = None  # in turn; a weighted mix when absent
    aac001s: list[str] | None = None  # in turn; random platform retirees when absent
    seed: int | None = None


class RetireesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=1, ge=1, le=_MAX_BATCH)
    aac001s: list[str] | None = None
    seed: int | None = None


class PersonChangesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(default=1, ge=1, le=_MAX_BATCH)
    kinds: list[PersonChangeKind] | None = None
    aac001s: list[str] | None = None
    out_of_order: bool = False  # the upper half of the row ids commits first
    gap_ms: int = Field(default=0, ge=0, le=60_000)  # between the two commits
    seed: int | None = None


class RawChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ChangeKind
    aac001: str | None = None
    payload: dict[str, str]


class Simulator:
    """What the endpoints share."""

    def __init__(self, settings: SimulatorSettings) -> None:
        self.settings = settings
        self.store = Store(settings.database_url)
        self.faults = FaultState()


def _rng(seed: int | None) -> random.Random:
    return random.Random(seed)


async def _background(simulator: Simulator) -> None:
    """SIM_PROVINCIAL_RATE changes per second of mixed kinds, in one batch a second."""
    rng = random.Random()
    owed = 0.0
    while True:
        await asyncio.sleep(1.0)
        owed += simulator.settings.rate
        count, owed = int(owed), owed - int(owed)
        if not count:
            continue
        try:
            await simulator.store.generate_changes(rng, count)
        except SimulatorError:  # no retirees yet: start the platform with some
            await simulator.store.generate_changes(rng, count, ["NEW_RETIREE"])
        except Exception:
            logger.exception("background change generation failed")


def create_api(settings: SimulatorSettings | None = None) -> FastAPI:
    simulator = Simulator(settings or SimulatorSettings())

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await simulator.store.create()
        task = asyncio.create_task(_background(simulator)) if simulator.settings.rate > 0 else None
        try:
            yield
        finally:
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await simulator.store.dispose()

    api = FastAPI(title="Hebei provincial platform simulator", lifespan=lifespan)
    api.state.simulator = simulator
    handlers: dict[str, Callable[[SoapRequest], Awaitable[bytes]]] = {
        "GetChanges": lambda request: _get_changes(simulator, request),
        "GetRetiree": lambda request: _get_retiree(simulator, request),
        "PushBusinessRecord": lambda request: _push(simulator, request),
        "GetStatusDigest": lambda request: _status_digest(simulator, request),
    }

    def wsdl(request: Request) -> Response:
        address = simulator.settings.public_url or f"{str(request.base_url).rstrip('/')}/soap"
        return Response(soap.wsdl_document(address), media_type=soap.CONTENT_TYPE)

    @api.get("/wsdl", include_in_schema=False)
    async def get_wsdl(request: Request) -> Response:
        return wsdl(request)

    @api.get("/soap", include_in_schema=False)
    async def get_soap(request: Request) -> Response:
        if "wsdl" not in {key.lower() for key in request.query_params}:
            return Response("GET /soap?wsdl or POST a SOAP 1.1 envelope", status_code=405, media_type="text/plain")
        return wsdl(request)

    @api.post("/soap", include_in_schema=False)
    async def post_soap(request: Request) -> Response:
        state = simulator.faults
        faults = state.faults
        if faults.down:
            return Response("服务暂不可用（系统维护中）", status_code=503, media_type="text/plain; charset=utf-8")
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if state.hit(faults.http_5xx_rate):
            status = state.rng.choice((500, 502, 503, 504))
            # A gateway's HTML page (not XML: the unclosed <meta>), as the platform's front proxy answers.
            html = (
                '<!DOCTYPE html><html><head><meta charset="utf-8"><title>网关错误</title></head>'
                f"<body><h1>{status}</h1><p>网关错误，请稍后重试</p></body></html>"
            )
            return Response(html, status_code=status, media_type="text/html; charset=utf-8")
        body = await request.body()
        try:
            if state.hit(faults.soap_fault_rate):
                raise SoapFault("Server", "SystemBusy", "系统繁忙，请稍后重试")
            parsed = soap.parse_request(body)
            content, status = await handlers[parsed.operation](parsed), 200
        except SoapFault as fault:
            content, status = soap.fault_response(fault), 500
        except Exception:
            logger.exception("SOAP call failed")
            content, status = soap.fault_response(SoapFault("Server", "InternalError", "平台内部错误，请稍后重试")), 500
        if state.hit(faults.malformed_rate):
            content = content[: max(1, len(content) // 2)]
        return Response(content, status_code=status, media_type=soap.CONTENT_TYPE)

    @api.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.post("/admin/changes")
    async def admin_changes(body: ChangesIn) -> dict[str, Any]:
        created = await _admin(simulator.store.generate_changes(_rng(body.seed), body.count, body.kinds, body.aac001s))
        return {
            "records": [{"seq": c.seq, "record_id": c.record_id, "kind": c.kind, "aac001": c.aac001} for c in created]
        }

    @api.post("/admin/retirees")
    async def admin_retirees(body: RetireesIn) -> dict[str, Any]:
        """Platform retirees without change records: people the hub has not heard of (reconciliation)."""
        created = await _admin(
            simulator.store.generate_changes(_rng(body.seed), body.count, ["NEW_RETIREE"], body.aac001s, record=False)
        )
        return {"aac001s": [c.aac001 for c in created]}

    @api.post("/admin/person-changes")
    async def admin_person_changes(body: PersonChangesIn) -> dict[str, Any]:
        row_ids, commit_order = await simulator.store.insert_person_changes(
            _rng(body.seed),
            body.count,
            body.kinds,
            body.aac001s,
            out_of_order=body.out_of_order,
            gap_ms=body.gap_ms,
        )
        return {"row_ids": row_ids, "commit_order": commit_order}

    @api.get("/admin/pushes")
    async def admin_pushes(aac001: str | None = Query(default=None)) -> dict[str, Any]:
        return {"pushes": await simulator.store.pushes(aac001)}

    @api.get("/admin/retirees/{aac001}")
    async def admin_retiree(aac001: str) -> dict[str, str]:
        retiree = await simulator.store.retiree(aac001)
        if retiree is None:
            raise HTTPException(404, f"no platform retiree {aac001}")
        return retiree

    @api.get("/admin/orgs/{aac001}")
    async def admin_org(aac001: str) -> dict[str, Any]:
        org = await simulator.store.org(aac001)
        if org is None:
            raise HTTPException(404, f"no organisation change for {aac001}")
        return org

    @api.get("/admin/stats")
    async def admin_stats() -> dict[str, int]:
        return await simulator.store.counts()

    @api.get("/admin/faults")
    async def get_faults() -> Faults:
        return simulator.faults.faults

    @api.put("/admin/faults")
    async def put_faults(faults: Faults) -> Faults:
        simulator.faults.set(faults)
        logger.info("faults set: %s", faults.model_dump(exclude_defaults=True))
        return faults

    @api.delete("/admin/faults")
    async def delete_faults() -> Faults:
        simulator.faults.clear()
        return simulator.faults.faults

    @api.post("/admin/reset")
    async def reset(first_number: int = Query(default=1, ge=1, le=20_000_000)) -> dict[str, str]:
        """Truncates every table and clears the faults. ``first_number`` starts the retiree numbering elsewhere,
        so tests sharing one registry database get people (and ID numbers) no earlier run has used."""
        await simulator.store.reset(first_number)
        simulator.faults.clear()
        return {"status": "reset"}

    @api.post("/admin/raw-change")
    async def raw_change(body: RawChangeIn) -> dict[str, Any]:
        """Appends one record exactly as given, valid or not: what a platform with a bug would send."""
        seq, record_id = await simulator.store.append_raw_change(body.kind, body.aac001, body.payload)
        return {"seq": seq, "record_id": record_id}

    return api


async def _admin(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except SimulatorError as error:
        raise HTTPException(error.status, error.message) from None


async def _get_changes(simulator: Simulator, request: SoapRequest) -> bytes:
    cursor = request.text("cursor") or ""
    if cursor and not (cursor.isascii() and cursor.isdigit()):
        raise SoapFault("Client", "InvalidCursor", f"游标无效：{cursor}")
    limit = int(request.text("maxRecords") or "0")
    records, has_more = await simulator.store.changes_after(int(cursor or "0"), request.texts("kinds"), limit)
    next_cursor = str(records[-1][0]) if records else cursor
    page = [record for _, record in records]
    state = simulator.faults
    if state.faults.duplicate_rate:
        page = [copy for record in page for copy in ([record] * (2 if state.hit(state.faults.duplicate_rate) else 1))]
    if state.faults.shuffle:
        state.rng.shuffle(page)
    return soap.changes_response(page, next_cursor, has_more)


async def _get_retiree(simulator: Simulator, request: SoapRequest) -> bytes:
    aac001 = request.text("aac001") or ""
    retiree = await simulator.store.retiree(aac001)
    if retiree is None:
        raise SoapFault("Client", "NotFound", f"未找到个人编号为{aac001}的离退休人员")
    return soap.retiree_response(retiree)


async def _push(simulator: Simulator, request: SoapRequest) -> bytes:
    record = {name: value for name in _BUSINESS_FIELDS if (value := request.text(name)) is not None}
    receipt, duplicate = await simulator.store.push(record)
    return soap.ack_response(receipt, duplicate)


async def _status_digest(simulator: Simulator, request: SoapRequest) -> bytes:
    first, last = request.text("fromAac001") or "", request.text("toAac001") or ""
    if first > last:
        raise SoapFault("Client", "InvalidRequest", "起始个人编号不能大于截止个人编号")
    count, entries = await simulator.store.status_digest(first, last, int(request.text("maxRecords") or "0"))
    return soap.digest_response(count, entries)


class ConnectionDropper:
    """Outermost ASGI layer implementing ``drop_rate``: the call is processed, then the connection is closed
    without an answer. Closing needs the server's transport, which uvicorn's ``send`` carries; under another
    server the dropped call answers a bare 503 instead."""

    def __init__(self, app: ASGIApp, faults: FaultState) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["path"] == "/soap"
            and scope["method"] == "POST"
            and not self.faults.faults.down
            and self.faults.hit(self.faults.faults.drop_rate)
        ):
            await self.app(scope, receive, send)
            return

        async def swallow(message: Message) -> None:
            del message

        await self.app(scope, receive, swallow)
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None or not hasattr(transport, "close"):
            await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        logger.info("dropping the connection of a SOAP call (fault injection)")
        transport.close()
        # Let the server see the connection lost, so it does not try to answer 500 on it.
        for _ in range(3):
            await asyncio.sleep(0)


def create_app(settings: SimulatorSettings | None = None) -> ConnectionDropper:
    """The ASGI app uvicorn runs; ``.app`` is the FastAPI app (its ``state.simulator`` holds store and faults)."""
    api = create_api(settings)
    simulator: Simulator = api.state.simulator
    return ConnectionDropper(api, simulator.faults)
