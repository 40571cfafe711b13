"""2.4 differential: payment-status changes applied set-based (``on_payment_statuses_changed``) have exactly the
effect of applying them one by one (``on_payment_status_changed``) on the same starting registry.

Generated: retirees with any payment status (and some never synced: unknown to the registry), and a sequence of
changes about them — to the status they already have (no effect), to another one, the same change twice (the
platform re-sending it under a new id), several changes of one retiree in a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.handlers import REGISTRY
from domain.retirees.inbound import on_payment_status_changed, on_payment_statuses_changed
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
    rolled_back,
    snapshot,
)

pytestmark = pytest.mark.integration

STATUSES = ("1", "2", "3")  # normal, suspended, stopped (the province's codes)


@dataclass(frozen=True)
class World:
    starts: list[Start | None]
    changes: list[tuple[int, str, str]]  # (slot, new status, reason code)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    known = st.builds(Start, payment_status=st.sampled_from(STATUSES))
    # A retiree not synced yet is one slot at most, in a third of the worlds: any run holding an event about them is
    # refused set-based and applied one by one, so more of them would leave the set-based path seldom taken.
    starts: list[Start | None] = draw(st.lists(known, min_size=2, max_size=5))
    if draw(st.integers(0, 2)) == 0:
        starts.append(None)
    change = st.tuples(
        st.integers(0, len(starts) - 1), st.sampled_from(STATUSES), st.sampled_from(("NO_CERT", "DEATH", "RESUME"))
    )
    return World(starts, draw(st.lists(change, min_size=3, max_size=12)))


def test_2_4_the_registry_table_pairs_these_handlers() -> None:
    assert REGISTRY.handlers["payment_status.changed"].__name__ == on_payment_status_changed.__name__
    assert REGISTRY.batch_handlers["payment_status.changed"].__name__ == on_payment_statuses_changed.__name__


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
async def test_2_4_payment_status_set_based_matches_one_by_one(registry_hub: Hub, world: World) -> None:
    async with rolled_back(registry_hub) as session:
        floor = await audit_floor(session)
        tree = await factories.tree(session)
        copies = Copy.new("one by one", len(world.starts)), Copy.new("set-based", len(world.starts))
        for copy in copies:
            await build(session, copy, world.starts, tree)
            for slot, status, reason in world.changes:
                data = {
                    "personal_number": copy.numbers[slot],
                    "old_status": "1",  # what the province says it was: neither path reads it
                    "new_status": status,
                    "reason_code": reason,
                    "effective_date": "2026-11-01",
                }
                copy.event("payment_status.changed", slot, data)
        one, batch = copies
        outcomes = await apply_one_by_one(session, registry_hub, on_payment_status_changed, one.events)
        run = await apply_set_based(
            session, registry_hub, on_payment_statuses_changed, on_payment_status_changed, batch.events
        )
        event(f"set-based runs: {min(run.set_based_runs, 3)}")
        assert run.outcomes == outcomes
        if all(outcome == "applied" for outcome in outcomes):
            assert not run.fallbacks, "the set-based path refused a run that one by one applies in full"
        assert_same(
            await snapshot(session, one, audit_after=floor),
            await snapshot(session, batch, audit_after=floor),
            f"{world}",
        )
