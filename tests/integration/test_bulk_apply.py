"""The set-based path of the hub's consumer (hub/consumer.py, batch handlers) with the registry's bulk handlers for
2.2 (a full resync), 2.4 (payment status), 2.5 (the yearly adjustment) and 2.6 (certifications), through real
Kafka and PostgreSQL: the same effect as one by one — each event applied once, one audit entry each, a repeated
delivery changing nothing — and a batch holding a bad event falls back to one by one, which refuses exactly that
event with its reason while the rest flow.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from app.handlers import REGISTRY
from domain.dictionary.codes import ReasonCode
from domain.retirees.idnumber import area_codes, make_id_number
from domain.retirees.lifecycle import Suspend
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from hub.consumer import BatchHandler, ConsumerGroup, OutboxUnitOfWork
from hub.envelope import Envelope
from hub.settings import Settings
from tests import factories
from tests.integration.conftest import running_group
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


class Spy:
    """Counts the events each call of a batch handler was given (whether or not the call succeeded)."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def wrap(self, handler: BatchHandler) -> BatchHandler:
        async def spied(envelopes: Sequence[Envelope], uow: OutboxUnitOfWork) -> None:
            self.calls.append(len(envelopes))
            await handler(envelopes, uow)

        return spied


@pytest.fixture
async def bulk_worker(settings: Settings) -> AsyncIterator[tuple[str, Hub, Spy]]:
    spy = Spy()
    group = ConsumerGroup(
        f"it-bulk-{uuid.uuid4().hex[:8]}",
        REGISTRY.handlers,
        batch_handlers={name: spy.wrap(handler) for name, handler in REGISTRY.batch_handlers.items()},
    )
    async with running_group(settings, group) as hub:
        yield group.name, hub, spy


def _approval(personal_number: str, id_number: str, birth: date) -> Envelope:
    data = {
        "personal_number": personal_number,
        "id_number": id_number,
        "name": "钱秀英",
        "sex": "2",
        "birth_date": birth.isoformat(),
        "retirement_date": date(birth.year + 55, birth.month, 1).isoformat(),
        "insuring_agency_code": "130102",
        "payment_status": "1",
        "monthly_pension": "3600.00",
        "approval_date": "2026-10-20",
    }
    return Envelope.new("retiree.approved", personal_number, data, source="urn:retiree-hub:test/provincial")


