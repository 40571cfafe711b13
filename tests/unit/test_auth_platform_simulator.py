"""The authentication-platform simulator (issue 5, function point 4.3/2.6: the auth-platform exchange).

The platform side of both halves of docs/auth-platform-contract.md: the ``/v1/persons:batch`` share it receives
(token, validation, duplicates, faults), and the signed face-result pushes its emitter sends to the hub's webhook,
checked here against a small receiver that verifies them with the hub's own ``signature.verify``."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connectors.auth_platform.mapping import ResultRefused, parse_result
from connectors.auth_platform.signature import SignatureRefused, SignedPush, verify
from domain.retirees.idnumber import make_id_number
from simulators.auth_platform.app import create_app
from simulators.auth_platform.config import AuthPlatformSettings
from simulators.auth_platform.emitter import CHINA_TZ, EmitReport, emit, encode, make_result, signed_request

pytestmark = pytest.mark.unit

TOKEN = "test-token"
SECRET = "test-webhook-secret"
HUB_URL = "http://hub.test/api/v1/auth-platform/face-results"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def person(n: int, *, shared_at: str = "2026-11-23T08:00:00+08:00") -> dict[str, Any]:
    birth = date(1950, 1, 1 + n % 28)
    return {
        "personalNumber": f"13010000{n:05d}",
        "idNumber": make_id_number("130102", birth, n % 500, "1"),
        "name": "张三",
        "sex": "1",
        "birthDate": birth.isoformat(),
        "insuringAgency": "130100",
        "sharedAt": shared_at,
    }


def batch(*persons: dict[str, Any], batch_id: str = "b-1") -> dict[str, Any]:
    return {"batchId": batch_id, "persons": list(persons)}


def settings(**overrides: Any) -> AuthPlatformSettings:
    values: dict[str, Any] = {"token": TOKEN, "webhook_secret": SECRET, "webhook_url": HUB_URL, "rate": 0.0}
    return AuthPlatformSettings(**(values | overrides))


@pytest.fixture
async def platform() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://platform.test") as client:
        yield client


# --- a receiving hub -------------------------------------------------------------------------------------------


@dataclass
class Hub:
    """The webhook as the contract describes it: verify, validate, refuse a seen resultId with 409."""

    unavailable_first: int = 0
    calls: int = 0
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: Counter[str] = field(default_factory=Counter)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/v1/auth-platform/face-results")
        async def face_results(request: Request) -> JSONResponse:
            self.calls += 1
            raw = await request.body()
            if self.calls <= self.unavailable_first:
                return self.answer(503, "UNAVAILABLE", "暂时无法接收")
            push = SignedPush(request.headers.get("x-signature-timestamp"), request.headers.get("x-signature"), raw)
            try:
                verify(SECRET.encode(), push, now=time.time())
                result = parse_result(raw, now=datetime.now(CHINA_TZ))
            except SignatureRefused as refused:
                return self.answer(401, refused.code, refused.message)
            except ResultRefused as refused:
                return self.answer(422, "BODY_INVALID", refused.message)
            if result.result_id in self.received:
                return self.answer(409, "REPLAY", "该认证结果已接收")
            self.received[result.result_id] = json.loads(raw)
            return self.answer(202, "ACCEPTED", "已接收")

        return app

    def answer(self, status: int, code: str, message: str) -> JSONResponse:
        self.answers[code] += 1
        return JSONResponse({"code": code, "message": message}, status_code=status)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(self.app()))


# --- sharing (hub → platform) ----------------------------------------------------------------------------------


async def test_a_batch_is_accepted_and_a_resent_person_is_a_duplicate(platform: httpx.AsyncClient) -> None:
    """4.3/2.6: newly approved retirees are shared once; a retried batch is harmless (duplicates, not errors)."""
    first = await platform.post("/v1/persons:batch", json=batch(person(1), person(2)), headers=AUTH)
    assert first.status_code == 200
    assert first.json() == {"accepted": 2, "duplicates": []}

    later = person(2, shared_at="2026-11-24T08:00:00+08:00")
    again = await platform.post("/v1/persons:batch", json=batch(later, person(3), batch_id="b-2"), headers=AUTH)
    assert again.status_code == 200
    assert again.json() == {"accepted": 1, "duplicates": [later["personalNumber"]]}

    shared = (await platform.get("/admin/persons")).json()
    assert shared["count"] == 3
    by_number = {p["personalNumber"]: p for p in shared["persons"]}
    assert by_number[later["personalNumber"]]["firstSharedAt"] == "2026-11-23T08:00:00+08:00"
    assert by_number[later["personalNumber"]]["timesReceived"] == 2
    assert by_number[person(1)["personalNumber"]]["timesReceived"] == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
async def test_a_wrong_or_missing_token_is_refused_in_chinese(
    platform: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """4.3/2.6: only the hub, holding the token, may share retirees."""
    response = await platform.post("/v1/persons:batch", json=batch(person(1)), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHORIZED"
    assert "令牌" in response.json()["message"]
    assert (await platform.get("/admin/persons")).json()["count"] == 0


async def test_more_than_500_persons_is_refused(platform: httpx.AsyncClient) -> None:
    """4.3/2.6: at most 500 persons per batch; a larger one is a 4xx, not to be retried as is."""
    too_many = batch(*(person(n) for n in range(501)))
    response = await platform.post("/v1/persons:batch", json=too_many, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["error"] == "BATCH_TOO_LARGE"
    assert "500" in response.json()["message"]
    exactly = await platform.post("/v1/persons:batch", json=batch(*(person(n) for n in range(500))), headers=AUTH)
    assert exactly.status_code == 200
    assert exactly.json()["accepted"] == 500


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"idNumber": "130102195001010012"}, "idNumber"),
        ({"idNumber": None}, "idNumber"),
        ({"sex": "2"}, "idNumber"),
        ({"birthDate": "1950-13-01"}, "birthDate"),
        ({"sharedAt": "2026-11-23T08:00:00"}, "sharedAt"),
        ({"name": ""}, "name"),
    ],
)
async def test_an_invalid_person_refuses_the_whole_batch(
    platform: httpx.AsyncClient, change: dict[str, Any], field_name: str
) -> None:
    """4.3/2.6: a wrong person is a 422 naming the person and field; nothing of the batch is kept."""
    bad = person(2) | change
    response = await platform.post("/v1/persons:batch", json=batch(person(1), bad), headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "PERSON_INVALID"
    assert body["personalNumber"] == bad["personalNumber"]
    assert field_name in body["message"] and "第 2 位" in body["message"]
    assert (await platform.get("/admin/persons")).json()["count"] == 0


async def test_a_body_that_is_not_json_is_a_400(platform: httpx.AsyncClient) -> None:
    response = await platform.post("/v1/persons:batch", content=b"{not json", headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"] == "BODY_NOT_JSON"
    missing = await platform.post("/v1/persons:batch", json={"persons": []}, headers=AUTH)
    assert missing.status_code == 422
    assert missing.json()["error"] == "BATCH_ID_INVALID"


async def test_faults_make_the_platform_answer_5xx_or_be_down(platform: httpx.AsyncClient) -> None:
    """4.3/2.6: the hub must treat 5xx as transient; the simulator produces them on demand."""
    assert (await platform.put("/admin/faults", json={"http_5xx_rate": 1.0})).status_code == 200
    failing = await platform.post("/v1/persons:batch", json=batch(person(1)), headers=AUTH)
    assert failing.status_code == 500
    assert failing.json()["error"] == "INTERNAL_ERROR"

    await platform.put("/admin/faults", json={"down": True})
    for path in ("/v1/persons:batch", "/v1/anything"):
        down = await platform.post(path, json=batch(person(1)), headers=AUTH)
        assert down.status_code == 503
        assert down.json()["error"] == "UNAVAILABLE"
    assert (await platform.get("/admin/persons")).status_code == 200

    await platform.put("/admin/faults", json={"latency_ms": 60})
    started = time.perf_counter()
    slow = await platform.post("/v1/persons:batch", json=batch(person(1)), headers=AUTH)
    assert slow.status_code == 200
    assert time.perf_counter() - started >= 0.05

    await platform.delete("/admin/faults")
    assert (await platform.get("/admin/faults")).json() == {"latency_ms": 0, "http_5xx_rate": 0.0, "down": False}
    assert (await platform.get("/admin/persons")).json()["count"] == 1
    await platform.post("/admin/reset")
    assert (await platform.get("/admin/persons")).json()["count"] == 0


# --- face results (platform → hub) -----------------------------------------------------------------------------


def test_a_result_is_shaped_as_the_contract_and_its_signature_verifies() -> None:
    """4.3/2.6: one result per push, signed over ``<timestamp>.<raw body>``."""
    p = person(1)
    result = make_result(p["personalNumber"], p["idNumber"], passed=False, result_id="FACE-20261123-000123")
    assert set(result) == {"resultId", "personalNumber", "idNumber", "certifiedAt", "result", "score", "deviceId"}
    assert result["result"] == "failed" and result["resultId"] == "FACE-20261123-000123"
    assert datetime.fromisoformat(result["certifiedAt"]).utcoffset() is not None
    body = encode(result)
    headers = signed_request(SECRET, body, timestamp=1_795_000_000)
    push = SignedPush(headers["X-Signature-Timestamp"], headers["X-Signature"], body)
    assert verify(SECRET.encode(), push, now=1_795_000_010) == 1_795_000_000
    assert parse_result(body, now=datetime.now(CHINA_TZ)).passed is False


async def test_good_results_arrive_intact_and_verify() -> None:
    """4.3/2.6: every pushed result is accepted by a hub that verifies the signature and validates the body."""
    hub = Hub()
    results = [make_result(p["personalNumber"], p["idNumber"]) for p in map(person, range(20))]
    async with hub.client() as client:
        report = await emit(HUB_URL, SECRET, results, client=client, concurrency=4)
    assert report.sent == 20
    assert report.by_status == Counter({202: 20})
    assert report.by_code == Counter({"ACCEPTED": 20})
    assert len(report.latencies) == 20 and report.retries == 0
    assert hub.received == {r["resultId"]: r for r in results}


async def test_each_bad_kind_gets_the_expected_refusal_and_none_is_retried() -> None:
    """4.3/2.6: wrong secret → SIGNATURE_INVALID, stale → TIMESTAMP_STALE, resent resultId → REPLAY, broken body →
    BODY_INVALID; 4xx answers are never retried."""
    hub = Hub()
    results = [make_result(p["personalNumber"], p["idNumber"]) for p in map(person, range(5))]
    bad = {"bad_signature": 2, "stale": 3, "duplicate": 2, "malformed": 4}
    async with hub.client() as client:
        report = await emit(HUB_URL, SECRET, results, client=client, bad=bad)
    assert report.by_kind == {
        "good": Counter({"ACCEPTED": 5}),
        "bad_signature": Counter({"SIGNATURE_INVALID": 2}),
        "stale": Counter({"TIMESTAMP_STALE": 3}),
        "duplicate": Counter({"REPLAY": 2}),
        "malformed": Counter({"BODY_INVALID": 4}),
    }
    assert report.by_status == Counter({202: 5, 401: 5, 409: 2, 422: 4})
    assert report.sent == report.planned == hub.calls == 16
    assert report.retries == 0
    assert set(hub.received) == {r["resultId"] for r in results}


async def test_a_503_is_retried_with_backoff() -> None:
    """4.3/2.6: the hub's 503 (could not make it durable) is retried, like the real platform does."""
    hub = Hub(unavailable_first=2)
    p = person(7)
    result = make_result(p["personalNumber"], p["idNumber"])
    async with hub.client() as client:
        report = await emit(HUB_URL, SECRET, [result], client=client)
    assert report.by_code == Counter({"ACCEPTED": 1})
    assert report.retries == 2 and hub.calls == 3
    assert hub.received == {result["resultId"]: result}


