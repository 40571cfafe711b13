"""A 12,000-person community split (4.8) applied once although ``hub moves run`` is SIGKILLed in the middle: the
second run carries on where the first stopped, and every person is moved, logged (6.22) and told to the province
(outbox) exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta

import pytest
from sqlalchemy import text

from domain.community_moves import service as moves
from domain.community_moves.models import MoveKind
from domain.community_moves.rules import Selection
from domain.retirees.idnumber import area_codes
from domain.shared import calendar
from domain.shared.actor import Actor
from hub.bootstrap import Hub, bootstrap
from hub.settings import Settings
from tests import factories
from tests.support.harness import PROJECT_ROOT, hub_cli, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PEOPLE = 12_000
CHUNK = 100

# 12,000 retirees in one community, set-based: ID numbers of an unused real area of 宁夏 (64xxxx), birth days from
# 1950 on, 500 sequence numbers a day, the GB 11643 check digit computed in SQL; the sex follows the sequence's parity.
_SEED = text(
    """
    INSERT INTO retiree (personal_number, id_number, name, sex, birth_date, retirement_date, insuring_agency_code,
                         payment_status, institution_id, status, status_since, registered_on, residence_address)
    SELECT 'K' || :area || lpad(g::text, 9, '0'), body || substr('10X98765432', (
               SELECT sum(substr(body, i, 1)::int * (ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2])[i])::int % 11
               FROM generate_series(1, 17) AS i) + 1, 1),
           '测试人员', CASE WHEN g % 2 = 1 THEN '1' ELSE '2' END, birth, birth + interval '60 years',
           '130102', '1', :community, 'registered', :registered, :registered, '和平路' || (g % 50) || '号楼'
    FROM (
        SELECT g, birth, :area || to_char(birth, 'YYYYMMDD') || lpad((g % 500)::text, 3, '0') AS body
        FROM (SELECT g, date '1950-01-01' + (g / 500) AS birth FROM generate_series(0, :n - 1) AS g) AS d
    ) AS seeded
    """
)


async def _free_area(hub: Hub) -> str:
    async with hub.sessions() as session:
        for area in sorted(code for code in area_codes() if code.startswith("64")):
            taken = await session.execute(
                text("SELECT 1 FROM retiree WHERE id_number LIKE :p LIMIT 1"), {"p": f"{area}%"}
            )
            if taken.first() is None:
                return area
    raise AssertionError("no free test area left for the seeded people (64xxxx)")


async def _count(hub: Hub, query: str, **params: object) -> int:
    async with hub.sessions() as session:
        return int((await session.execute(text(query), params)).scalar_one())


async def test_4_8_a_12000_person_split_killed_in_the_middle_is_applied_exactly_once(settings: Settings) -> None:
    hub = bootstrap(settings, consumer_groups=())
    try:
        area = await _free_area(hub)
        async with hub.sessions() as session, session.begin():
            tree = await factories.tree(session)
            source, target = tree.communities[0], tree.communities[1]
            registered = calendar.today() - timedelta(days=30)
            await session.execute(_SEED, {"area": area, "community": source.id, "registered": registered, "n": PEOPLE})
            street = Actor("e2e-street", "staff", "operator", tree.streets[0].id, tree.streets[0].path)
            assert source.id is not None and target.id is not None
            move = await moves.create(
                session,
                street,
                moves.MoveRequest(
                    kind=MoveKind.SPLIT,
                    source_id=source.id,
                    target_id=target.id,
                    effective_date=calendar.today(),
                    reason="e2e: 12,000 people",
                    selection=Selection(address_contains="和平路"),
                ),
            )
            move_id, target_id = move.id, target.id
        assert move.total == PEOPLE

        env = os.environ | {
            "HUB_DATABASE_URL": settings.database_url,
            "HUB_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        }
        runner = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli", "moves", "run", "--chunk", str(CHUNK), cwd=PROJECT_ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip

        async def past_the_first_chunk() -> bool:
            done = await _count(hub, "SELECT done FROM community_move WHERE id = :id", id=move_id)
            return done > CHUNK

        await wait_until(past_the_first_chunk, 120, "the first runner past its first chunk")
        runner.send_signal(signal.SIGKILL)
        await runner.wait()
        interrupted = await _count(hub, "SELECT done FROM community_move WHERE id = :id", id=move_id)
        assert CHUNK < interrupted < PEOPLE, f"killed at {interrupted}: not in the middle"
        assert await _count(hub, "SELECT count(*) FROM community_move WHERE id = :id AND state = 'running'", id=move_id)

        second = await hub_cli("moves", "run", "--chunk", str(CHUNK), env=env)
        assert second.returncode == 0, second.stderr

        assert await _count(
            hub, "SELECT count(*) FROM community_move WHERE id = :id AND state = 'completed'", id=move_id
        )
        people = "SELECT id FROM retiree WHERE id_number LIKE :p"
        pattern = f"{area}%"
        assert await _count(hub, "SELECT count(*) FROM retiree WHERE id_number LIKE :p AND institution_id = :t",
                            p=pattern, t=target_id) == PEOPLE  # fmt: skip
        entries = (
            "SELECT count(*), count(DISTINCT retiree_id) FROM status_change "
            f"WHERE kind = 'institution_changed' AND retiree_id IN ({people})"
        )
        async with hub.sessions() as session:
            total, distinct = (await session.execute(text(entries), {"p": pattern})).one()
            events = (
                await session.execute(
                    text(
                        "SELECT count(*), count(DISTINCT key) FROM hub_outbox"
                        " WHERE event_type = 'person_status.changed' AND key LIKE :k"
                    ),
                    {"k": f"K{area}%"},
                )
            ).one()
            audited = (
                await session.execute(
                    text(
                        "SELECT coalesce(sum(cardinality(retiree_ids)), 0) FROM audit_entry"
                        " WHERE action = 'retiree.institution_changed' AND (detail ->> 'move')::bigint = :id"
                    ),
                    {"id": move_id},
                )
            ).scalar_one()
        assert (total, distinct) == (PEOPLE, PEOPLE)
        assert tuple(events) == (PEOPLE, PEOPLE)
        assert audited == PEOPLE  # each chunk audited once, none twice
    finally:
        await hub.engine.dispose()
