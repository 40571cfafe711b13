"""Transfers (4.4) told to the province (6.22) through the real outbox relay, Kafka and the simulated platform: each
step of a transfer — out (TRANSFER_OUT, TOUT), cancelled (ERROR_RESTORE, TCAN, reversing it), out again, taken in
(TRANSFER_IN, TIN), taken in a second time (nothing) — arrives once and in order for the person, and the platform's
status code follows (a cancelled transfer out is undone)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from app.handlers import provincial_push
from connectors.provincial.client import ProvincialClient
from connectors.provincial.outbound import StatusFeedPusher
from domain.retirees.models import Retiree
from hub.bootstrap import Hub, bootstrap
from hub.breaker import CircuitBreaker
from hub.consumer import ConsumerGroup
from hub.kafka_admin import ensure_topics
from hub.settings import Settings
from tests import factories
from tests.integration.conftest import start_at_end
from tests.support.api import Api
from tests.support.harness import Background, wait_until
from tests.support.provincial import TEST_DATABASE_URL, serve_simulator

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def simulator_url() -> Iterator[str]:
    with serve_simulator() as url:
        yield url


@pytest.fixture
async def pusher(settings: Settings, simulator_url: str) -> AsyncIterator[Hub]:
    """The provincial push under a fresh group at the end of its topics; yields a hub whose relay drains the outbox."""
    connector = settings.model_copy(
        update={"provincial_wsdl_url": f"{simulator_url}/wsdl", "provincial_exchange_dsn": TEST_DATABASE_URL}
    )
    breaker = CircuitBreaker(f"it-transfer-{uuid.uuid4().hex[:6]}", failure_threshold=3, reset_seconds=2.0)
    client = ProvincialClient(f"{simulator_url}/wsdl", timeout=5.0)
    pushing = provincial_push(StatusFeedPusher(client, breaker))
    group = ConsumerGroup(
        f"it-transfer-push-{uuid.uuid4().hex[:8]}",
        pushing.handlers,
        gate=pushing.gate,
        on_dead_letter=pushing.on_dead_letter,
    )
    # Other tests leave their events in the outbox: relay them before the group starts at the end of its topics,
    # so it pushes this test's steps, not a backlog of thousands.
    relay = bootstrap(connector, consumer_groups=(), client_suffix="-relay")
    await relay.broker.connect()
    await relay.outbox_relay().drain()
    hub = bootstrap(connector, consumer_groups=[group])
    names = group.topics(hub.catalog)
    wanted = (*names, hub.catalog.dead_letter_topic(group.name))
    await ensure_topics(connector.kafka_bootstrap_servers, [t for t in hub.catalog if t.name in wanted], 1)
    await start_at_end(connector, group.name, [t for t in hub.catalog if t.name in names])
    background = Background()
    background.start_worker(hub)
    try:
        yield relay
    finally:
        await background.close()
        await relay.close()
        await client.close()


async def _pushes(platform: httpx.AsyncClient, aac001: str) -> list[dict[str, Any]]:
    response = await platform.get("/admin/pushes", params={"aac001": aac001})
    response.raise_for_status()
    pushes: list[dict[str, Any]] = response.json()["pushes"]
    return pushes


async def test_4_4_the_province_receives_each_step_of_a_transfer_once_and_in_order(
    registry_hub: Hub, api: Api, pusher: Hub, simulator_url: str
) -> None:
    async with httpx.AsyncClient(base_url=simulator_url, timeout=30) as platform:
        # A number of the registry's own test numbering, not the simulator's: the simulator's database is reset per
        # module and hands out its first numbers again, which earlier tests' people may hold in the kept registry.
        aac001 = factories.personal_number()
        created = await platform.post("/admin/retirees", json={"count": 1, "aac001s": [aac001]})
        created.raise_for_status()
        assert created.json()["aac001s"] == [aac001]
        async with registry_hub.sessions() as session, session.begin():
            taken = await session.execute(select(col(Retiree.id)).where(col(Retiree.personal_number) == aac001))
            assert taken.first() is None, "the platform handed out a number the registry already has"
            tree = await factories.tree(session)
            person = await factories.retiree(session, tree.communities[0])
            person.personal_number = aac001
            sender = await factories.account(session, tree.communities[0], "operator")
            receiver = await factories.account(session, tree.communities[1], "operator")
            retiree_id, to_id = person.id, tree.communities[1].id
        sending, receiving = await api.token(sender.username), await api.token(receiver.username)
        body = {"kind": "within_city", "to_institution_id": to_id}

        async def pushed(count: int) -> list[dict[str, Any]]:
            await pusher.outbox_relay().drain()

            async def arrived() -> bool:
                return len(await _pushes(platform, aac001)) >= count

            await wait_until(arrived, 90, f"{count} business records")
            return await _pushes(platform, aac001)

        first = (await api.call("POST", f"/api/v1/retirees/{retiree_id}/transfers", sending, json=body)).json()
        await pushed(1)
        assert (await platform.get(f"/admin/retirees/{aac001}")).json()["status_code"] == "3"
        cancel = await api.call("POST", f"/api/v1/transfers/{first['id']}/cancel", sending, json={})
        assert cancel.status_code == 200, cancel.text
        await pushed(2)
        assert (await platform.get(f"/admin/retirees/{aac001}")).json()["status_code"] == "1"

        second = (await api.call("POST", f"/api/v1/retirees/{retiree_id}/transfers", sending, json=body)).json()
        for _ in range(2):  # the take-in arriving twice is one step
            taken_in = await api.call("POST", f"/api/v1/transfers/{second['id']}/take-in", receiving, json={})
            assert taken_in.status_code == 200, taken_in.text
        records = await pushed(4)
        assert [(r["businessType"], r["record"]["reasonCode"]) for r in records] == [
            ("TRANSFER_OUT", "TOUT"),
            ("ERROR_RESTORE", "TCAN"),
            ("TRANSFER_OUT", "TOUT"),
            ("TRANSFER_IN", "TIN"),
        ]
        assert records[1]["record"]["reversesRecord"] == records[0]["idempotencyKey"]
        assert len({r["idempotencyKey"] for r in records}) == 4
        assert (await platform.get(f"/admin/retirees/{aac001}")).json()["status_code"] == "1"
        await pusher.outbox_relay().drain()
        assert len(await _pushes(platform, aac001)) == 4
