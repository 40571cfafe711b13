"""Reconciliation between the registry and the provincial platform (issue 4, deliverable 4; 6.22):
connectors/provincial/reconcile.py against the provincial simulator (run in-process under uvicorn, on the
provincial_sim_test database, as tests/integration/test_provincial_simulator.py does) and the registry's test
database.

Each test owns a range of personal numbers ("1309" + random digits), so tests share both databases without wiping
them. The platform's retirees are made with the simulator's admin ``/admin/retirees``; their ID numbers are replaced
with fresh test numbers (areas 65xxxx, tests/factories.py) so that copying them into the registry never collides
with an earlier run."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client import REGISTRY as PROMETHEUS
from sqlalchemy import select
from sqlmodel import col

from connectors.provincial.client import ProvincialClient
from connectors.provincial.feeds import FeedOutput
from connectors.provincial.mapping import business_record, change_event
from connectors.provincial.reconcile import (
    LDT92_COLUMNS,
    Action,
    Cause,
    Reconciliation,
    digest,
    reconcile,
    repull,
    repull_record,
    resend,
)
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Status, Suspend
from domain.retirees.models import Retiree
from domain.shared.actor import system_actor
from domain.status_log import service as status_log
from domain.status_log.models import CauseType, StatusChange
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from simulators.provincial.models import RETIREE_FIELDS
from simulators.provincial.store import digest as platform_digest
from tests import factories
from tests.support.harness import wait_until
from tests.support.provincial import TEST_DATABASE_URL

pytestmark = pytest.mark.integration

SIM_DSN = TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
STAFF = system_actor("reconcile-test")


@pytest.fixture
async def admin(simulator_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=simulator_url, timeout=30) as client:
        yield client


@pytest.fixture
async def client(simulator_url: str) -> AsyncIterator[ProvincialClient]:
    provincial = ProvincialClient(f"{simulator_url}/wsdl", timeout=10)
    yield provincial
    await provincial.close()


class People:
    """A range of personal numbers owned by one test."""

    def __init__(self) -> None:
        self.base = f"1309{random.randrange(10**10):010d}"
        self.first, self.last = f"{self.base}00", f"{self.base}99"

    def number(self, i: int) -> str:
        return f"{self.base}{i:02d}"


async def _fresh_id_number(hub: Hub, birth: date, sex: str) -> str:
    async with hub.sessions() as session:
        while True:
            number = factories.id_number(birth, sex)
            taken = await session.execute(select(col(Retiree.id)).where(col(Retiree.id_number) == number))
            if taken.first() is None:
                return number


async def _at_platform(admin: httpx.AsyncClient, hub: Hub, numbers: list[str]) -> dict[str, dict[str, str]]:
    """Platform retirees with these personal numbers (their ID numbers made unique for the registry)."""
    (await admin.post("/admin/retirees", json={"count": len(numbers), "aac001s": numbers})).raise_for_status()
    people = {}
    async with await psycopg.AsyncConnection.connect(SIM_DSN) as connection:
        for number in numbers:
            payload: dict[str, str] = (await admin.get(f"/admin/retirees/{number}")).raise_for_status().json()
            payload["aac002"] = await _fresh_id_number(hub, date.fromisoformat(payload["aac006"]), payload["aac004"])
            await connection.execute(
                "UPDATE platform_retiree SET aac002 = %s WHERE aac001 = %s", (payload["aac002"], number)
            )
            people[number] = payload
    return people


def _retiree(p: dict[str, str]) -> Retiree:
    def day(name: str) -> date | None:
        return date.fromisoformat(p[name]) if p.get(name) else None

    return Retiree(
        personal_number=p["aac001"],
        id_number=p["aac002"],
        name=p["aac003"],
        sex=p["aac004"],
        birth_date=date.fromisoformat(p["aac006"]),
        retirement_date=day("aic162"),
        retirement_category=p.get("aic161"),
        approval_date=day("aic160"),
        insuring_agency_code=p["aab034"],
        employer_code=p.get("aab001"),
        payment_status=p["aae116"],
        monthly_pension=Decimal(p["aic166"]),
        residence_address=p.get("aae006"),
        phone=p.get("aae005"),
        status=Status.APPROVED,
    )


async def _in_registry(hub: Hub, people: list[dict[str, str]]) -> None:
    async with hub.sessions() as session, session.begin():
        session.add_all([_retiree(p) for p in people])


async def _registry_only(hub: Hub, number: str) -> None:
    birth = date(1958, 6, 9)
    async with hub.sessions() as session, session.begin():
        session.add(
            Retiree(
                personal_number=number,
                id_number=await _fresh_id_number(hub, birth, "1"),
                name="刘振华",
                sex="1",
                birth_date=birth,
                retirement_date=date(2018, 7, 1),
                insuring_agency_code="130102",
                payment_status="1",
                monthly_pension=Decimal("3520.00"),
                status=Status.APPROVED,
            )
        )


def _causes(result: Reconciliation) -> list[tuple[str, Cause, Action]]:
    return [(d.personal_number, d.cause, d.action) for d in result.differences]


async def test_digest_is_the_platforms(registry_hub: Hub, admin: httpx.AsyncClient, client: ProvincialClient) -> None:
    """Issue 4 deliverable 4: the registry-side digest uses the contract's field order and formats, so it equals the
    platform's own digest (simulators/provincial/store.py) for the same retiree."""
    assert tuple(LDT92_COLUMNS) == RETIREE_FIELDS
    people = People()
    number = people.number(1)
    payload = (await _at_platform(admin, registry_hub, [number]))[number]
    page = await client.status_digest(number, number, 10)
    assert page.count == 1
    assert page.entries[0]["digest"] == platform_digest(payload, "1")
    platform = await client.get_retiree(number)  # date and Decimal values, as the registry holds them
    assert digest(platform, "1") == page.entries[0]["digest"]


