"""Issue 20's pure parts: quiet hours (the 1.4 parameter, for the pushes of 4.1/4.4/4.5), the per-client rate
limit, and the channel-app simulator's signature check (the same HMAC scheme as the face-result webhook)."""

from __future__ import annotations

import json
import time
from datetime import datetime

import httpx
import pytest

from channels.mobile.caller import ClientRateLimiter, RateLimited
from connectors.auth_platform.signature import sign
from domain.notifications.quiet import QuietHours
from domain.shared.calendar import BUSINESS_TZ
from simulators.channel_app.app import create_app
from simulators.channel_app.config import ChannelAppSettings

pytestmark = pytest.mark.unit


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 27, hour, minute, tzinfo=BUSINESS_TZ)


@pytest.mark.parametrize(
    ("hour", "minute", "held"),
    [(21, 59, False), (22, 0, True), (23, 30, True), (0, 0, True), (6, 59, True), (7, 0, False), (12, 0, False)],
)
def test_4_5_quiet_hours_across_midnight_hold_pushes_at_night_only(hour: int, minute: int, held: bool) -> None:
    assert QuietHours.parse("22:00-07:00").holds_at(_at(hour, minute)) is held


def test_4_5_held_pushes_are_released_when_the_window_ends_the_next_morning() -> None:
    quiet = QuietHours.parse("22:00-07:00")
    assert quiet.ends_after(_at(23, 15)) == datetime(2026, 11, 28, 7, 0, tzinfo=BUSINESS_TZ)
    assert quiet.ends_after(_at(3, 0)) == _at(7, 0)
    assert quiet.ends_after(_at(9, 0)) == _at(9, 0)  # nothing held


def test_4_5_quiet_hours_are_read_in_the_citys_time_and_an_empty_window_holds_nothing() -> None:
    utc_afternoon = datetime.fromisoformat("2026-11-27T15:30:00+00:00")  # 23:30 in Shijiazhuang
    assert QuietHours.parse("22:00-07:00").holds_at(utc_afternoon)
    assert not QuietHours.parse("00:00-00:00").holds_at(_at(3, 0))
    assert QuietHours.parse("12:00-13:30").holds_at(_at(13, 29))


@pytest.mark.parametrize("value", ["22-07", "24:00-07:00", "22:00 - 07:00", "", "22:00-07:60"])
def test_1_4_a_quiet_hours_value_that_is_not_a_time_range_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="time range"):
        QuietHours.parse(value)


def test_4_1_each_client_has_its_own_per_minute_limit() -> None:
    limiter = ClientRateLimiter()
    for i in range(3):
        limiter.check("a", 3, now=100.0 + i)
    with pytest.raises(RateLimited) as refused:
        limiter.check("a", 3, now=110.0)
    assert refused.value.detail["retry_after"] == 51
    limiter.check("b", 3, now=110.0)  # another client is not held back
    limiter.check("a", 3, now=160.5)  # the first call left the window


async def test_4_5_the_channel_simulator_keeps_signed_pushes_once_and_refuses_forged_ones() -> None:
    app = create_app(ChannelAppSettings(secrets="shiimin=simulator-secret-0001"))
    payload = {"idempotencyKey": "evt-1", "personalNumber": "1301000012345", "kind": "resumed", "title": "t"}
    body = json.dumps(payload).encode()

    def headers(secret: str) -> dict[str, str]:
        now = int(time.time())
        signature = sign(secret.encode(), now, body)
        return {"X-Signature-Timestamp": str(now), "X-Signature": signature, "Idempotency-Key": "evt-1"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
        url = "/apps/shiimin/notifications"
        forged = await client.post(url, content=body, headers=headers("someone-elses-secret"))
        assert forged.status_code == 401 and forged.json()["error"] == "SIGNATURE_INVALID"
        first = await client.post(url, content=body, headers=headers("simulator-secret-0001"))
        again = await client.post(url, content=body, headers=headers("simulator-secret-0001"))
        assert first.json() == {"received": True, "duplicate": False} and again.json()["duplicate"] is True
        await client.put("/admin/faults", json={"down": True})
        assert (await client.post(url, content=body, headers=headers("simulator-secret-0001"))).status_code == 503
        stats = (await client.get("/admin/stats")).json()
        assert stats["received"] == 1 and stats["counts"] == {
            "signature_refused": 1,
            "received": 1,
            "duplicate": 1,
            "down": 1,
        }
        assert [r["idempotencyKey"] for r in (await client.get("/admin/received")).json()] == ["evt-1"]
