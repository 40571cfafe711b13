"""4.5 differential: the nightly suspension rules applied set-based (``overdue.suspend_chunk``, due retirees chosen by
one SQL condition per rule against the cut-off dates of ``overdue.cutoffs``) have exactly the effect of deciding each
retiree with the rules' own date functions (``certifications.rules``) and suspending them one by one through the
status-change log (``status_log.apply``, the path of a staff suspension), on the same starting registry.

Generated: a "today" (month ends, leap days, any day of 1904-1905: the rules run "as of" then, so that no other
test's retirees fall due; test_suspension_rules.py uses 1980 for the same reason), and retirees registered,
approved, transferring out, suspended or deceased, each certified, registered, retired or transferred out a number
of days before today around the deadlines (a day early, on the day, a day late), some never certified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs import RULES_ACTOR
from domain.certifications.rules import certification_overdue, deadline_passed
from domain.dictionary.service import parameter_int
from domain.retirees.lifecycle import Status, Suspend
from domain.retirees.models import Retiree
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from domain.suspensions.overdue import REASONS, Rule, cutoffs, suspend_chunk
from hub.bootstrap import Hub
from tests import factories
from tests.integration.differential import Copy, Snapshot, Start, assert_same, audit_floor, build, rolled_back, snapshot

pytestmark = pytest.mark.integration

TRICKY_DAYS = [date(1904, 2, 29), date(1904, 3, 1), date(1904, 8, 31), date(1904, 12, 31), date(1905, 2, 28)]
ANY_DAY = st.dates(date(1904, 1, 1), date(1905, 12, 31))


@dataclass(frozen=True)
class Person:
    status: Status
    certified: int | None  # days before today of the last certification (None: never)
    registered: int | None  # days before today of the registration
    since: int  # days before today of the retirement (approved) or the transfer out (transferring out)


@dataclass(frozen=True)
class World:
    today: date
    people: list[Person]
    chunk: int  # the job's chunk size: chunks of one or two retirees, or all at once

    def starts(self) -> list[Start | None]:
        return [self._start(p) for p in self.people]

    def _start(self, p: Person) -> Start:
        def ago(days: int | None) -> date | None:
            return None if days is None else self.today - timedelta(days=days)

        return Start(
            status=p.status,
            suspension_reason=REASONS[Rule.CERTIFICATION_OVERDUE] if p.status is Status.SUSPENDED else None,
            last_certified_on=ago(p.certified),
            registered_on=ago(p.registered),
            retirement_date=ago(p.since) if p.status is Status.APPROVED else date(1903, 1, 1),
            status_since=ago(p.since) if p.status is Status.TRANSFERRING_OUT else None,
        )


# Six months is 181 to 184 days; the deadlines are 90 days (the dictionary's defaults): around them, and far off.
months_ago = st.one_of(st.integers(178, 186), st.sampled_from((10, 400)))
deadline_ago = st.one_of(st.integers(88, 92), st.sampled_from((10, 400)))
people = st.builds(
    Person,
    status=st.sampled_from(
        (
            Status.REGISTERED,
            Status.REGISTERED,
            Status.APPROVED,
            Status.TRANSFERRING_OUT,
            Status.SUSPENDED,
            Status.DECEASED,
        )
    ),
    certified=st.one_of(st.none(), months_ago),
    registered=st.one_of(st.none(), months_ago),
    since=deadline_ago,
)
worlds = st.builds(
    World,
    today=st.one_of(st.sampled_from(TRICKY_DAYS), ANY_DAY),
    people=st.lists(people, min_size=4, max_size=8),
    chunk=st.sampled_from((1, 2, 1000)),
)


async def _due(session: AsyncSession, rule: Rule, person: Retiree, today: date) -> bool:
    """The rule as the pure date functions state it (certifications/rules.py)."""
    match rule:
        case Rule.CERTIFICATION_OVERDUE:
            months = await parameter_int(session, "certification_valid_months")
            last = person.last_certified_on or person.registered_on
            return person.status == Status.REGISTERED and certification_overdue(last, today, months)
        case Rule.REGISTRATION_OVERDUE:
            days = await parameter_int(session, "registration_deadline_days")
            start = person.retirement_date
            return person.status == Status.APPROVED and start is not None and deadline_passed(start, days, today)
        case Rule.TRANSFER_IN_OVERDUE:
            days = await parameter_int(session, "transfer_in_deadline_days")
            start = person.status_since
            return (
                person.status == Status.TRANSFERRING_OUT and start is not None and deadline_passed(start, days, today)
            )


async def _one_by_one(session: AsyncSession, hub: Hub, copy: Copy, today: date) -> dict[Rule, int]:
    """Each rule in the job's order, each retiree decided and suspended on their own through the log."""
    suspended = {}
    for rule in Rule:
        suspended[rule] = 0
        for retiree_id in sorted(copy.retirees):
            person = await status_log.locked_retiree(session, retiree_id)
            if await _due(session, rule, person, today):
                await status_log.apply(
                    hub.unit_of_work(session, "rules"),
                    RULES_ACTOR,
                    person,
                    Suspend(REASONS[rule]),
                    effective_date=today,
                    cause=status_log.Cause(CauseType.RULE, f"{rule.value}:{today.isoformat()}"),
                )
                suspended[rule] += 1
    return suspended


async def _snapshot(session: AsyncSession, copy: Copy, audit_after: int) -> Snapshot:
    # wall_clock_events: the rules publish as a job, not caused by an inbound event: their events' time is the clock's.
    taken = await snapshot(session, copy, audit_after=audit_after, wall_clock_events=True)
    taken.tables["audit"] = _per_retiree(taken.tables["audit"])
    return taken


def _per_retiree(audit: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit trail as "who was suspended, by whom, why, from when". A bulk job writes one entry per chunk naming
    every retiree it touched (domain/audit/trail.py: a deliberate saving), the log path one entry per retiree; each
    retiree's own log entry (compared in full) holds what the chunk's entry leaves out."""
    facts = []
    for entry in audit:
        named = entry["retiree_ids"] or [entry["retiree_id"]]
        detail = entry["detail"]
        for retiree in named:
            facts.append((retiree, entry["action"], entry["actor"], detail["reason"], detail["effective_date"]))
    names = ("retiree", "action", "actor", "reason", "effective_date")
    return [dict(zip(names, fact, strict=True)) for fact in sorted(facts)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds)
async def test_4_5_overdue_suspension_set_based_matches_one_by_one(registry_hub: Hub, world: World) -> None:
    async with rolled_back(registry_hub) as session:
        floor = await audit_floor(session)
        tree = await factories.tree(session)
        one, batch = Copy.new("one by one", len(world.people)), Copy.new("set-based", len(world.people))
        for copy in (one, batch):
            await build(session, copy, world.starts(), tree)
        # One by one first: the chunk's query sees the whole registry, and copy A's due retirees are suspended (no
        # longer due) by then; any of copy A it still found would show as a difference in copy A's rows.
        expected = await _one_by_one(session, registry_hub, one, world.today)
        limits = await cutoffs(session, world.today)
        done = {}
        for rule in Rule:  # as app.jobs.run_suspension_rules, chunk after chunk (here in one transaction)
            done[rule] = 0
            while True:
                uow = registry_hub.unit_of_work(session, "rules")
                chunk = await suspend_chunk(uow, RULES_ACTOR, rule, limits, size=world.chunk)
                done[rule] += chunk
                if chunk < world.chunk:
                    break
        event(f"suspended: {min(sum(done.values()), 3)}")
        assert done == expected
        assert_same(await _snapshot(session, one, floor), await _snapshot(session, batch, floor), f"{world}")