def _people(count: int) -> list[tuple[str, str, date]]:
    """(personal number, ID number, birth date): each on its own birth day, in an area code (of 青海, 63xxxx: real,
    and neither the seed's nor the factories') and a sequence drawn for the call, so that they clash neither with each
    other nor with earlier runs' people."""
    draw = uuid.uuid4().int
    areas = sorted(code for code in area_codes() if code.startswith("63"))
    area, sequence = areas[draw % len(areas)], (draw // len(areas)) % 500
    first = date(1950, 1, 1) + timedelta(days=(draw // 45000) % 3000)
    births = [first + timedelta(days=i) for i in range(count)]
    return [(factories.personal_number(), make_id_number(area, birth, sequence, "2"), birth) for birth in births]


async def _scalar(hub: Hub, sql: str, **params: Any) -> Any:
    async with hub.sessions() as session:
        return (await session.execute(text(sql), params)).scalar()


async def _count_retirees(hub: Hub, numbers: list[str]) -> int:
    return int(await _scalar(hub, "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p)", p=numbers))


async def _approved_people(hub: Hub, count: int) -> list[str]:
    """``count`` new people approved through Kafka and the worker; their personal numbers once all are in."""
    people = _people(count)
    numbers = [number for number, _, _ in people]
    await hub.publisher.publish_events([_approval(*person) for person in people], source="test")

    async def approved() -> bool:
        return await _count_retirees(hub, numbers) == count

    await wait_until(approved, 60, f"the {count} approvals")
    return numbers


async def test_2_2_a_resync_batch_is_applied_set_based_once_with_an_audit_entry_each(
    bulk_worker: tuple[str, Hub, Spy],
) -> None:
    _, hub, spy = bulk_worker
    people = _people(300)
    numbers = [number for number, _, _ in people]
    events = [_approval(*person) for person in people]
    await hub.publisher.publish_events(events, source="test")

    async def all_applied() -> bool:
        return await _count_retirees(hub, numbers) == 300

    await wait_until(all_applied, 60, "the 300 approvals")
    assert max(spy.calls) > 1, "the set-based path never ran"
    audit = "SELECT count(*) FROM audit_entry WHERE action = 'retiree.approved' AND target = ANY(:p)"
    assert await _scalar(hub, audit, p=numbers) == 300
    row = await _scalar(
        hub,
        "SELECT status || '/' || status_since || '/' || monthly_pension FROM retiree WHERE personal_number = :p",
        p=numbers[0],
    )
    assert row == "approved/2026-10-20/3600.00"

    calls_before = len(spy.calls)
    await hub.publisher.publish_events(events, source="test")  # the same events again: a redelivery

    async def seen_again() -> bool:
        processed = await _scalar(
            hub,
            "SELECT count(*) FROM hub_processed_event WHERE event_id = ANY(:ids)",
            ids=[e.id for e in events],
        )
        return bool(processed == 300) and len(spy.calls) == calls_before

    await wait_until(seen_again, 10, "nothing new to apply")
    assert await _scalar(hub, audit, p=numbers) == 300
    assert await _scalar(hub, "SELECT max(version) FROM retiree WHERE personal_number = ANY(:p)", p=numbers) == 1


async def test_a_bad_approval_in_a_bulk_batch_is_refused_alone_while_the_rest_are_applied(
    bulk_worker: tuple[str, Hub, Spy],
) -> None:
    group, hub, spy = bulk_worker
    people = _people(40)
    (bad_number, bad_id, bad_birth) = people[10]
    wrong_check = bad_id[:17] + ("0" if bad_id[17] != "0" else "1")
    # The 21st approval carries the 31st's ID number. The two are keyed by different people, so they may sit on
    # different partitions and either may come first: whichever does is applied, the other refused.
    (taker, _, _) = people[20]
    (loser, taken_id, loser_birth) = people[30]
    events = [_approval(*person) for person in people]
    events[10] = _approval(bad_number, wrong_check, bad_birth)
    events[20] = _approval(taker, taken_id, loser_birth)
    await hub.publisher.publish_events(events, source="test")
    healthy = [number for i, (number, _, _) in enumerate(people) if i not in (10, 20, 30)]

    async def healthy_applied() -> bool:
        return await _count_retirees(hub, healthy) == 37 and await _count_retirees(hub, [taker, loser]) == 1

    await wait_until(healthy_applied, 60, "the 37 good approvals and one of the two claiming the same ID number")

    async def both_dead() -> bool:
        dead = await _scalar(
            hub,
            "SELECT count(*) FROM hub_parked_event WHERE consumer_group = :g AND status = 'dead'"
            " AND event_key = ANY(:p)",
            g=group,
            p=[bad_number, taker, loser],
        )
        return bool(dead == 2)

    await wait_until(both_dead, 30, "the two bad approvals dead-lettered")
    reasons = await _scalar(
        hub,
        "SELECT string_agg(error_message, ' | ' ORDER BY event_key) FROM hub_parked_event"
        " WHERE consumer_group = :g AND event_key = ANY(:p)",
        g=group,
        p=[bad_number, taker, loser],
    )
    assert "身份证号码校验位错误" in reasons and "已属于个人编号" in reasons
    assert await _count_retirees(hub, [bad_number]) == 0
    refused = await _scalar(
        hub,
        "SELECT event_key FROM hub_parked_event WHERE consumer_group = :g AND event_key = ANY(:p)",
        g=group,
        p=[taker, loser],
    )
    assert await _count_retirees(hub, [refused]) == 0
    assert max(spy.calls) > 1, "the set-based path was never tried"


async def test_2_5_an_adjustment_burst_is_applied_set_based_and_an_unknown_retiree_waits(
    bulk_worker: tuple[str, Hub, Spy],
) -> None:
    group, hub, spy = bulk_worker
    numbers = await _approved_people(hub, 100)
    stranger = factories.personal_number()
    batch = f"TZ2026-{uuid.uuid4().hex[:6]}"

    def adjustment(number: str) -> Envelope:
        data = {
            "personal_number": number,
            "batch_id": batch,
            "adjustment_year": 2026,
            "amount_before": "3600.00",
            "amount_after": "3708.00",
            "increase": "108.00",
            "effective_month": "2026-01",
        }
        return Envelope.new("pension.adjusted", number, data, source="urn:retiree-hub:test/provincial")

    calls_before = len(spy.calls)
    await hub.publisher.publish_events([adjustment(n) for n in [*numbers[:50], stranger, *numbers[50:]]], source="test")

    async def adjusted() -> bool:
        count = await _scalar(
            hub,
            "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p) AND monthly_pension = 3708.00",
            p=numbers,
        )
        return bool(count == 100)

    await wait_until(adjusted, 60, "the 100 adjustments")
    rows = "SELECT count(*) FROM pension_adjustment WHERE batch_id = :b"
    assert await _scalar(hub, rows, b=batch) == 100
    assert max(spy.calls[calls_before:]) > 1, "the set-based path never ran"
    waiting = await _scalar(
        hub,
        "SELECT status FROM hub_parked_event WHERE consumer_group = :g AND event_key = :p",
        g=group,
        p=stranger,
    )
    assert waiting in ("retrying", "dead")  # parked for a later try: its retiree has not arrived
    increase = await _scalar(hub, "SELECT max(increase) FROM pension_adjustment WHERE batch_id = :b", b=batch)
    assert Decimal(increase) == Decimal("108.00")


async def test_2_4_payment_status_changes_are_applied_set_based_with_an_audit_entry_each(
    bulk_worker: tuple[str, Hub, Spy],
) -> None:
    _, hub, spy = bulk_worker
    numbers = await _approved_people(hub, 60)

    def change(number: str, new_status: str) -> Envelope:
        data = {
            "personal_number": number,
            "old_status": "1",
            "new_status": new_status,
            "reason_code": "NO_CERT",
            "effective_date": "2026-11-01",
        }
        return Envelope.new("payment_status.changed", number, data, source="urn:retiree-hub:test/provincial")

    # 40 suspensions of payment, and 20 reports of the status they already have (which change nothing).
    events = [change(n, "2") for n in numbers[:40]] + [change(n, "1") for n in numbers[40:]]
    calls_before = len(spy.calls)
    await hub.publisher.publish_events(events, source="test")
    processed = "SELECT count(*) FROM hub_processed_event WHERE event_id = ANY(:ids)"

    async def all_seen() -> bool:
        return bool(await _scalar(hub, processed, ids=[e.id for e in events]) == 60)

    await wait_until(all_seen, 60, "the 60 payment-status changes")
    assert max(spy.calls[calls_before:]) > 1, "the set-based path never ran"
    by_status = "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p) AND payment_status = :s AND version = :v"
    assert await _scalar(hub, by_status, p=numbers[:40], s="2", v=2) == 40
    assert await _scalar(hub, by_status, p=numbers[40:], s="1", v=1) == 20
    audit = (
        "SELECT count(*) FROM audit_entry WHERE action = 'retiree.payment_status_changed' AND target = ANY(:p)"
        " AND detail->>'before' = '1' AND detail->>'after' = '2' AND detail->>'event' IS NOT NULL"
    )
    assert await _scalar(hub, audit, p=numbers) == 40


def _certification(number: str, source: str, certification_id: str, on: date, *, passed: bool = True) -> Envelope:
    data = {
        "personal_number": number,
        "certification_id": certification_id,
        "source": source,
        "method": "on_site" if source == "on_site" else "face",
        "certified_on": on.isoformat(),
        "result": "passed" if passed else "failed",
    }
    return Envelope.new("certification.recorded", number, data, source="urn:retiree-hub:test/certifications")


async def _suspended_for_missing_certification(hub: Hub, count: int) -> list[str]:
    numbers = []
    async with hub.sessions() as session, session.begin():
        uow = hub.unit_of_work(session, "test")
        tree = await factories.tree(session)
        for _ in range(count):
            person = await factories.retiree(session, tree.communities[0])
            assert person.id is not None
            person.last_certified_on = date(2026, 3, 1)
            await status_log.apply(
                uow,
                factories.SETUP,
                person,
                Suspend(ReasonCode.CERTIFICATION_OVERDUE),
                effective_date=date(2026, 9, 2),
                cause=status_log.Cause(CauseType.RULE, "test"),
            )
            numbers.append(person.personal_number)
    return numbers


async def test_2_6_a_season_of_certifications_is_applied_set_based_with_the_effects_of_one_by_one(
    bulk_worker: tuple[str, Hub, Spy],
) -> None:
    """Face results, their provincial copies, on-site certifications and failed attempts, in runs: each report
    recorded once, one certification per retiree and day keeping the nearest source, the standing moved forward
    and never back, an audit entry each; a retiree suspended for missing certification is resumed (the one-by-one
    path inside the run), and one not known yet waits while the rest are applied."""
    group, hub, spy = bulk_worker
    numbers = await _approved_people(hub, 50)
    suspended = await _suspended_for_missing_certification(hub, 5)
    stranger = factories.personal_number()
    day, earlier, tag = date(2026, 11, 10), date(2026, 10, 1), uuid.uuid4().hex[:8]
    everyone = [*numbers, *suspended]
    first = [_certification(n, "face_recognition", f"F-{tag}-{n}", day) for n in [*numbers[:45], *suspended]]
    first += [_certification(n, "face_recognition", f"X-{tag}-{n}", day, passed=False) for n in numbers[45:]]
    first.insert(20, _certification(stranger, "face_recognition", f"F-{tag}-{stranger}", day))
    calls_before = len(spy.calls)
    await hub.publisher.publish_events(first, source="test")
    # Then the province's copies (same day: the same certification, the face result's source kept), an on-site
    # certification outranking five of them, an older report that must not move the standing back, and the same
    # face results delivered again under new event ids (the platform retrying): recorded already, nothing changes.
    second = [_certification(n, "provincial_sync", f"P-{tag}-{n}", day) for n in numbers[:45]]
    second += [_certification(n, "on_site", f"S-{tag}-{n}", day) for n in numbers[:5]]
    second += [_certification(n, "provincial_sync", f"O-{tag}-{n}", earlier) for n in numbers[5:10]]
    second += [_certification(n, "face_recognition", f"F-{tag}-{n}", day) for n in numbers[10:15]]
    await hub.publisher.publish_events(second, source="test")
    events = [e for e in first + second if e.subject != stranger]
    processed = "SELECT count(*) FROM hub_processed_event WHERE event_id = ANY(:ids)"

    async def all_seen() -> bool:
        return bool(await _scalar(hub, processed, ids=[e.id for e in events]) == len(events))

    await wait_until(all_seen, 90, f"the {len(events)} certification events")
    assert max(spy.calls[calls_before:]) > 1, "the set-based path never ran"
    of = "JOIN retiree r ON r.id = {t}.retiree_id WHERE r.personal_number = ANY(:p)"
    reports = await _scalar(hub, "SELECT count(*) FROM certification_report c " + of.format(t="c"), p=everyone)
    assert reports == 50 + 5 + 45 + 5 + 5  # first run, suspended, copies, on-site, older; the retries add none
    by_source = (
        "SELECT count(*) FROM certification c " + of.format(t="c") + " AND c.certified_on = :d AND c.source = :s"
    )
    assert await _scalar(hub, by_source, p=everyone, d=day, s="on_site") == 5
    assert await _scalar(hub, by_source, p=everyone, d=day, s="face_recognition") == 45 - 5 + 5
    assert await _scalar(hub, by_source, p=everyone, d=earlier, s="provincial_sync") == 5
    unlinked = "SELECT count(*) FROM certification_report c " + of.format(t="c") + " AND c.certification_id IS NULL"
    assert await _scalar(hub, unlinked, p=everyone) == 5  # the failed attempts only
    standing = "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p) AND last_certified_on = :d"
    assert await _scalar(hub, standing, p=[*numbers[:45], *suspended], d=day) == 50
    assert (
        await _scalar(
            hub,
            "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p) AND last_certified_on IS NULL",
            p=numbers[45:],
        )
        == 5
    )
    resumed = "SELECT count(*) FROM retiree WHERE personal_number = ANY(:p) AND status = 'registered'"
    assert await _scalar(hub, resumed, p=suspended) == 5
    audit = "SELECT count(*) FROM audit_entry WHERE action = :a AND target = ANY(:p) AND detail->>'event' IS NOT NULL"
    assert await _scalar(hub, audit, a="certification.recorded", p=everyone) == 50 + 45 + 5 + 5
    assert await _scalar(hub, audit, a="certification.failed_attempt", p=everyone) == 5
    waiting = "SELECT status FROM hub_parked_event WHERE consumer_group = :g AND event_key = :p"
    assert await _scalar(hub, waiting, g=group, p=stranger) in ("retrying", "dead")
