"""A suspension made by the nightly rule reaches the provincial platform (issue 5, 4.5 and 6.22), through the real
processes: the provincial simulator, `hub relay` and `hub worker --group provincial-push` run as the deployment runs
them, and `hub rules run` is the command the nightly schedule runs.

The rule runs "as of" 1 January 1970, so the only retiree it can find overdue is this test's own (certified in
1969, more than six months before); every other test's retirees are certified or registered far later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from app.migrate import upgrade
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.status_log.models import StatusChange
from hub.bootstrap import bootstrap
from hub.settings import Settings
from tests import factories
from tests.support.barriers import wait_until_handled
from tests.support.harness import hub_cli
from tests.support.processes import hub_env, processes
from tests.support.provincial import TEST_DATABASE_URL as SIMULATOR_DATABASE_URL
from tests.support.provincial import free_port, platform_pushes

pytestmark = pytest.mark.e2e

AS_OF = "1970-01-01"
LAST_CERTIFIED = date(1969, 6, 30)  # the last day still in time is 1 July 1969
DEADLINE_SECONDS = 120.0


@pytest.fixture
def running_system(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The simulator, the relay and the provincial-push worker as processes; yields the simulator's base URL."""
    upgrade(settings)
    port = free_port()
    simulator = f"http://127.0.0.1:{port}"
    env = hub_env(
        settings,
        HUB_PROVINCIAL_WSDL_URL=f"{simulator}/wsdl",
        HUB_OUTBOX_POLL_SECONDS="0.5",
        SIM_PROVINCIAL_DATABASE_URL=SIMULATOR_DATABASE_URL,
        SIM_PROVINCIAL_PORT=str(port),
    )
    with processes(env, tmp_path) as started:
        started.start("simulator", "simulators.provincial", "--port", str(port))
        started.hub("relay", "relay", "--metrics-port", str(free_port()))
        started.hub("worker", "worker", "--group", "provincial-push", "--metrics-port", str(free_port()))
        started.wait_for(f"{simulator}/health", 30)
        yield simulator


async def _rules_run(settings: Settings) -> str:
    """`hub rules run` as the nightly schedule runs it; its printed report. Its environment names the database and
    the topic prefix (the topic its outbox rows are written for), not the broker: it writes only to the outbox."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
    }
    done = await hub_cli("rules", "run", "--today", AS_OF, "--rule", "certification_overdue", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


async def _overdue_retiree(settings: Settings, personal_number: str) -> int:
    """A registered retiree of the platform's, last certified in 1969: overdue as of 1970."""
    hub = bootstrap(settings, consumer_groups=())
    try:
        async with hub.sessions() as session, session.begin():
            tree = await factories.tree(session)
            person = await factories.retiree(session, tree.communities[0], status=Status.REGISTERED)
            person.personal_number = personal_number
            person.registered_on = date(1969, 1, 2)
            person.last_certified_on = LAST_CERTIFIED
            await session.flush()
            assert person.id is not None
            return person.id
    finally:
        await hub.engine.dispose()


async def test_a_suspension_by_the_nightly_rule_reaches_the_provincial_platform(
    settings: Settings, running_system: str
) -> None:
    """4.5 + 6.22: `hub rules run` suspends the overdue retiree; the relay and the provincial-push worker deliver
    the SUSPEND record to the platform, whose copy of the retiree is suspended too; the status-change log holds the
    platform's receipt. A second run the same day suspends nobody and the platform gets nothing more."""
    async with httpx.AsyncClient(base_url=running_system, timeout=30) as admin:
        created = await admin.post("/admin/retirees", json={"count": 1})
        created.raise_for_status()
        personal_number = created.json()["aac001s"][0]
        retiree_id = await _overdue_retiree(settings, personal_number)

        report = await _rules_run(settings)
        assert "certification_overdue: " in report, report
        assert "certification_overdue: 0 suspended" not in report, report

        deadline = time.monotonic() + DEADLINE_SECONDS
        while not (pushes := await platform_pushes(admin, personal_number)):
            assert time.monotonic() < deadline, f"no push for {personal_number} within {DEADLINE_SECONDS:.0f}s"
            await asyncio.sleep(0.5)
        assert [p["businessType"] for p in pushes] == ["SUSPEND"]
        platform_copy = (await admin.get(f"/admin/retirees/{personal_number}")).json()

        hub = bootstrap(settings, consumer_groups=())
        try:
            while True:
                async with hub.sessions() as session:
                    retiree = await session.get(Retiree, retiree_id)
                    changes = (
                        (await session.execute(select(StatusChange).where(col(StatusChange.retiree_id) == retiree_id)))
                        .scalars()
                        .all()
                    )
                if changes and all(change.receipt_no for change in changes):
                    break
                assert time.monotonic() < deadline, "the platform's receipt never reached the status-change log"
                await asyncio.sleep(0.5)
        finally:
            await hub.engine.dispose()

        assert retiree is not None and retiree.status == Status.SUSPENDED.value
        assert retiree.suspension_reason == ReasonCode.CERTIFICATION_OVERDUE.value
        assert [(c.to_status, c.receipt_no) for c in changes] == [("suspended", pushes[0]["receiptNo"])]
        assert platform_copy["aae116"] == "2", platform_copy  # the platform's payment status: suspended

        again = await _rules_run(settings)
        assert "certification_overdue: 0 suspended" in again, again
        # A wrongly repeated suspension would go outbox -> relay -> provincial-push -> platform: wait until that
        # group has handled everything the relay has sent of what the second run wrote.
        hub = bootstrap(settings, consumer_groups=())
        try:
            topic = hub.catalog.topic_for("person_status.changed")
            await wait_until_handled(hub, group="provincial-push", topics=[topic], relayed=True)
        finally:
            await hub.engine.dispose()
        assert len(await platform_pushes(admin, personal_number)) == 1
