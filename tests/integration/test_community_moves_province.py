"""A community split (4.8) told to the province (6.22) through the real outbox relay, Kafka and the simulated
platform: each moved person arrives once as an ``ORG_CHANGE`` with the new community's code and reason ORG, the
platform records the person's new managing organisation, and its acknowledgement flows back to the log entries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from app.handlers import provincial_push
from app.jobs import run_community_moves
from connectors.provincial.client import ProvincialClient
from connectors.provincial.outbound import StatusFeedPusher
from domain.status_log.models import StatusChange
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

PEOPLE = 5


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
    breaker = CircuitBreaker(f"it-moves-{uuid.uuid4().hex[:6]}", failure_threshold=3, reset_seconds=2.0)
    client = ProvincialClient(f"{simulator_url}/wsdl", timeout=5.0)
    pushing = provincial_push(StatusFeedPusher(client, breaker))
    group = ConsumerGroup(
        f"it-moves-push-{uuid.uuid4().hex[:8]}",
        pushing.handlers,
        gate=pushing.gate,
        on_dead_letter=pushing.on_dead_letter,
    )
    relay = bootstrap(connector, consumer_groups=(), client_suffix="-relay")
    await relay.broker.connect()
    await relay.outbox_relay().drain()  # other tests' events first, so the group starts after them
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


async def test_4_8_the_province_receives_each_moved_persons_new_institution_once(
    registry_hub: Hub, api: Api, pusher: Hub, simulator_url: str
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        people = [await factories.retiree(session, tree.communities[0]) for _ in range(PEOPLE)]
        staying = await factories.retiree(session, tree.communities[0])
        operator = await factories.account(session, tree.streets[0], "operator")
        numbers = [p.personal_number for p in people]
        ids = [p.id for p in people]
        target_code, stayer = tree.communities[1].code, staying.personal_number
        body = {
            "kind": "split",
            "source_institution_id": tree.communities[0].id,
            "target_institution_id": tree.communities[1].id,
            "selection": {"retiree_ids": ids},
            "reason": "社区拆分",
        }
    token = await api.token(operator.username)
    created = await api.call("POST", "/api/v1/community-moves", token, json=body)
    assert created.status_code == 202, created.text
    await run_community_moves(registry_hub, chunk=2)
    await run_community_moves(registry_hub, chunk=2)  # again: nothing more is sent

    async with httpx.AsyncClient(base_url=simulator_url, timeout=30) as platform:

        async def all_arrived() -> bool:
            await pusher.outbox_relay().drain()
            counts = [len(await _pushes(platform, n)) for n in numbers]
            return all(counts)

        await wait_until(all_arrived, 90, "an ORG_CHANGE for every moved person")

        async def acknowledged() -> bool:
            async with registry_hub.sessions() as session:
                states = await session.execute(
                    select(col(StatusChange.sync_state)).where(
                        col(StatusChange.retiree_id).in_(ids), col(StatusChange.kind) == "institution_changed"
                    )
                )
                return sorted(states.scalars()) == ["acknowledged"] * PEOPLE

        await wait_until(acknowledged, 60, "the acknowledgements written back to the log entries")
        await pusher.outbox_relay().drain()
        for number in numbers:
            records = await _pushes(platform, number)
            assert [(r["businessType"], r["record"]["reasonCode"], r["record"]["orgCode"]) for r in records] == [
                ("ORG_CHANGE", "ORG", target_code)
            ]
            org = (await platform.get(f"/admin/orgs/{number}")).json()
            assert org["orgCode"] == target_code
        assert await _pushes(platform, stayer) == []