async def test_identical_sides_have_no_differences(
    registry_hub: Hub, admin: httpx.AsyncClient, client: ProvincialClient
) -> None:
    """Issue 4 deliverable 4 (6.22): the same retirees on both sides, walked in pages of 2 -> nothing to repair;
    every person compared once; the gauge hub_provincial_reconciliation_differences is set per cause."""
    people = People()
    platform = await _at_platform(admin, registry_hub, [people.number(i) for i in range(1, 6)])
    await _in_registry(registry_hub, list(platform.values()))
    result = await reconcile(registry_hub.sessions, client, people.first, people.last, page=2, set_metrics=True)
    assert result.differences == []
    assert (result.platform_count, result.registry_count, result.compared) == (5, 5, 5)
    assert result.by_cause() == {cause.value: 0 for cause in Cause}
    for cause in Cause:
        value = PROMETHEUS.get_sample_value("hub_provincial_reconciliation_differences", {"cause": cause.value})
        assert value == 0


async def test_missing_on_either_side(registry_hub: Hub, admin: httpx.AsyncClient, client: ProvincialClient) -> None:
    """Issue 4 deliverable 4: a person only at the platform is missing_in_registry (repull); a person only in the
    registry is missing_at_platform (report); the others compare equal."""
    people = People()
    both, platform_only, registry_only = people.number(1), people.number(2), people.number(3)
    platform = await _at_platform(admin, registry_hub, [both, platform_only])
    await _in_registry(registry_hub, [platform[both]])
    await _registry_only(registry_hub, registry_only)
    result = await reconcile(registry_hub.sessions, client, people.first, people.last, page=1)
    assert _causes(result) == [
        (platform_only, Cause.MISSING_IN_REGISTRY, Action.REPULL),
        (registry_only, Cause.MISSING_AT_PLATFORM, Action.REPORT),
    ]
    assert (result.platform_count, result.registry_count, result.compared) == (2, 2, 1)
    assert "省平台无此人员" in result.differences[1].detail
    assert result.by_cause()["missing_in_registry"] == 1 and result.by_cause()["missing_at_platform"] == 1


