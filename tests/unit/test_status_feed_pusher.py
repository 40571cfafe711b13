"""The status feed's set-based push (connectors/provincial/outbound.py, StatusFeedPusher.push_many; 6.22): a run of
entries of different retirees is pushed with at most ``concurrency`` calls in flight, and every acknowledgement is
written only when all of them succeeded; one failure writes none, tells the breaker if the platform was unreachable,
and raises so that the hub pushes the run again one by one. The platform client and the status-change log are
fakes here; tests/integration/test_provincial_connector.py runs the real ones (order per retiree, outage)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from connectors.provincial import outbound
from connectors.provincial.client import Ack, ProvincialClient, ProvincialPlatformUnavailable
from hub.breaker import CircuitBreaker
from hub.consumer import OutboxUnitOfWork
from hub.envelope import Envelope

pytestmark = pytest.mark.unit


class FakePlatform:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.in_flight = 0
        self.most_in_flight = 0
        self.pushed: list[str] = []

    async def push(self, record: dict[str, Any]) -> Ack:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if record["aac001"] in self.failing:
                raise ProvincialPlatformUnavailable("connection refused")
            self.pushed.append(record["aac001"])
            return Ack(receipt_no=f"R-{record['aac001']}", duplicate=False)
        finally:
            self.in_flight -= 1


class FakeLog:
    """status_log's calls the pusher makes, over a dict of entry id -> receipt."""

    def __init__(self, acknowledged: set[str] | None = None) -> None:
        self.receipts: dict[str, str] = {entry: "earlier" for entry in acknowledged or set()}
        self.lookups = 0

    async def is_acknowledged(self, _session: object, log_entry_id: str) -> bool:
        return log_entry_id in self.receipts

    async def acknowledged_among(self, _session: object, log_entry_ids: list[str]) -> set[str]:
        self.lookups += 1
        return {entry for entry in log_entry_ids if entry in self.receipts}

    async def record_acknowledgement(self, _session: object, log_entry_id: str, receipt_no: str) -> bool:
        self.receipts[log_entry_id] = receipt_no
        return True


def _entry(index: int) -> Envelope:
    data = {
        "personal_number": f"13010000{index:05d}",
        "change_kind": "suspended",
        "reason_code": "S01",
        "effective_date": "2026-11-01",
        "entered_at": "2026-11-01T09:00:00+08:00",
        "institution_code": "1301020101",
        "log_entry_id": f"SCL-{index:06d}",
    }
    return Envelope.new("person_status.changed", data["personal_number"], data, source="urn:retiree-hub:test")


def _pusher(
    platform: FakePlatform, log: FakeLog, monkeypatch: pytest.MonkeyPatch, concurrency: int = 4, threshold: int = 3
) -> tuple[outbound.StatusFeedPusher, CircuitBreaker]:
    monkeypatch.setattr(outbound, "status_log", log)
    breaker = CircuitBreaker("provincial-test", failure_threshold=threshold)
    return outbound.StatusFeedPusher(cast(ProvincialClient, platform), breaker, concurrency=concurrency), breaker


def _uow() -> OutboxUnitOfWork:
    return cast(OutboxUnitOfWork, type("Uow", (), {"session": None})())


async def test_6_22_a_run_is_pushed_concurrently_within_the_limit_and_every_receipt_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform, log = FakePlatform(), FakeLog(acknowledged={"SCL-000003"})
    pusher, _ = _pusher(platform, log, monkeypatch, concurrency=4)
    await pusher.push_many([_entry(i) for i in range(20)], _uow())
    assert platform.most_in_flight == 4
    assert len(platform.pushed) == 19  # the entry acknowledged earlier is not pushed again
    assert log.receipts["SCL-000003"] == "earlier"
    assert log.lookups == 1  # one query for the run, not one per entry
    assert all(log.receipts[f"SCL-{i:06d}"] == f"R-13010000{i:05d}" for i in range(20) if i != 3)


async def test_6_22_one_unreachable_push_writes_no_receipt_counts_against_the_breaker_and_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform, log = FakePlatform(failing={"1301000000007"}), FakeLog()
    pusher, breaker = _pusher(platform, log, monkeypatch, threshold=1)
    with pytest.raises(ProvincialPlatformUnavailable):
        await pusher.push_many([_entry(i) for i in range(10)], _uow())
    assert log.receipts == {}  # the hub pushes the run again one by one; the platform dedupes by idempotency key
    assert breaker.state == "open"  # one failure counted (the threshold here is 1)
