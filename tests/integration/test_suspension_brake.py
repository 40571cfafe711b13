"""The brake on mass suspensions (4.5, issue 14) against the real database: a 10,000-person night is held, a city
operator approves two institutions — exactly those are suspended and pushed to the province once, anyone certified
meanwhile is skipped — and rejects the rest; a second run while the batch is open holds nobody twice; the dry run
changes nothing. The rules run "as of" 1 June 1970, a night no other test's retirees fall due on, and the test's
people are made current at the end so that no later run finds them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from app.jobs import preview_suspension_rules, refresh_held_batches, run_suspension_rules
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode, Forbidden
from domain.suspensions import brake
from domain.suspensions.models import BatchState, Outcome
from domain.suspensions.overdue import Rule
from hub import metrics  # noqa: F401  (registers hub_suspension_batches_held)
from hub.bootstrap import Hub
from hub.settings import Settings
from tests import factories
from tests.support.harness import hub_cli

pytestmark = pytest.mark.integration

NIGHT = date(1970, 6, 1)
PEOPLE = 10_000
HELD_GAUGE = "hub_suspension_batches_held"


async def _overdue_people(hub: Hub, tag: str) -> factories.Tree:
    """10,000 registered retirees last certified in 1969, spread over the tree's four communities: one INSERT."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        await session.execute(
            text(
                "INSERT INTO retiree (personal_number, id_number, name, sex, birth_date, retirement_date, "
                "insuring_agency_code, payment_status, management_form, institution_id, status, status_since, "
                "registered_on, last_certified_on, version) "
                "SELECT :tag || lpad(g::text, 6, '0'), :tag || 'ID' || lpad(g::text, 6, '0'), '测试' || g, '1', "
                "DATE '1905-01-01', DATE '1965-01-01', '130102', '1', '1', "
                "(:communities)[1 + g % 4], 'registered', DATE '1968-01-01', DATE '1968-01-01', "
                "DATE '1969-01-01', 1 FROM generate_series(1, :n) g"
            ),
            {"tag": tag, "communities": [c.id for c in tree.communities], "n": PEOPLE},
        )
        return tree


def _city_operator(tree: factories.Tree) -> Actor:
    return Actor(name="city-op", kind="staff", role="operator", institution_path=tree.city.path)


async def _count(hub: Hub, sql: str, **params: object) -> int:
    async with hub.sessions() as session:
        return int((await session.execute(text(sql), params)).scalar_one())


