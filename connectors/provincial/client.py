"""The provincial platform's SOAP service through zeep (docs/provincial-contract.md), as the hub needs it.

Every call has a timeout and a few quick retries with exponential backoff and jitter (tenacity) for what may pass by
itself: refused or dropped connections, timeouts, HTTP 5xx, ``soap:Server`` faults, and replies that are not a
well-formed SOAP envelope (a truncated answer). What still fails is :class:`ProvincialPlatformUnavailable` or
:class:`MalformedReply` (both transient for the caller); a ``soap:Client`` fault is the platform refusing the
request: :class:`RequestRefused`, never retried. The WSDL is loaded on first use, so a platform that is down when a
process starts only delays that first call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from lxml import etree
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from zeep import AsyncClient, Settings
from zeep.exceptions import Fault, TransportError, ValidationError, XMLParseError, XMLSyntaxError
from zeep.helpers import serialize_object
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport

from hub import metrics
from hub.errors import PermanentError, TransientError

TNS = "urn:hebei:hrss:retiree-exchange:v1"
BINDING = f"{{{TNS}}}RetireeExchangeBinding"


class ProvincialPlatformUnavailable(TransientError):
    """The platform could not be reached, timed out, answered 5xx or a soap:Server fault, after the retries.

    Transient on purpose (a :class:`hub.errors.TransientError`): it escapes into the hub's machinery, which tries
    again later — the ``provincial-push`` consumer group's handler raises it to the retry / park path (and the
    circuit breaker holds the group back while the platform stays down); the inbound readers' loop
    (connectors/provincial/service.py) reads the same position again after a backoff. Not the authentication platform's
    :class:`connectors.auth_platform.client.AuthPlatformUnavailable`, which its connector handles itself."""


class MalformedReply(TransientError):
    """The platform answered something that is not the contract's reply (truncated XML, a wrong element)."""

    def __init__(self, operation: str, reason: str, body: bytes = b"") -> None:
        super().__init__(f"{operation}: malformed reply from the provincial platform: {reason}")
        self.body = body


