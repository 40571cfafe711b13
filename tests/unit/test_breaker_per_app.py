"""One circuit breaker per channel app (4.5 pushes, issue 20): made on first use with the same settings, named and
labelled by the app, each opening and closing on its own; the push group's gate waits only while every app is down."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest
from prometheus_client import REGISTRY

from connectors.channel_push.pusher import ChannelGate
from hub.breaker import BreakerPerKey, CircuitBreaker

pytestmark = pytest.mark.unit


def _state(breaker: CircuitBreaker) -> str:
    return breaker.state  # read afresh each time (the open circuit turns half-open with the clock)


def _published(name: str) -> float | None:
    return REGISTRY.get_sample_value("hub_circuit_breaker_state", {"breaker": name})


def _opened(name: str) -> float:
    return REGISTRY.get_sample_value("hub_circuit_breaker_opened_total", {"breaker": name}) or 0.0


def test_4_5_each_app_has_its_own_breaker_made_on_first_use_labelled_by_the_app_opening_on_its_own() -> None:
    now = [0.0]
    breakers = BreakerPerKey(
        "unit-channel-app", partial(CircuitBreaker, failure_threshold=2, reset_seconds=10.0, clock=lambda: now[0])
    )
    assert breakers.known() == {} and not breakers.all_open()  # none made before an app is pushed to
    down = breakers("app-down")
    assert set(breakers.known()) == {"app-down"}  # lazily: only the app asked for
    up = breakers("app-up")
    assert breakers("app-down") is down and down is not up
    assert (down.name, up.name) == ("unit-channel-app:app-down", "unit-channel-app:app-up")
    assert _published("unit-channel-app:app-down") == 0 and _published("unit-channel-app:app-up") == 0

    down.record_failure()
    assert _state(down) == "closed"
    down.record_failure()  # the family's threshold: 2
    assert _state(down) == "open" and not down.allows_call()
    assert _state(up) == "closed" and up.allows_call() and not breakers.all_open()
    assert _published("unit-channel-app:app-down") == 1 and _published("unit-channel-app:app-up") == 0
    assert _opened("unit-channel-app:app-down") == 1 and _opened("unit-channel-app:app-up") == 0
    assert down.seconds_until_trial() == 10.0 and up.seconds_until_trial() == 0.0

    up.record_failure()
    up.record_failure()
    assert breakers.all_open()  # every app tried is down

    now[0] = 10.0  # the family's reset delay: each opened at 0
    assert _state(down) == "half_open" and _published("unit-channel-app:app-down") == 2
    down.record_success()
    assert _state(down) == "closed" and _state(up) == "half_open" and not breakers.all_open()


async def test_4_5_the_push_gate_waits_only_while_every_app_is_down() -> None:
    breakers = BreakerPerKey("unit-gate-app", partial(CircuitBreaker, failure_threshold=1, reset_seconds=0.3))
    gate = ChannelGate(breakers, slice_seconds=0.1)
    await asyncio.wait_for(gate.wait_for_passage(), 0.05)  # no app tried yet: at once
    breakers("down").record_failure()
    breakers("up")
    await asyncio.wait_for(gate.wait_for_passage(), 0.05)  # one app down, another up: at once
    breakers("up").record_failure()
    waiting = asyncio.create_task(gate.wait_for_passage())
    await asyncio.sleep(0.1)
    assert not waiting.done()  # every app down: the group waits for the first trial
    await asyncio.wait_for(waiting, 2.0)
    assert _state(breakers("down")) == "half_open"
