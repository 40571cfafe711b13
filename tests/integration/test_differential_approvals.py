"""2.2 differential: approvals applied set-based (``on_retirees_approved``) have exactly the effect of applying them
one by one (``on_retiree_approved``) on the same starting registry.

Generated: people the registry knows already (their approval sent again: the base info refreshed) and people it
does not (a new approved-not-registered retiree), and a sequence of approvals with varied base info — the same
approval twice, an ID number that is the person's own, a new one, another person's (held by a known retiree, or
claimed by two approvals of one run), or one whose check character is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.handlers import REGISTRY
from domain.retirees.inbound import on_retiree_approved, on_retirees_approved
from hub.bootstrap import Hub
from tests import factories
from tests.integration.differential import (
    Copy,
    Start,
    apply_one_by_one,
    apply_set_based,
    assert_same,
    audit_floor,
    build,
    free_id_numbers,
    rolled_back,
    snapshot,
)

pytestmark = pytest.mark.integration

# Which ID number an approval of slot s carries: its own (the known retiree's, or drawn for a new person), a fresh
# one (a known retiree's number changed), slot t's, or its own with a wrong check character.
OWN, FRESH, BAD = "own", "fresh", "bad"


@dataclass(frozen=True)
class Approval:
    slot: int
    id_number: str | int  # OWN, FRESH, BAD, or the slot whose number it carries
    name: str
    payment_status: str
    monthly_pension: str | None
    approval_date: date


@dataclass(frozen=True)
class World:
    starts: list[Start | None]  # None: a person the registry does not know yet
    approvals: list[Approval]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    starts = draw(
        st.lists(st.one_of(st.none(), st.builds(Start, status=st.just(Start().status))), min_size=2, max_size=5)
    )
    slots = st.integers(0, len(starts) - 1)
    # A refused approval (a wrong check character, a number held by someone else) makes its whole run go one by one;
    # they are in half of the worlds, so that the other half's runs are applied set-based.
    troubled = draw(st.booleans())
    numbers = st.one_of(st.just(OWN), st.just(FRESH), st.just(BAD), slots) if troubled else st.just(OWN)
    approval = st.builds(
        Approval,
        slot=slots,
        id_number=numbers,
        name=st.sampled_from(("钱秀英", "钱秀英", "钱淑英")),
        payment_status=st.sampled_from(("1", "2")),
        monthly_pension=st.sampled_from((None, "3600.00", "3708.00")),
        approval_date=st.sampled_from((date(2026, 10, 20), date(2026, 11, 3))),
    )
    return World(starts, draw(st.lists(approval, min_size=3, max_size=10)))


def test_2_2_the_registry_table_pairs_these_handlers() -> None:
    assert REGISTRY.handlers["retiree.approved"].__name__ == on_retiree_approved.__name__
    assert REGISTRY.batch_handlers["retiree.approved"].__name__ == on_retirees_approved.__name__


def _birth(slot: int) -> date:
    return date(1950, 1, 1) + timedelta(days=slot)  # as differential.build gives slot ``slot``


async def _events(copy: Copy, world: World, own: list[str], fresh: list[str]) -> None:
    for a in world.approvals:
        owner = a.id_number if isinstance(a.id_number, int) else a.slot
        number = fresh[a.slot] if a.id_number == FRESH else own[owner]
        if a.id_number == BAD:
            number = copy.token(number[:17] + ("0" if number[17] != "0" else "1"), f"ID{a.slot}(bad)")
        data: dict[str, Any] = {
            "personal_number": copy.numbers[a.slot],
            "id_number": number,
            "name": a.name,
            "sex": "1",
            "birth_date": _birth(owner).isoformat(),
            "retirement_date": date(2010, 1, 1).isoformat(),
            "insuring_agency_code": "130102",
            "payment_status": a.payment_status,
            "approval_date": a.approval_date.isoformat(),
        }
        if a.monthly_pension is not None:
            data["monthly_pension"] = a.monthly_pension
        copy.event("retiree.approved", a.slot, data)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
async def test_2_2_approval_set_based_matches_one_by_one(registry_hub: Hub, world: World) -> None:
    async with rolled_back(registry_hub) as session:
        floor = await audit_floor(session)
        tree = await factories.tree(session)
        copies = Copy.new("one by one", len(world.starts)), Copy.new("set-based", len(world.starts))
        for copy in copies:
            await build(session, copy, world.starts, tree)
            people = [(_birth(slot), "1") for slot in range(len(world.starts))]
            drawn = await free_id_numbers(session, people * 2)
            known = {copy.tokens[n]: n for n in copy.tokens if copy.tokens[n].startswith("ID")}
            own = [known.get(f"ID{slot}") or copy.token(drawn[slot], f"ID{slot}") for slot in range(len(people))]
            fresh = [copy.token(drawn[len(people) + slot], f"ID{slot}(fresh)") for slot in range(len(people))]
            await _events(copy, world, own, fresh)
        one, batch = copies
        outcomes = await apply_one_by_one(session, registry_hub, on_retiree_approved, one.events)
        run = await apply_set_based(session, registry_hub, on_retirees_approved, on_retiree_approved, batch.events)
        event(f"set-based runs: {min(run.set_based_runs, 3)}")
        for reason in run.fallbacks:
            event(f"fell back: {reason}")
        assert run.outcomes == outcomes
        if all(outcome == "applied" for outcome in outcomes):
            assert not run.fallbacks, "the set-based path refused a run that one by one applies in full"
        assert_same(
            await snapshot(session, one, audit_after=floor),
            await snapshot(session, batch, audit_after=floor),
            f"{world}",
        )
