"""2.5 differential: pension adjustments applied set-based (``on_pensions_adjusted``) have exactly the effect of
applying them one by one (``on_pension_adjusted``) on the same starting registry.

Generated: retirees with or without a monthly pension (and perhaps one never synced), a few adjustment batches with
their effective months, and a sequence of adjustments — a batch applied to a retiree, the same batch again (a re-read
record under a new event id, even with other amounts: the first one stands), a batch effective earlier than one
already applied (history only: the pension must not move back), two batches effective the same month.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.handlers import REGISTRY
from domain.adjustments.inbound import on_pension_adjusted, on_pensions_adjusted
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

MONTHS = ("2025-01", "2025-07", "2026-01")
AMOUNTS = (Decimal("3600.00"), Decimal("3708.00"), Decimal("3811.50"))


@dataclass(frozen=True)
class World:
    starts: list[Start | None]
    batches: list[str]  # batch b is effective in this month (batch ids are the same strings in both copies)
    adjustments: list[tuple[int, int, int]]  # (slot, batch, index of the amount after)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    known = st.builds(Start, monthly_pension=st.sampled_from((None, *AMOUNTS)))
    starts: list[Start | None] = draw(st.lists(known, min_size=2, max_size=5))
    if draw(st.integers(0, 2)) == 0:  # one retiree not synced yet, in a third of the worlds (see 2.4)
        starts.append(None)
    batches = draw(st.lists(st.sampled_from(MONTHS), min_size=1, max_size=3))
    adjustment = st.tuples(
        st.integers(0, len(starts) - 1), st.integers(0, len(batches) - 1), st.integers(0, len(AMOUNTS) - 1)
    )
    return World(starts, batches, draw(st.lists(adjustment, min_size=3, max_size=12)))


def test_2_5_the_registry_table_pairs_these_handlers() -> None:
    assert REGISTRY.handlers["pension.adjusted"].__name__ == on_pension_adjusted.__name__
    assert REGISTRY.batch_handlers["pension.adjusted"].__name__ == on_pensions_adjusted.__name__


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds())
async def test_2_5_pension_adjustment_set_based_matches_one_by_one(registry_hub: Hub, world: World) -> None:
    async with rolled_back(registry_hub) as session:
        floor = await audit_floor(session)
        tree = await factories.tree(session)
        copies = Copy.new("one by one", len(world.starts)), Copy.new("set-based", len(world.starts))
        for copy in copies:
            await build(session, copy, world.starts, tree)
            for slot, batch, amount in world.adjustments:
                month = world.batches[batch]
                after = AMOUNTS[amount]
                data = {
                    "personal_number": copy.numbers[slot],
                    "batch_id": f"TZ{month[:4]}-B{batch}",
                    "adjustment_year": int(month[:4]),
                    "amount_before": "3500.00",
                    "amount_after": str(after),
                    "increase": str(after - Decimal("3500.00")),
                    "effective_month": month,
                }
                copy.event("pension.adjusted", slot, data)
        one, batch_copy = copies
        outcomes = await apply_one_by_one(session, registry_hub, on_pension_adjusted, one.events)
        run = await apply_set_based(session, registry_hub, on_pensions_adjusted, on_pension_adjusted, batch_copy.events)
        event(f"set-based runs: {min(run.set_based_runs, 3)}")
        assert run.outcomes == outcomes
        if all(outcome == "applied" for outcome in outcomes):
            assert not run.fallbacks, "the set-based path refused a run that one by one applies in full"
        tables = {"pension_adjustment": "retiree_id, batch_id"}
        assert_same(
            await snapshot(session, one, audit_after=floor, extra=tables),
            await snapshot(session, batch_copy, audit_after=floor, extra=tables),
            f"{world}",
        )
