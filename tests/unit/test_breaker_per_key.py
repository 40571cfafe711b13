"""One circuit breaker per channel app (4.5 pushes): made on first use with the same settings, named and labelled by
the app, each opening on its own."""

from __future__ import annotations

from prometheus_client import REGISTRY

from hub.breaker import BreakerPerKey, CircuitBreaker


def _state(breaker: CircuitBreaker) -> str:
    return breaker.state


def _published(name: str) -> float | None:
    return REGISTRY.get_sample_value("hub_circuit_breaker_state", {"breaker": name})


def test_4_5_each_app_has_its_own_breaker_opening_on_its_own_and_labelled_by_the_app() -> None:
    now = [0.0]
    breakers = BreakerPerKey("channel-app", failure_threshold=2, reset_seconds=10.0, clock=lambda: now[0])
    down, up = breakers("app-down"), breakers("app-up")
    assert breakers("app-down") is down and down is not up
    assert (down.name, up.name) == ("channel-app:app-down", "channel-app:app-up")
    down.record_failure()
    down.record_failure()
    assert _state(down) == "open" and _state(up) == "closed" and up.allows_call()
    assert _published("channel-app:app-down") == 1 and _published("channel-app:app-up") == 0
    now[0] = 10.0  # the same reset delay as every breaker of the family
    assert _state(down) == "half_open"
    assert set(breakers.known()) == {"app-down", "app-up"}
