"""Inbound canonical events reach the registry through real Kafka (2.1, 2.2, 2.3, 2.4, 1.5): applied once, a replay
of the same events changes nothing, a retiree with an invalid ID number is dead-lettered with the reason while the
others flow, and a death from the exchange database is logged (6.22) without being sent back to the province."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from domain.audit.models import AuditEntry
from domain.employers.models import Employer
from domain.retirees.models import Retiree
from domain.status_log.models import StatusChange
from hub.bootstrap import Hub
from hub.envelope import Envelope
from hub.models import ParkedEvent
from tests import factories
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


def _event(event_type: str, subject: str, data: dict[str, Any]) -> Envelope:
    return Envelope.new(event_type, subject, data, source="urn:retiree-hub:test/provincial")


def _approved(personal_number: str, id_number: str, birth: date, employer: str) -> dict[str, Any]:
    return {
        "personal_number": personal_number,
        "id_number": id_number,
        "name": "赵国庆",
        "sex": "1",
        "birth_date": birth.isoformat(),
        "retirement_date": date(birth.year + 60, birth.month, 1).isoformat(),
        "insuring_agency_code": "130102",
        "employer_code": employer,
        "payment_status": "1",
        "monthly_pension": "4125.30",
        "approval_date": "2026-10-20",
    }


async def _retiree(hub: Hub, personal_number: str) -> Retiree | None:
    async with hub.sessions() as session:
        query = select(Retiree).where(Retiree.personal_number == personal_number)  # type: ignore[arg-type]
        return (await session.execute(query)).scalar_one_or_none()


async def test_inbound_events_apply_once_and_a_replay_changes_nothing(registry_worker: Any) -> None:
    _, hub = registry_worker
    birth = date(1962, 3, 14)
    person, employer = factories.personal_number(), factories.code("E")
    events = [
        _event(
            "employer.synced",
            employer,
            {
                "employer_code": employer,
                "name": "石家庄测试机械厂",
                "insuring_agency_code": "130102",
                "status": "active",
            },
        ),
        _event("retiree.approved", person, _approved(person, factories.id_number(birth), birth, employer)),
        _event(
            "payment_status.changed",
            person,
            {
                "personal_number": person,
                "old_status": "1",
                "new_status": "2",
                "reason_code": "S05",
                "effective_date": "2026-11-01",
            },
        ),
        _event(
            "retiree.changed",
            person,
            {
                "personal_number": person,
                "change_kind": "address",
                "effective_date": "2026-11-02",
                "exchange_row_id": factories.code("EX"),
                "changes": {"residence_address": "石家庄市桥西区自强路1号", "phone": "13700001111"},
            },
        ),
        _event(
            "retiree.corrected",
            person,
            {"personal_number": person, "changes": {"name": "赵国清"}, "reason": "档案核实更正姓名"},
        ),
    ]
    await hub.publisher.publish_events(events, source="test")

    async def all_applied() -> bool:
        # The payment change travels on another topic and may overtake the approval: it is parked and retried.
        found = await _retiree(hub, person)
        return found is not None and found.name == "赵国清" and found.payment_status == "2"

    await wait_until(all_applied, 30, "every event to reach the registry")
    first = await _retiree(hub, person)
    assert first is not None
    assert (first.payment_status, first.residence_address, first.phone) == (
        "2",
        "石家庄市桥西区自强路1号",
        "13700001111",
    )
    assert first.status == "approved" and first.institution_id is None  # deny-by-default until registered

    # The same events again (a connector re-sending after a crash): nothing changes.
    await hub.publisher.publish_events(events, source="test")
    marker = _event(
        "retiree.changed",
        person,
        {**events[3].data, "exchange_row_id": factories.code("EX"), "changes": {"phone": "13700002222"}},
    )
    await hub.publisher.publish_events([marker], source="test")

    async def marker_applied() -> bool:
        found = await _retiree(hub, person)
        return found is not None and found.phone == "13700002222"

    await wait_until(marker_applied, 30, "the marker after the replay")
    again = await _retiree(hub, person)
    assert again is not None and again.version == first.version + 1
    async with hub.sessions() as session:
        actions = (
            await session.execute(
                select(col(AuditEntry.action), func.count())
                .where(col(AuditEntry.retiree_id) == first.id)
                .group_by(col(AuditEntry.action))
            )
        ).all()
        employers = (await session.execute(select(func.count()).where(Employer.code == employer))).scalar_one()  # type: ignore[arg-type]
    assert dict(actions) == {
        "retiree.approved": 1,
        "retiree.payment_status_changed": 1,
        "retiree.changed": 2,
        "retiree.corrected": 1,
    }
    assert employers == 1


async def test_an_invalid_id_number_is_dead_lettered_with_the_reason_while_others_flow(registry_worker: Any) -> None:
    group, hub = registry_worker
    birth = date(1958, 8, 12)
    good_number = factories.id_number(birth)
    bad_number = good_number[:17] + ("0" if good_number[17] != "0" else "1")
    poison, healthy = factories.personal_number(), factories.personal_number()
    await hub.publisher.publish_events(
        [
            _event("retiree.approved", poison, _approved(poison, bad_number, birth, "E1")),
            _event(
                "retiree.approved",
                healthy,
                _approved(healthy, factories.id_number(date(1960, 1, 2)), date(1960, 1, 2), "E1"),
            ),
        ],
        source="test",
    )

    async def healthy_applied() -> bool:
        return await _retiree(hub, healthy) is not None

    await wait_until(healthy_applied, 30, "the healthy retiree")

    async def dead_lettered() -> list[ParkedEvent]:
        async with hub.sessions() as session:
            query = select(ParkedEvent).where(ParkedEvent.consumer_group == group.name, ParkedEvent.event_key == poison)  # type: ignore[arg-type]
            return list((await session.execute(query)).scalars().all())

    async def is_dead() -> bool:
        return any(p.status == "dead" for p in await dead_lettered())

    await wait_until(is_dead, 30, "the poison event to be dead-lettered")
    [parked] = await dead_lettered()
    assert parked.error_type == "DomainError" and "身份证号码校验位错误" in (parked.error_message or "")
    assert await _retiree(hub, poison) is None


async def test_a_death_from_the_exchange_database_is_logged_not_sent_back(registry_worker: Any) -> None:
    _, hub = registry_worker
    person = factories.personal_number()
    birth = date(1940, 5, 6)
    await hub.publisher.publish_events(
        [
            _event("retiree.approved", person, _approved(person, factories.id_number(birth), birth, "E1")),
            _event(
                "retiree.changed",
                person,
                {
                    "personal_number": person,
                    "change_kind": "death",
                    "effective_date": "2026-09-30",
                    "exchange_row_id": factories.code("EX"),
                    "changes": {"death_date": "2026-09-30"},
                },
            ),
        ],
        source="test",
    )

    async def deceased() -> bool:
        found = await _retiree(hub, person)
        return found is not None and found.status == "deceased"

    await wait_until(deceased, 30, "the death to be applied")
    found = await _retiree(hub, person)
    assert found is not None and found.death_date == date(2026, 9, 30)
    async with hub.sessions() as session:
        [entry] = (
            (await session.execute(select(StatusChange).where(col(StatusChange.retiree_id) == found.id)))
            .scalars()
            .all()
        )
    assert (entry.kind, entry.effective_date, entry.sync_state, entry.cause_type) == (
        "deceased",
        date(2026, 9, 30),
        "not_sent",
        "event",
    )
