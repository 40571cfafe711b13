"""The nightly suspension rules of 4.5 against the real database: each rule at its boundary, the province told
through the outbox (6.22), one audit entry per chunk naming every retiree, and a second run the same day changing
nothing. The rules run "as of" 1 June 1980 so that no other test's retirees fall due (the provincial simulator's
earliest retire in 1990, the seeded ones after 2000)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from app.jobs import run_suspension_rules
from domain.audit import trail
from domain.audit.models import AuditEntry
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.status_log.models import StatusChange
from domain.suspensions.overdue import Rule
from hub.bootstrap import Hub
from tests import factories

pytestmark = pytest.mark.integration

TODAY = date(1980, 6, 1)  # six months back is 1 December 1979; 90 days back is 3 March 1980


async def _person(hub: Hub, status: Status, **dates: date) -> int:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        person = await factories.retiree(
            session, None if status is Status.APPROVED else tree.communities[0], status=status
        )
        for name, value in dates.items():
            setattr(person, name, value)
        assert person.id is not None
        return person.id


async def test_4_5_each_rule_suspends_exactly_from_the_day_after_its_deadline(registry_hub: Hub) -> None:
    cases = {
        # certified exactly six months ago: still in time; a day more: overdue
        "certified_six_months_ago": (
            await _person(registry_hub, Status.REGISTERED, last_certified_on=date(1979, 12, 1)),
            False,
        ),
        "certified_a_day_earlier": (
            await _person(registry_hub, Status.REGISTERED, last_certified_on=date(1979, 11, 30)),
            True,
        ),
        "never_certified_registered_long_ago": (
            await _person(registry_hub, Status.REGISTERED, registered_on=date(1979, 5, 1)),
            True,
        ),
        "never_certified_registered_lately": (
            await _person(registry_hub, Status.REGISTERED, registered_on=date(1980, 5, 1)),
            False,
        ),
        "retired_90_days_ago_not_registered": (
            await _person(registry_hub, Status.APPROVED, retirement_date=date(1980, 3, 3)),
            False,
        ),
        "retired_91_days_ago_not_registered": (
            await _person(registry_hub, Status.APPROVED, retirement_date=date(1980, 3, 2)),
            True,
        ),
        "transferred_out_91_days_ago": (
            await _person(registry_hub, Status.TRANSFERRING_OUT, status_since=date(1980, 3, 2)),
            True,
        ),
        "transferred_out_90_days_ago": (
            await _person(registry_hub, Status.TRANSFERRING_OUT, status_since=date(1980, 3, 3)),
            False,
        ),
    }
    report = await run_suspension_rules(registry_hub, TODAY, chunk=2)  # small chunks: several transactions per rule
    assert report.suspended == {
        Rule.CERTIFICATION_OVERDUE: 2,
        Rule.REGISTRATION_OVERDUE: 1,
        Rule.TRANSFER_IN_OVERDUE: 1,
    }
    ids = [retiree_id for retiree_id, _ in cases.values()]
    async with registry_hub.sessions() as session:
        people = {p.id: p for p in (await session.execute(select(Retiree).where(col(Retiree.id).in_(ids)))).scalars()}
        entries = (
            (
                await session.execute(
                    select(StatusChange).where(
                        col(StatusChange.retiree_id).in_(ids), col(StatusChange.cause_type) == "rule"
                    )
                )
            )
            .scalars()
            .all()
        )
        events = (
            await session.execute(
                text(
                    "SELECT key, convert_from(payload, 'UTF8')::jsonb FROM hub_outbox "
                    "WHERE event_type = 'person_status.changed' AND key = ANY(:keys)"
                ),
                {"keys": [p.personal_number for p in people.values()]},
            )
        ).all()
        audited = (
            (await session.execute(select(AuditEntry).where(trail.about_retiree(cases["certified_a_day_earlier"][0]))))
            .scalars()
            .all()
        )
    for name, (retiree_id, due) in cases.items():
        person = people[retiree_id]
        assert (person.status == Status.SUSPENDED.value) is due, name
        if due:
            assert person.lifecycle.is_consistent(), name
            assert person.resume_to in ("registered", "approved", "transferring_out")
    assert {e.retiree_id for e in entries} == {rid for rid, due in cases.values() if due}
    assert all(e.event_id and e.sync_state == "pending" and e.effective_date == TODAY for e in entries)
    by_key = {key: data for key, data in events}
    for entry in entries:
        data = by_key[entry.personal_number]
        assert data["change_kind"] == "suspended" and data["log_entry_id"] == entry.entry_id
    assert {e.reason_code for e in entries} == {"S01", "S02", "S03"}
    assert any(a.action == "retiree.suspended" and a.retiree_ids for a in audited)


async def test_4_5_running_the_rules_twice_the_same_day_changes_nothing(registry_hub: Hub) -> None:
    await _person(registry_hub, Status.REGISTERED, last_certified_on=date(1979, 1, 1))
    first = await run_suspension_rules(registry_hub, TODAY)
    assert first.suspended[Rule.CERTIFICATION_OVERDUE] >= 1
    async with registry_hub.sessions() as session:
        before = (await session.execute(text("SELECT count(*) FROM status_change"))).scalar_one()
    second = await run_suspension_rules(registry_hub, TODAY)
    assert set(second.suspended.values()) == {0}
    async with registry_hub.sessions() as session:
        after = (await session.execute(text("SELECT count(*) FROM status_change"))).scalar_one()
    assert after == before
