"""The authentication platform's face-result webhook (issue 5; docs/auth-platform-contract.md), through the real
API, real Kafka and the registry's real consumer: a signed result certifies the retiree within seconds; a replay,
a forged, stale or malformed push, a bad ID number, an unknown person each get a clear 4xx and leave no trace;
with Kafka unreachable the answer is 503 and nothing is kept, so the platform's retry is safe (4.5, 2.6)."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from app.api import create_app
from connectors.auth_platform.models import FaceResultReceipt
from connectors.auth_platform.signature import sign
from domain.certifications.models import CertificationReport
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Status, Suspend
from domain.retirees.models import Retiree
from domain.status_log import service as status_log
from domain.status_log.models import CauseType, StatusChange
from hub.bootstrap import Hub, bootstrap
from hub.models import OutboxMessage
from hub.settings import Settings
from tests import factories
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

URL = "/api/v1/auth-platform/face-results"
CHINA = ZoneInfo("Asia/Shanghai")


def _body(person: Retiree, result_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resultId": result_id,
        "personalNumber": person.personal_number,
        "idNumber": person.id_number,
        "certifiedAt": datetime.now(CHINA).replace(microsecond=0).isoformat(),
        "result": "passed",
        "score": 0.93,
        "deviceId": "app-test",
    }
    body.update(changes)
    return body


async def _push(
    client: httpx.AsyncClient,
    settings: Settings,
    body: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    stamp = timestamp if timestamp is not None else int(time.time())
    signature = sign((secret or settings.auth_platform_webhook_secret).encode(), stamp, raw)
    headers = {"X-Signature-Timestamp": str(stamp), "X-Signature": signature, "Content-Type": "application/json"}
    return await client.post(URL, content=raw, headers=headers)


@pytest.fixture
async def webhook(registry_hub: Hub, settings: Settings) -> Any:
    app = create_app(settings, hub=registry_hub)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        yield client


async def _person(hub: Hub, *, suspended: bool = False) -> Retiree:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        person = await factories.retiree(session, tree.communities[0])
        if suspended:
            assert person.id is not None
            locked = await status_log.locked_retiree(session, person.id)
            locked.last_certified_on = date.today() - timedelta(days=200)
            await status_log.apply(
                hub.unit_of_work(session, "test"),
                factories.SETUP,
                locked,
                Suspend(ReasonCode.CERTIFICATION_OVERDUE),
                effective_date=date.today() - timedelta(days=10),
                cause=status_log.Cause(CauseType.RULE, "test"),
            )
        session.expunge(person)
        return person


async def _traces(hub: Hub, result_id: str) -> tuple[int, int]:
    async with hub.sessions() as session:
        receipts = await session.scalar(select(func.count()).where(col(FaceResultReceipt.result_id) == result_id))
        reports = await session.scalar(select(func.count()).where(col(CertificationReport.source_id) == result_id))
    return int(receipts or 0), int(reports or 0)


async def test_a_signed_result_certifies_the_retiree_within_seconds_and_a_replay_is_refused(
    webhook: httpx.AsyncClient, settings: Settings, registry_hub: Hub, registry_worker: Any
) -> None:
    person = await _person(registry_hub)
    result_id = f"FACE-{person.personal_number}"
    accepted = await _push(webhook, settings, _body(person, result_id))
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["code"] == "ACCEPTED"

    async def certified() -> bool:
        async with registry_hub.sessions() as session:
            current = await session.get(Retiree, person.id)
            return current is not None and current.last_certified_on == datetime.now(CHINA).date()

    await wait_until(certified, 20, "the face result applied to the retiree")
    replay = await _push(webhook, settings, _body(person, result_id))
    assert replay.status_code == 409 and replay.json()["code"] == "REPLAY", replay.text
    assert "已于" in replay.json()["message"]
    assert await _traces(registry_hub, result_id) == (1, 1)


async def test_a_certified_suspended_retiree_is_resumed_and_the_province_is_told_both_in_order(
    webhook: httpx.AsyncClient, settings: Settings, registry_hub: Hub, registry_worker: Any
) -> None:
    person = await _person(registry_hub, suspended=True)
    response = await _push(webhook, settings, _body(person, f"FACE-R{person.personal_number}"))
    assert response.status_code == 202, response.text

    async def resumed() -> bool:
        async with registry_hub.sessions() as session:
            current = await session.get(Retiree, person.id)
            return current is not None and current.status == Status.REGISTERED.value

    await wait_until(resumed, 20, "the suspended retiree resumed by the face result")
    async with registry_hub.sessions() as session:
        log = (
            (
                await session.execute(
                    select(StatusChange).where(col(StatusChange.retiree_id) == person.id).order_by(col(StatusChange.id))
                )
            )
            .scalars()
            .all()
        )
        told = (
            await session.execute(
                select(col(OutboxMessage.payload))
                .where(col(OutboxMessage.key) == person.personal_number)
                .where(col(OutboxMessage.event_type) == "person_status.changed")
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        to_province = [(event["change_kind"], event["reason_code"]) for event in map(json.loads, told)]
    expected = [("suspended", ReasonCode.CERTIFICATION_OVERDUE.value), ("resumed", "R01")]
    assert [(entry.kind, entry.reason_code) for entry in log][-2:] == expected
    assert to_province[-2:] == expected


@pytest.mark.parametrize(
    ("case", "status", "code", "field"),
    [
        ("forged signature", 401, "SIGNATURE_INVALID", None),
        ("stale timestamp", 401, "TIMESTAMP_STALE", None),
        ("no signature", 401, "SIGNATURE_MISSING", None),
        ("not JSON", 422, "BODY_INVALID", "body"),
        ("missing result", 422, "BODY_INVALID", "result"),
        ("ID check character wrong", 422, "BODY_INVALID", "idNumber"),
        ("result in the future", 422, "BODY_INVALID", "certifiedAt"),
        ("unknown person", 422, "PERSON_UNKNOWN", "personalNumber"),
        ("someone else's ID number", 422, "ID_NUMBER_MISMATCH", "idNumber"),
    ],
)
async def test_a_bad_push_gets_a_clear_4xx_and_leaves_no_trace(
    webhook: httpx.AsyncClient, settings: Settings, registry_hub: Hub, case: str, status: int, code: str, field: str
) -> None:
    person = await _person(registry_hub)
    result_id = f"BAD-{person.personal_number}"
    body = _body(person, result_id)
    if case == "forged signature":
        response = await _push(webhook, settings, body, secret="not-the-shared-secret")
    elif case == "stale timestamp":
        response = await _push(webhook, settings, body, timestamp=int(time.time()) - 600)
    elif case == "no signature":
        response = await webhook.post(URL, json=body)
    elif case == "not JSON":
        response = await _push(webhook, settings, b'{"resultId": "BAD-1", ')
    elif case == "missing result":
        del body["result"]
        response = await _push(webhook, settings, body)
    elif case == "ID check character wrong":
        wrong = "0" if person.id_number[-1] != "0" else "1"
        response = await _push(webhook, settings, {**body, "idNumber": person.id_number[:-1] + wrong})
    elif case == "result in the future":
        later = (datetime.now(CHINA) + timedelta(hours=2)).isoformat()
        response = await _push(webhook, settings, {**body, "certifiedAt": later})
    elif case == "unknown person":
        response = await _push(webhook, settings, {**body, "personalNumber": factories.personal_number()})
    else:
        response = await _push(webhook, settings, {**body, "idNumber": factories.id_number()})
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code and answer["message"], answer
    if field is not None:
        assert answer["detail"]["field"] == field, answer
    assert await _traces(registry_hub, result_id) == (0, 0)


async def test_with_kafka_unreachable_the_push_is_refused_with_503_and_nothing_is_kept(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:1"})
    hub = bootstrap(unreachable, consumer_groups=())
    try:
        person = await _person(hub)
        app = create_app(unreachable, hub=hub)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
            response = await _push(client, settings, _body(person, f"DOWN-{person.personal_number}"))
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "UNAVAILABLE"
        assert await _traces(hub, f"DOWN-{person.personal_number}") == (0, 0)
    finally:
        await hub.engine.dispose()