async def test_status_difference_with_failed_entry_is_resent(
    registry_hub: Hub, admin: httpx.AsyncClient, client: ProvincialClient
) -> None:
    """Issue 4 deliverable 4 / 6.22: a suspension whose push failed leaves the platform paying (aae116 1) -> cause
    status_differs naming the failed entry, action resend. resend puts person_status.changed back into the outbox
    with the same log entry id (the platform's idempotency key) and the entry back to pending; once that record is
    pushed and acknowledged, reconciliation finds nothing."""
    people = People()
    number = people.number(1)
    platform = await _at_platform(admin, registry_hub, [number])
    await _in_registry(registry_hub, [platform[number]])
    async with registry_hub.sessions() as session, session.begin():
        retiree = (await session.execute(select(Retiree).where(col(Retiree.personal_number) == number))).scalar_one()
        uow = registry_hub.unit_of_work(session, "test")
        entry = await status_log.apply(
            uow,
            STAFF,
            retiree,
            Suspend(ReasonCode.CERTIFICATION_OVERDUE),
            effective_date=date(2026, 3, 1),
            cause=status_log.Cause(CauseType.STAFF),
        )
        entry_id, entry_pk = entry.entry_id, entry.id
        await status_log.record_push_failure(session, entry_id, "推送失败：测试")

    result = await reconcile(registry_hub.sessions, client, people.first, people.last)
    assert _causes(result) == [(number, Cause.STATUS_DIFFERS, Action.RESEND)]
    detail = result.differences[0].detail
    assert entry_id in detail and "failed" in detail and "推送失败：测试" in detail
    assert "aae116)=1" in detail and "aae116)=2" in detail

    assert await resend(registry_hub.sessions, registry_hub.unit_of_work, result.personal_numbers(Action.RESEND)) == 1
    async with registry_hub.sessions() as session:
        stored = await session.get(StatusChange, entry_pk)
        assert stored is not None and (stored.sync_state, stored.sync_error) == ("pending", None)
        rows = (
            await session.execute(
                select(OutboxMessage)
                .where(col(OutboxMessage.event_type) == "person_status.changed", col(OutboxMessage.key) == number)
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        events = [json.loads(row.payload) for row in rows]
    assert len(events) == 2  # the original and the resend
    original, again = events
    assert again == original | {"entered_at": again["entered_at"]}
    assert again["log_entry_id"] == entry_id and again["change_kind"] == "suspended"

    # What the outbound pusher does with the resent event (connectors/provincial/outbound.py).
    ack = await client.push(business_record(again))
    assert not ack.duplicate
    pushes = (await admin.get("/admin/pushes", params={"aac001": number})).json()["pushes"]
    assert [p["idempotencyKey"] for p in pushes] == [entry_id]
    async with registry_hub.sessions() as session, session.begin():
        assert await status_log.record_acknowledgement(session, entry_id, ack.receipt_no)
    after = await reconcile(registry_hub.sessions, client, people.first, people.last)
    assert after.differences == [] and after.compared == 1


async def test_base_info_difference_repulled(
    registry_worker: Any, registry_hub: Hub, admin: httpx.AsyncClient, client: ProvincialClient
) -> None:
    """Issue 4 deliverable 4: a name changed in the registry -> base_info_differs naming aac003 (action repull);
    repull publishes retiree.approved from GetRetiree, the registry's handler refreshes the base info, and
    reconciliation then reports nothing for that person. The same content gives the same event id."""
    _, publisher_hub = registry_worker
    people = People()
    changed, untouched = people.number(1), people.number(2)
    platform = await _at_platform(admin, registry_hub, [changed, untouched])
    await _in_registry(registry_hub, list(platform.values()))
    async with registry_hub.sessions() as session, session.begin():
        retiree = (await session.execute(select(Retiree).where(col(Retiree.personal_number) == changed))).scalar_one()
        retiree.name = "改错的名"

    result = await reconcile(registry_hub.sessions, client, people.first, people.last)
    assert _causes(result) == [(changed, Cause.BASE_INFO_DIFFERS, Action.REPULL)]
    assert "姓名(aac003)" in result.differences[0].detail
    assert "aac002" not in result.differences[0].detail

    output = FeedOutput(publisher_hub.publisher, publisher_hub.schemas, publisher_hub.catalog)
    source = "urn:retiree-hub:test/provincial"
    assert await repull(output, client, result.personal_numbers(Action.REPULL), source=source) == 1
    payload = await client.get_retiree(changed)
    ids = {change_event(repull_record(payload, datetime.now(UTC)), source=source, read_at=datetime.now(UTC)).id}
    ids.add(
        change_event(
            repull_record(payload, datetime(2030, 1, 1, tzinfo=UTC)), source=source, read_at=datetime.now(UTC)
        ).id
    )
    assert len(ids) == 1

    async def refreshed() -> bool:
        async with registry_hub.sessions() as session:
            name = await session.execute(select(col(Retiree.name)).where(col(Retiree.personal_number) == changed))
            return name.scalar_one() == platform[changed]["aac003"]

    await wait_until(refreshed, 30, "the repulled base info to reach the registry")
    after = await reconcile(registry_hub.sessions, client, people.first, people.last)
    assert after.differences == [] and after.compared == 2
