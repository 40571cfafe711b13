"""Sharing newly approved retirees with the authentication platform (issue 5, function point 4.3/2.6; contract
section 1), with the real PostgreSQL and the real platform simulator behind ``httpx.ASGITransport``: queued
retirees are sent in batches and marked shared; a resend is harmless (the platform reports duplicates); a person the
platform refuses is set aside with its reason; with the platform failing or unreachable the rows are rescheduled
with backoff, nothing is lost, and they are delivered once it is back.

The test database is shared: other rows may be due at the same time and are sent along; the assertions look only
at this test's retirees (unique personal numbers)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlmodel import col

from connectors.auth_platform.client import AuthPlatformClient
from connectors.auth_platform.models import FaceModelShare, ShareState
from connectors.auth_platform.share import RETRY_BACKOFF, ShareReport, request_share, share_due
from domain.retirees.models import Retiree
from hub.bootstrap import Hub
from hub.envelope import Envelope
from simulators.auth_platform.app import State, create_app
from simulators.auth_platform.config import AuthPlatformSettings
from tests import factories

pytestmark = pytest.mark.integration

TOKEN = "it-share-token"
PLATFORM_URL = "http://auth-platform.test"
UNREACHABLE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there, the connection is refused


@dataclass
class Platform:
    app: FastAPI
    admin: httpx.AsyncClient
    client: AuthPlatformClient

    @property
    def state(self) -> State:
        state: State = self.app.state.simulator
        return state

    async def shared(self, personal_number: str) -> dict[str, Any] | None:
        body = (await self.admin.get("/admin/persons", params={"personal_number": personal_number})).json()
        persons: list[dict[str, Any]] = body["persons"]
        return persons[0] if persons else None

    async def faults(self, **faults: Any) -> None:
        response = await self.admin.put("/admin/faults", json=faults)
        assert response.status_code == 200, response.text


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    app = create_app(AuthPlatformSettings(token=TOKEN, rate=0.0))
    transport = httpx.ASGITransport(app=app)
    client = AuthPlatformClient(PLATFORM_URL, TOKEN, timeout=5.0, attempts=2, transport=transport)
    async with httpx.AsyncClient(transport=transport, base_url=PLATFORM_URL) as admin:
        yield Platform(app, admin, client)
    await client.close()


async def _approved(hub: Hub, count: int, *, wrong_birth_date: int = 0) -> list[Retiree]:
    """``count`` newly approved retirees queued for sharing by the real ``retiree.approved`` handler (run twice
    per retiree: the queue holds one row each). The last ``wrong_birth_date`` of them carry a birth date their ID
    number contradicts, which the platform refuses."""
    people: list[Retiree] = []
    async with hub.sessions() as session, session.begin():
        for index in range(count):
            person = await factories.retiree(session)
            if index >= count - wrong_birth_date:
                person.birth_date = person.birth_date.replace(day=1 if person.birth_date.day != 1 else 2)
            people.append(person)
        await session.flush()
        uow = hub.unit_of_work(session, "test")
        for person in people:
            approved = Envelope.new(
                "retiree.approved", person.personal_number, {"personal_number": person.personal_number}, source="t"
            )
            await request_share(approved, uow)
            await request_share(approved, uow)
        for person in people:
            session.expunge(person)
    return people


async def _shares(hub: Hub, people: list[Retiree]) -> dict[str, FaceModelShare]:
    async with hub.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(FaceModelShare).where(
                        col(FaceModelShare.personal_number).in_([p.personal_number for p in people])
                    )
                )
            )
            .scalars()
            .all()
        )
    return {row.personal_number: row for row in rows}


async def _drain(hub: Hub, client: AuthPlatformClient, *, batch_size: int) -> list[ShareReport]:
    """Call the sender until nothing is due (as ``hub auth-platform share --once`` does)."""
    reports: list[ShareReport] = []
    for _ in range(200):
        report = await share_due(hub.sessions, client, batch_size=batch_size)
        if not report.handled:
            return reports
        reports.append(report)
    raise AssertionError(f"the sender never ran out of due rows: {reports[-3:]}")


async def _make_due(hub: Hub, people: list[Retiree]) -> None:
    """The clock moves past the rows' retry time."""
    async with hub.sessions() as session, session.begin():
        await session.execute(
            update(FaceModelShare)
            .where(col(FaceModelShare.personal_number).in_([p.personal_number for p in people]))
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )


