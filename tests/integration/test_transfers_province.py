"""Transfers (4.4) told to the province (6.22) through the real outbox relay, Kafka and the simulated platform: each
step of a transfer — out (TRANSFER_OUT, TOUT), cancelled (ERROR_RESTORE, TCAN, reversing it), out again, taken in
(TRANSFER_IN, TIN), taken in a second time (nothing) — arrives once and in order for the person, and the platform's
status code follows (a cancelled transfer out is undone)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.retirees.models import Retiree
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api
from tests.support.harness import wait_until
from tests.support.provincial import platform_pushes

pytestmark = pytest.mark.integration


async def test_4_4_the_province_receives_each_step_of_a_transfer_once_and_in_order(
    registry_hub: Hub, api: Api, province_relay: Hub, simulator_url: str
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
            await province_relay.outbox_relay().drain()

            async def arrived() -> bool:
                return len(await platform_pushes(platform, aac001)) >= count

            await wait_until(arrived, 90, f"{count} business records")
            return await platform_pushes(platform, aac001)

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
        await province_relay.outbox_relay().drain()
        assert len(await platform_pushes(platform, aac001)) == 4