async def test_the_rate_spaces_the_pushes() -> None:
    hub = Hub()
    results = [make_result(p["personalNumber"], p["idNumber"]) for p in map(person, range(6))]
    started = time.monotonic()
    async with hub.client() as client:
        report = await emit(HUB_URL, SECRET, results, client=client, rate=50)
    assert time.monotonic() - started >= 5 / 50 - 0.01
    assert report.by_code == Counter({"ACCEPTED": 6})


async def test_admin_emit_pushes_results_for_shared_persons_and_reports_progress() -> None:
    """4.3/2.6: ``POST /admin/emit`` certifies the persons shared to the platform, with their shared ID numbers."""
    hub = Hub()
    async with hub.client() as hub_client:
        app = create_app(settings(), webhook_client=hub_client)
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://platform.test") as platform:
            shared = [person(n) for n in range(3)]
            await platform.post("/v1/persons:batch", json=batch(*shared), headers=AUTH)
            spec = {"count": 6, "rate": 0, "bad": {"duplicate": 1, "bad_signature": 1}, "failed_ratio": 0.5}
            started = await platform.post("/admin/emit", json=spec)
            assert started.status_code == 202
            job = started.json()["job"]
            progress: dict[str, Any] = {}
            for _ in range(200):
                progress = (await platform.get(f"/admin/emit/{job}")).json()
                if progress["state"] != "running":
                    break
                await asyncio.sleep(0.01)
            assert progress["state"] == "done", progress
            assert progress["sent"] == 8
            assert progress["by_status"] == {"202": 6, "401": 1, "409": 1}
            assert progress["by_code"] == {"ACCEPTED": 6, "REPLAY": 1, "SIGNATURE_INVALID": 1}
            id_of = {p["personalNumber"]: p["idNumber"] for p in shared}
            assert all(r["idNumber"] == id_of[r["personalNumber"]] for r in hub.received.values())

            nobody = await platform.post("/admin/emit", json={"personal_numbers": ["999"]})
            assert nobody.status_code == 422
            assert (await platform.get("/admin/emit/unknown")).status_code == 404


async def test_background_emission_certifies_shared_persons() -> None:
    hub = Hub()
    async with hub.client() as hub_client:
        app = create_app(settings(rate=100.0), webhook_client=hub_client)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://platform.test") as platform,
        ):
            await platform.post("/v1/persons:batch", json=batch(person(1)), headers=AUTH)
            for _ in range(500):  # a condition, not a timing: wait until a few pushes went out
                background = (await platform.get("/admin/background")).json()
                if background["sent"] >= 5:
                    break
                await asyncio.sleep(0.02)
    assert background["sent"] >= 5
    assert set(background["by_code"]) == {"ACCEPTED"}
    assert {r["personalNumber"] for r in hub.received.values()} == {person(1)["personalNumber"]}


def test_the_report_summarises_latencies() -> None:
    report = EmitReport(sent=2, latencies=[0.010, 0.020])
    summary = report.as_dict()
    assert summary["latency_ms"]["max"] == 20.0
    assert summary["sent"] == 2
