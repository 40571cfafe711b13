"""A community split (4.8) told to the province (6.22) through the real outbox relay, Kafka and the simulated
platform: each moved person arrives once as an ``ORG_CHANGE`` with the new community's code and reason ORG, the
platform records the person's new managing organisation, and its acknowledgement flows back to the log entries."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from app.jobs import run_community_moves
from domain.status_log.models import StatusChange
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api
from tests.support.harness import wait_until
from tests.support.provincial import platform_pushes

pytestmark = pytest.mark.integration

PEOPLE = 5


async def test_4_8_the_province_receives_each_moved_persons_new_institution_once(
    registry_hub: Hub, api: Api, province_relay: Hub, simulator_url: str
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
            await province_relay.outbox_relay().drain()
            counts = [len(await platform_pushes(platform, n)) for n in numbers]
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
        await province_relay.outbox_relay().drain()
        for number in numbers:
            records = await platform_pushes(platform, number)
            assert [(r["businessType"], r["record"]["reasonCode"], r["record"]["orgCode"]) for r in records] == [
                ("ORG_CHANGE", "ORG", target_code)
            ]
            org = (await platform.get(f"/admin/orgs/{number}")).json()
            assert org["orgCode"] == target_code
        assert await platform_pushes(platform, stayer) == []