class RequestRefused(PermanentError):
    """A soap:Client fault: the platform says the request itself is wrong."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation} refused by the provincial platform: {code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ChangesPage:
    records: list[dict[str, Any]]  # each ChangeRecord as plain data (dates as date/datetime, amounts Decimal)
    next_cursor: str
    has_more: bool


@dataclass(frozen=True)
class Ack:
    receipt_no: str
    duplicate: bool


@dataclass(frozen=True)
class DigestPage:
    count: int
    entries: list[dict[str, str]]  # aac001, aae116, statusCode, digest


class ProvincialClient:
    """One zeep client on the platform's WSDL; ``address`` overrides the WSDL's soap:address when set."""

    def __init__(
        self,
        wsdl: str,
        *,
        address: str | None = None,
        timeout: float = 10.0,
        attempts: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._wsdl = wsdl
        self._address = address
        self._attempts = attempts
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._wsdl_http = httpx.Client(timeout=timeout)
        self._service: AsyncServiceProxy | None = None
        self._loading = asyncio.Lock()

    async def close(self) -> None:
        await self._http.aclose()
        self._wsdl_http.close()

    async def get_changes(self, cursor: str, max_records: int, kinds: tuple[str, ...] = ()) -> ChangesPage:
        reply = await self._call("GetChanges", cursor=cursor, kinds=list(kinds) or None, maxRecords=max_records)
        data = serialize_object(reply, dict)
        if not isinstance(data, Mapping) or data.get("nextCursor") is None:
            raise MalformedReply("GetChanges", "the reply has no nextCursor")
        return ChangesPage(list(data.get("records") or []), str(data["nextCursor"]), bool(data.get("hasMore")))

    async def get_retiree(self, aac001: str) -> dict[str, Any]:
        reply = await self._call("GetRetiree", aac001=aac001)
        data = serialize_object(reply, dict)
        retiree = data.get("retiree") if isinstance(data, Mapping) and "retiree" in data else data
        if not isinstance(retiree, Mapping):
            raise MalformedReply("GetRetiree", "the reply has no retiree")
        return dict(retiree)

    async def push(self, record: Mapping[str, Any]) -> Ack:
        reply = await self._call("PushBusinessRecord", **record)
        data = serialize_object(reply, dict)
        if not isinstance(data, Mapping) or not data.get("receiptNo"):
            raise MalformedReply("PushBusinessRecord", "the acknowledgement has no receiptNo")
        if not data.get("accepted"):
            raise RequestRefused("PushBusinessRecord", "NotAccepted", "平台未接受该业务记录")
        return Ack(str(data["receiptNo"]), bool(data.get("duplicate")))

    async def status_digest(self, first: str, last: str, max_records: int) -> DigestPage:
        reply = await self._call("GetStatusDigest", fromAac001=first, toAac001=last, maxRecords=max_records)
        data = serialize_object(reply, dict)
        if not isinstance(data, Mapping) or data.get("count") is None:
            raise MalformedReply("GetStatusDigest", "the reply has no count")
        entries = [{k: str(v) for k, v in dict(e).items() if v is not None} for e in data.get("entries") or []]
        return DigestPage(int(data["count"]), entries)

    async def _call(self, operation: str, **arguments: Any) -> Any:
        started = time.perf_counter()
        outcome = "ok"
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type((ProvincialPlatformUnavailable, MalformedReply)),
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential_jitter(multiplier=0.2, max=2.0, jitter=0.2),
                reraise=True,
            ):
                with attempt:
                    return await self._call_once(operation, arguments)
        except (ProvincialPlatformUnavailable, MalformedReply, RequestRefused) as error:
            outcome = type(error).__name__
            raise
        finally:
            metrics.external_calls.labels(platform="provincial", operation=operation, outcome=outcome).observe(
                time.perf_counter() - started
            )
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _call_once(self, operation: str, arguments: dict[str, Any]) -> Any:
        service = await self._service_proxy()
        try:
            return await getattr(service, operation)(**arguments)
        except Fault as fault:
            code, message = _fault_detail(fault)
            if (fault.code or "").endswith("Client"):
                raise RequestRefused(operation, code, message) from fault
            raise ProvincialPlatformUnavailable(f"{operation}: soap:Server fault {code}: {message}") from fault
        except TransportError as error:
            if error.status_code == 200:  # zeep's word for "answered 200 with a body that is not XML"
                raise MalformedReply(operation, str(error.message), error.content or b"") from error
            raise ProvincialPlatformUnavailable(f"{operation}: HTTP {error.status_code}") from error
        except (XMLSyntaxError, XMLParseError, etree.XMLSyntaxError) as error:
            reason = str(error) or type(error).__name__
            raise MalformedReply(operation, reason, getattr(error, "content", b"") or b"") from error
        except ValidationError as error:
            raise MalformedReply(operation, str(error)) from error
        except (httpx.TransportError, OSError) as error:  # refused, reset, dropped, timed out
            raise ProvincialPlatformUnavailable(f"{operation}: {type(error).__name__}: {error}") from error

    async def _service_proxy(self) -> AsyncServiceProxy:
        async with self._loading:
            if self._service is None:
                self._service = await asyncio.to_thread(self._load)
        return self._service

    def _load(self) -> AsyncServiceProxy:
        try:
            client = AsyncClient(
                self._wsdl,
                transport=AsyncTransport(client=self._http, wsdl_client=self._wsdl_http),
                settings=Settings(strict=True, xml_huge_tree=False),
            )
        except (httpx.TransportError, OSError, TransportError) as error:
            raise ProvincialPlatformUnavailable(f"cannot load the WSDL {self._wsdl}: {error}") from error
        if self._address:
            return client.create_service(BINDING, self._address)
        return client.service


def _fault_detail(fault: Fault) -> tuple[str, str]:
    code, message = "Unknown", str(fault.message or "")
    detail = fault.detail
    if detail is not None:
        found_code = detail.find(f"{{{TNS}}}errorCode")
        found_message = detail.find(f"{{{TNS}}}errorMessage")
        code = found_code.text or code if found_code is not None else code
        message = found_message.text or message if found_message is not None else message
    return code, message