async def test_approved_retirees_are_queued_once_and_shared_in_batches(registry_hub: Hub, platform: Platform) -> None:
    """Issue 5 / 4.3: each newly approved retiree is queued once and shared in batches of at most the batch size,
    then marked shared with the batch that carried them."""
    people = await _approved(registry_hub, 10)
    queued = await _shares(registry_hub, people)
    assert set(queued) == {p.personal_number for p in people}
    assert {row.state for row in queued.values()} == {ShareState.PENDING.value}

    reports = await _drain(registry_hub, platform.client, batch_size=4)
    assert all(not report.errors for report in reports), [r.errors for r in reports]

    shares = await _shares(registry_hub, people)
    assert {row.state for row in shares.values()} == {ShareState.SHARED.value}
    assert all(row.shared_at is not None and row.attempts == 1 and row.last_error is None for row in shares.values())
    batches = Counter(row.batch_id for row in shares.values())
    assert len(batches) >= 3 and max(batches.values()) <= 4, batches
    for person in people:
        seen = await platform.shared(person.personal_number)
        assert seen is not None, person.personal_number
        assert seen["idNumber"] == person.id_number and seen["name"] == person.name
        assert seen["birthDate"] == person.birth_date.isoformat()
        assert seen["timesReceived"] == 1
        assert seen["lastBatchId"] == shares[person.personal_number].batch_id


async def test_sending_again_is_harmless_the_platform_reports_duplicates(registry_hub: Hub, platform: Platform) -> None:
    """Issue 5 / contract 1: a batch sent again (the sender died before recording it) is answered with duplicates,
    the rows end shared, and the platform still holds each person once."""
    people = await _approved(registry_hub, 3)
    await _drain(registry_hub, platform.client, batch_size=500)
    persons_before = len(platform.state.persons)

    async with registry_hub.sessions() as session, session.begin():  # as if the commit after sending was lost
        await session.execute(
            update(FaceModelShare)
            .where(col(FaceModelShare.personal_number).in_([p.personal_number for p in people]))
            .values(state=ShareState.PENDING.value, shared_at=None)
        )
    reports = await _drain(registry_hub, platform.client, batch_size=500)

    assert sum(r.duplicates for r in reports) >= 3
    assert sum(r.shared for r in reports) >= 3
    shares = await _shares(registry_hub, people)
    assert {row.state for row in shares.values()} == {ShareState.SHARED.value}
    assert all(row.attempts == 2 for row in shares.values())
    assert len(platform.state.persons) == persons_before
    for person in people:
        seen = await platform.shared(person.personal_number)
        assert seen is not None and seen["timesReceived"] == 2

    # The client itself: the same batch once more is all duplicates, no error.
    answer = await platform.client.share(
        "b-again", [{**platform.state.persons[p.personal_number].person} for p in people]
    )
    assert answer.accepted == 0
    assert answer.duplicates == {p.personal_number for p in people}


async def test_a_person_the_platform_refuses_is_set_aside_with_the_reason_and_the_rest_are_shared(
    registry_hub: Hub, platform: Platform
) -> None:
    """Issue 5 / contract 1: a 4xx naming a person sets only that person aside (state refused, the platform's
    reason kept for staff); the others of the batch are sent again and shared; the refused one is not retried."""
    people = await _approved(registry_hub, 4, wrong_birth_date=1)
    good, wrong = people[:3], people[3]

    reports = await _drain(registry_hub, platform.client, batch_size=500)

    assert sum(r.refused for r in reports) >= 1
    shares = await _shares(registry_hub, people)
    assert shares[wrong.personal_number].state == ShareState.REFUSED.value
    reason = shares[wrong.personal_number].last_error or ""
    assert reason.startswith("PERSON_INVALID:") and "idNumber" in reason and wrong.personal_number in reason, reason
    assert await platform.shared(wrong.personal_number) is None
    assert {shares[p.personal_number].state for p in good} == {ShareState.SHARED.value}
    assert all(shares[p.personal_number].last_error is None for p in good)
    for person in good:
        assert await platform.shared(person.personal_number) is not None

    await _make_due(registry_hub, [wrong])
    await _drain(registry_hub, platform.client, batch_size=500)
    again = await _shares(registry_hub, [wrong])
    assert again[wrong.personal_number].state == ShareState.REFUSED.value
    assert again[wrong.personal_number].attempts == shares[wrong.personal_number].attempts