async def test_4_5_the_brake_holds_a_10000_person_night_and_releases_exactly_what_is_approved(
    registry_hub: Hub,
) -> None:
    tag = f"BRK{uuid.uuid4().hex[:8]}"
    tree = await _overdue_people(registry_hub, tag)
    mine = {"like": f"{tag}%"}
    started = datetime.now(UTC)
    try:
        first = await run_suspension_rules(registry_hub, NIGHT, rules=(Rule.CERTIFICATION_OVERDUE,), chunk=2000)
        assert first.batch_id is not None and first.held[Rule.CERTIFICATION_OVERDUE] >= PEOPLE
        assert first.suspended[Rule.CERTIFICATION_OVERDUE] == 0
        assert (REGISTRY.get_sample_value(HELD_GAUGE) or 0) >= 1  # the alert HubSuspensionBatchHeld fires
        suspended_sql = "SELECT count(*) FROM retiree WHERE personal_number LIKE :like AND status = 'suspended'"
        assert await _count(registry_hub, suspended_sql, **mine) == 0

        # a second run the same night while the batch is open: nobody held twice, nobody suspended
        second = await run_suspension_rules(registry_hub, NIGHT, rules=(Rule.CERTIFICATION_OVERDUE,))
        assert second.batch_id is None and second.suspended[Rule.CERTIFICATION_OVERDUE] == 0
        held_sql = (
            "SELECT count(*) FROM suspension_batch_person p JOIN retiree r ON r.id = p.retiree_id "
            "WHERE r.personal_number LIKE :like"
        )
        assert await _count(registry_hub, held_sql, **mine) == PEOPLE

        # one of the approved institutions' people certifies meanwhile: approval must skip them
        approved_institutions = [tree.communities[0].id, tree.communities[1].id]
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE retiree SET last_certified_on = DATE '1970-05-20' WHERE personal_number = :number"),
                {"number": f"{tag}000004"},  # 4 % 4 == 0: the first community
            )

        district = Actor(name="district-op", kind="staff", role="operator", institution_path=tree.district.path)
        async with registry_hub.sessions() as session, session.begin():
            with pytest.raises(Forbidden) as refused:
                await brake.approve(registry_hub.unit_of_work(session, "test"), district, first.batch_id)
            assert refused.value.code is ErrorCode.CITY_LEVEL_ONLY

        operator = _city_operator(tree)
        async with registry_hub.sessions() as session, session.begin():
            approved = await brake.approve(
                registry_hub.unit_of_work(session, "test"),
                operator,
                first.batch_id,
                institution_ids=[i for i in approved_institutions if i is not None],
            )
        assert (approved.suspended, approved.skipped) == (PEOPLE // 2 - 1, 1)
        assert approved.batch.state is BatchState.HELD  # the other institutions still wait

        suspended_in = (
            "SELECT count(*) FROM retiree WHERE personal_number LIKE :like AND status = 'suspended' "
            "AND institution_id = ANY(:ids)"
        )
        assert await _count(registry_hub, suspended_in, ids=approved_institutions, **mine) == PEOPLE // 2 - 1
        assert await _count(registry_hub, suspended_sql, **mine) == PEOPLE // 2 - 1
        pushed = (
            "SELECT count(*), count(DISTINCT key) FROM hub_outbox WHERE event_type = 'person_status.changed' "
            "AND key LIKE :like"
        )
        async with registry_hub.sessions() as session:
            events, keys = (await session.execute(text(pushed), mine)).one()
        assert events == keys == PEOPLE // 2 - 1
        logged = (
            "SELECT count(*) FROM status_change WHERE personal_number LIKE :like AND reason_code = 'S01' "
            "AND effective_date = :night AND cause_type = 'rule'"
        )
        assert await _count(registry_hub, logged, night=NIGHT, **mine) == PEOPLE // 2 - 1

        async with registry_hub.sessions() as session, session.begin():
            rejected = await brake.reject(
                registry_hub.unit_of_work(session, "test"), operator, first.batch_id, "数据导入有误，待核实"
            )
        assert rejected.rejected >= PEOPLE // 2
        assert rejected.batch.state is BatchState.PARTLY_APPROVED
        assert await _count(registry_hub, suspended_sql, **mine) == PEOPLE // 2 - 1
        async with registry_hub.sessions() as session:
            outcomes = await brake.outcomes(session, first.batch_id)
        assert outcomes[Outcome.SUSPENDED] == PEOPLE // 2 - 1 and outcomes[Outcome.SKIPPED] == 1
        async with registry_hub.sessions() as session:
            still_held = await brake.held_batches(session)
        assert await refresh_held_batches(registry_hub) == still_held  # the gauge follows the decision
        assert REGISTRY.get_sample_value(HELD_GAUGE) == still_held
        assert Outcome.HELD not in outcomes
        audited = (
            "SELECT array_agg(action ORDER BY id) FROM audit_entry WHERE target = :target "
            "AND action LIKE 'suspension_batch.%' AND at >= :since"
        )
        async with registry_hub.sessions() as session:
            actions = (
                await session.execute(
                    text(audited),
                    {"target": f"suspension_batch/{first.batch_id}", "since": started},
                )
            ).scalar_one()
        assert actions == ["suspension_batch.held", "suspension_batch.approved", "suspension_batch.rejected"]
    finally:
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE retiree SET last_certified_on = DATE '2099-01-01' WHERE personal_number LIKE :like"), mine
            )


async def test_4_5_the_dry_run_says_what_the_brake_would_hold_and_changes_nothing(registry_hub: Hub) -> None:
    tag = f"BRK{uuid.uuid4().hex[:8]}"
    tree = await _overdue_people(registry_hub, tag)
    try:
        counts = (
            "SELECT (SELECT count(*) FROM status_change) + (SELECT count(*) FROM suspension_batch) "
            "+ (SELECT count(*) FROM hub_outbox)"
        )
        before = await _count(registry_hub, counts)
        plan = await preview_suspension_rules(registry_hub, NIGHT, rules=(Rule.CERTIFICATION_OVERDUE,))
        assert await _count(registry_hub, counts) == before
        assert plan.per_rule[Rule.CERTIFICATION_OVERDUE] >= PEOPLE and plan.decision.holds_any
        assert plan.would_suspend == 0 and plan.would_hold == plan.total
        over = {c.institution_id: c.count for c in plan.institutions_over}
        assert all(over[c.id] == PEOPLE // 4 for c in tree.communities)
    finally:
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE retiree SET last_certified_on = DATE '2099-01-01' WHERE personal_number LIKE :like"),
                {"like": f"{tag}%"},
            )


async def test_4_5_hub_rules_run_dry_run_prints_what_the_brake_would_hold(
    registry_hub: Hub, settings: Settings
) -> None:
    tag = f"BRK{uuid.uuid4().hex[:8]}"
    await _overdue_people(registry_hub, tag)
    env = {
        "PATH": "/usr/bin:/bin",
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
    }
    try:
        counts = "SELECT (SELECT count(*) FROM status_change) + (SELECT count(*) FROM suspension_batch)"
        before = await _count(registry_hub, counts)
        done = await hub_cli(
            "rules", "run", "--dry-run", "--today", NIGHT.isoformat(), "--rule", "certification_overdue", env=env
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "nothing changed" in done.stdout and "the brake would hold" in done.stdout
        assert "above the per-institution threshold" in done.stdout
        assert await _count(registry_hub, counts) == before
    finally:
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE retiree SET last_certified_on = DATE '2099-01-01' WHERE personal_number LIKE :like"),
                {"like": f"{tag}%"},
            )
