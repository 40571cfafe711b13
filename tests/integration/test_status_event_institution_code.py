"""6.22: the ``institution_code`` the province receives (the BusinessRecord's ``orgCode``) is the same whichever path
wrote the status-change entry — a change made one by one (staff suspension, registration, error restoration), the
nightly overdue rules (set-based) and the reconciliation's resend — for a retiree with an institution (that
institution's code) and one without (the retiree's insuring agency, never the city's code).

The nightly rules run "as of" 1 June 1980, like tests/integration/test_suspension_rules.py, so that no other test's
retirees fall due."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.jobs import run_suspension_rules
from connectors.provincial.mapping import business_record
from connectors.provincial.reconcile import resend
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Register, Status, Suspend
from domain.retirees.models import Retiree
from domain.shared.actor import system_actor
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.integration

STAFF = system_actor("institution-code-test")
AGENCY = "130105"  # 新华区: not the district of the test tree, not the city's code
NIGHT = date(1980, 6, 1)


async def _people(hub: Hub, **dates: dict[str, date]) -> tuple[str, int, list[Retiree]]:
    """A community and, per keyword, a retiree: ``with_*`` registered there, ``without_*`` approved (no
    institution), with these column values. Returns the community's code and id and the people in keyword order."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        people = []
        for name, values in dates.items():
            institution = None if name.startswith("without") else community
            person = await factories.retiree(session, institution, agency=AGENCY)
            for column, value in values.items():
                setattr(person, column, value)
            people.append(person)
        await session.flush()
        for person in people:
            session.expunge(person)
        assert community.id is not None
        return community.code, community.id, people


async def _events(hub: Hub, people: list[Retiree]) -> dict[str, list[dict[str, Any]]]:
    """The person_status.changed data in the outbox per personal number, oldest first."""
    numbers = [p.personal_number for p in people]
    async with hub.sessions() as session:
        rows = (
            await session.execute(
                select(col(OutboxMessage.key), col(OutboxMessage.payload))
                .where(col(OutboxMessage.event_type) == "person_status.changed", col(OutboxMessage.key).in_(numbers))
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    found: dict[str, list[dict[str, Any]]] = {n: [] for n in numbers}
    for key, payload in rows:
        found[key].append(json.loads(payload))
    return found


async def _apply(hub: Hub, retiree_id: int | None, command: Register | Suspend) -> int:
    """Apply one command as staff do (one by one); returns the log entry's row."""
    assert retiree_id is not None
    async with hub.sessions() as session, session.begin():
        person = await status_log.locked_retiree(session, retiree_id)
        entry = await status_log.apply(
            hub.unit_of_work(session, "test"),
            STAFF,
            person,
            command,
            effective_date=date(2026, 3, 1),
            cause=status_log.Cause(CauseType.STAFF, STAFF.name),
        )
        assert entry.id is not None
        return entry.id


def _org_codes(events: list[dict[str, Any]]) -> list[str]:
    """What the province receives: the orgCode of the BusinessRecord the provincial push makes of each event."""
    return [business_record(data)["orgCode"] for data in events]


async def test_6_22_institution_code_of_a_change_made_one_by_one(registry_hub: Hub) -> None:
    community, community_id, (with_institution, without, registering) = await _people(
        registry_hub, with_institution={}, without={}, without_registering={}
    )
    await _apply(registry_hub, with_institution.id, Suspend(ReasonCode.SUSPENDED_BY_STAFF))
    await _apply(registry_hub, without.id, Suspend(ReasonCode.SUSPENDED_BY_STAFF))
    await _apply(registry_hub, registering.id, Register(community_id))

    events = await _events(registry_hub, [with_institution, without, registering])
    assert _org_codes(events[with_institution.personal_number]) == [community]
    assert _org_codes(events[without.personal_number]) == [AGENCY]
    assert _org_codes(events[registering.personal_number]) == [community]
    assert [e["reason_code"] for e in events[without.personal_number]] == ["S04"]


async def test_6_22_institution_code_of_the_nightly_overdue_rules(registry_hub: Hub) -> None:
    community, _, (with_institution, without) = await _people(
        registry_hub,
        with_institution={"last_certified_on": date(1979, 1, 1)},  # certification overdue (S01)
        without={"retirement_date": date(1979, 1, 1)},  # approved, never registered: registration overdue (S02)
    )
    await run_suspension_rules(registry_hub, NIGHT)

    async with registry_hub.sessions() as session:
        statuses = (
            await session.execute(
                select(col(Retiree.status)).where(col(Retiree.id).in_([with_institution.id, without.id]))
            )
        ).scalars()
        assert set(statuses) == {Status.SUSPENDED.value}
    events = await _events(registry_hub, [with_institution, without])
    assert [(e["reason_code"], e["change_kind"]) for e in events[with_institution.personal_number]] == [
        ("S01", "suspended")
    ]
    assert [(e["reason_code"], e["change_kind"]) for e in events[without.personal_number]] == [("S02", "suspended")]
    assert _org_codes(events[with_institution.personal_number]) == [community]
    assert _org_codes(events[without.personal_number]) == [AGENCY]  # not the city's code (factories.ROOT_CODE)
    assert AGENCY != factories.ROOT_CODE


async def test_6_22_institution_code_of_a_resend_is_the_originals(registry_hub: Hub) -> None:
    """resend rebuilds each unacknowledged entry's event from the log: the same data as the original, whichever
    path wrote it — a staff suspension, a nightly suspension, and the error restoration of a registration (the
    retiree has no institution after it; the entry is about the community whose registration is undone)."""
    community, community_id, (staff_with, staff_without, night_with, night_without, restored) = await _people(
        registry_hub,
        with_staff={},
        without_staff={},
        with_night={"last_certified_on": date(1979, 1, 1)},
        without_night={"retirement_date": date(1979, 1, 1)},
        without_restored={},
    )
    people = [staff_with, staff_without, night_with, night_without, restored]
    await _apply(registry_hub, staff_with.id, Suspend(ReasonCode.SUSPENDED_BY_STAFF))
    await _apply(registry_hub, staff_without.id, Suspend(ReasonCode.SUSPENDED_BY_STAFF))
    await run_suspension_rules(registry_hub, NIGHT)
    registration = await _apply(registry_hub, restored.id, Register(community_id))
    assert restored.id is not None
    async with registry_hub.sessions() as session, session.begin():
        await status_log.restore_in_error(
            registry_hub.unit_of_work(session, "test"), STAFF, registration, retiree_id=restored.id
        )

    originals = await _events(registry_hub, people)
    written = await resend(registry_hub.sessions, registry_hub.unit_of_work, [p.personal_number for p in people])
    assert written == 6  # four suspensions, a registration and its restoration: none acknowledged yet
    after = await _events(registry_hub, people)
    for person in people:
        first = originals[person.personal_number]
        again = after[person.personal_number][len(first) :]
        assert [e | {"entered_at": None} for e in again] == [e | {"entered_at": None} for e in first], person

    expected = {
        staff_with.personal_number: [community],
        staff_without.personal_number: [AGENCY],
        night_with.personal_number: [community],
        night_without.personal_number: [AGENCY],
        restored.personal_number: [community, community],  # registered there; the restoration undoes that
    }
    assert {number: _org_codes(events[len(events) // 2 :]) for number, events in after.items()} == expected