@pytest.mark.parametrize("outage", ["http_5xx", "unreachable"])
async def test_an_unavailable_platform_reschedules_with_backoff_and_nothing_is_lost(
    registry_hub: Hub, platform: Platform, outage: str
) -> None:
    """Issue 5 / contract 1: 5xx answers or a refused connection leave the rows pending, rescheduled with a growing
    backoff and the error recorded; once the platform is back every one of them is shared, exactly once."""
    people = await _approved(registry_hub, 6)
    if outage == "http_5xx":
        await platform.faults(down=True)
        failing = platform.client
    else:
        failing = AuthPlatformClient(UNREACHABLE_URL, TOKEN, timeout=2.0, attempts=2)

    started = datetime.now(UTC)
    try:
        first = await _drain(registry_hub, failing, batch_size=4)
        assert sum(r.rescheduled for r in first) >= 6 and not any(r.shared for r in first)
        after_first = await _shares(registry_hub, people)
        for row in after_first.values():
            assert row.state == ShareState.PENDING.value and row.attempts == 1
            assert row.next_attempt_at is not None
            assert row.next_attempt_at >= started + timedelta(seconds=RETRY_BACKOFF.initial * 0.9)
            assert row.last_error, row

        await _make_due(registry_hub, people)
        await _drain(registry_hub, failing, batch_size=4)
        after_second = await _shares(registry_hub, people)
        for row in after_second.values():  # the second failure waits at least twice the initial backoff
            assert row.state == ShareState.PENDING.value and row.attempts == 2
            assert row.next_attempt_at is not None
            assert row.next_attempt_at - datetime.now(UTC) >= timedelta(seconds=RETRY_BACKOFF.initial * 2 * 0.9)
    finally:
        if failing is not platform.client:
            await failing.close()
    if outage == "http_5xx":
        assert platform.state.batches["fault_UNAVAILABLE"] >= 2
    for person in people:
        assert await platform.shared(person.personal_number) is None

    await platform.faults()  # back
    await _make_due(registry_hub, people)
    await _drain(registry_hub, platform.client, batch_size=4)

    shares = await _shares(registry_hub, people)
    assert {row.state for row in shares.values()} == {ShareState.SHARED.value}
    assert all(row.attempts == 3 and row.last_error is None for row in shares.values())
    for person in people:
        seen = await platform.shared(person.personal_number)
        assert seen is not None and seen["timesReceived"] == 1


async def test_only_due_rows_are_sent(registry_hub: Hub, platform: Platform) -> None:
    """Issue 5: a row rescheduled into the future is left alone until its time comes."""
    people = await _approved(registry_hub, 2)
    async with registry_hub.sessions() as session, session.begin():
        await session.execute(
            update(FaceModelShare)
            .where(col(FaceModelShare.personal_number) == people[0].personal_number)
            .values(next_attempt_at=datetime.now(UTC) + timedelta(hours=1))
        )
    await _drain(registry_hub, platform.client, batch_size=500)
    shares = await _shares(registry_hub, people)
    assert shares[people[0].personal_number].state == ShareState.PENDING.value
    assert shares[people[0].personal_number].attempts == 0
    assert shares[people[1].personal_number].state == ShareState.SHARED.value
    async with registry_hub.sessions() as session:
        future = await session.scalar(
            select(func.count()).where(
                col(FaceModelShare.personal_number) == people[0].personal_number,
                col(FaceModelShare.next_attempt_at) > datetime.now(UTC),
            )
        )
    assert future == 1
