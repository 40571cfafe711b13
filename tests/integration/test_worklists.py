"""The staff console's home page (issue 13): the worklist counts (待办) over the caller's scope and the lists behind
them, against hand-built data in a fresh district: another community's people are not counted, list rows are masked,
and each count matches the list it links to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.certifications import due
from domain.certifications.models import Certification
from domain.certifications.rules import add_months, certification_due
from domain.dictionary.codes import ReasonCode
from domain.registrations.models import RegistrationApplication
from domain.retirees.lifecycle import ChangeKind, Status
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.status_log.models import StatusChange, SyncState
from domain.status_log.queries import city_day
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def today() -> date:
    """The city's date, read when the test starts and clear of the city's midnight (see test_staff_suspensions)."""

    async def clear_of_midnight() -> bool:
        return datetime.now(calendar.BUSINESS_TZ).time() < time(23, 59)

    await wait_until(clear_of_midnight, 90, "the city's new day")
    return calendar.today()


def change(
    person: Retiree,
    kind: ChangeKind,
    reason: ReasonCode,
    sync: SyncState,
    *,
    entered_at: datetime | None = None,
    error: str | None = None,
) -> StatusChange:
    assert person.id is not None
    state = {"status": person.status, "institution_id": person.institution_id}
    return StatusChange(
        retiree_id=person.id,
        personal_number=person.personal_number,
        kind=kind.value,
        reason_code=reason.value,
        from_status=Status.REGISTERED.value,
        to_status=person.status,
        before_state=state,
        after_state=state,
        effective_date=calendar.today(),
        entered_at=entered_at,
        institution_id=person.institution_id,
        cause_type="staff",
        actor="test",
        sync_state=sync.value,
        sync_error=error,
    )


@dataclass
class World:
    operator: str  # an operator of community A
    district_operator: str
    unauthorised: str
    due_soon: Retiree  # A, due in 10 days
    due_never_certified: Retiree  # A, registered without certification, due in 20 days
    due_later: Retiree  # A, due in 40 days: not counted
    suspended_s01: Retiree  # A
    suspended_s04: Retiree  # A: not counted as uncertified
    elsewhere_due: Retiree  # community B, due in 5 days


async def _world(hub: Hub, today: date) -> World:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        a, b = tree.communities[0], tree.communities[1]
        operator = await factories.account(session, a, "operator")
        district_operator = await factories.account(session, tree.district, "viewer")
        unauthorised = await factories.account(session, a, None)

        async def certified(community: object, due_in: int | None, *, registered: int | None = None) -> Retiree:
            person = await factories.retiree(session, community)  # type: ignore[arg-type]
            if due_in is not None:
                person.last_certified_on = add_months(today + timedelta(days=due_in), -6)
            if registered is not None:
                person.registered_on = add_months(today + timedelta(days=registered), -6)
            return person

        world = World(
            operator=operator.username,
            district_operator=district_operator.username,
            unauthorised=unauthorised.username,
            due_soon=await certified(a, 10),
            due_never_certified=await certified(a, None, registered=20),
            due_later=await certified(a, 40),
            suspended_s01=await factories.retiree(session, a, status=Status.SUSPENDED),
            suspended_s04=await factories.retiree(session, a, status=Status.SUSPENDED),
            elsewhere_due=await certified(b, 5),
        )
        world.suspended_s01.suspension_reason = ReasonCode.CERTIFICATION_OVERDUE.value
        world.suspended_s04.suspension_reason = ReasonCode.SUSPENDED_BY_STAFF.value
        # Already suspended people are not "due", even with an old certification.
        world.suspended_s01.last_certified_on = add_months(today + timedelta(days=3), -6)

        # Mobile applications: one pending in A, one decided in A, one pending in B.
        applicant, decided, other = [await factories.retiree(session) for _ in range(3)]
        for person, community, state in ((applicant, a, "pending"), (decided, a, "rejected"), (other, b, "pending")):
            assert person.id is not None and community.id is not None
            session.add(
                RegistrationApplication(
                    id=uuid.uuid4().hex,
                    retiree_id=person.id,
                    community_id=community.id,
                    channel_client="t",
                    state=state,
                )
            )

        yesterday = datetime.combine(today - timedelta(days=1), time(12), tzinfo=calendar.BUSINESS_TZ)
        session.add_all(
            [
                change(world.due_soon, ChangeKind.REGISTERED, ReasonCode.REGISTERED, SyncState.PENDING),
                change(world.due_later, ChangeKind.REGISTERED, ReasonCode.REGISTERED, SyncState.SENT),
                change(
                    world.suspended_s01,
                    ChangeKind.SUSPENDED,
                    ReasonCode.CERTIFICATION_OVERDUE,
                    SyncState.FAILED,
                    error="省平台拒收：人员不存在",
                ),
                change(
                    world.suspended_s04,
                    ChangeKind.SUSPENDED,
                    ReasonCode.SUSPENDED_BY_STAFF,
                    SyncState.ACKNOWLEDGED,
                    entered_at=yesterday,
                ),
                change(
                    world.due_never_certified, ChangeKind.RESUMED, ReasonCode.RESUMED_BY_STAFF, SyncState.ACKNOWLEDGED
                ),
                change(world.elsewhere_due, ChangeKind.SUSPENDED, ReasonCode.SUSPENDED_BY_STAFF, SyncState.FAILED),
                change(world.elsewhere_due, ChangeKind.REGISTERED, ReasonCode.REGISTERED, SyncState.PENDING),
            ]
        )
        for person in (world.due_soon, world.due_later, world.elsewhere_due):
            assert person.id is not None
            session.add(Certification(retiree_id=person.id, certified_on=today, source="on_site", method="on_site"))
        assert world.suspended_s04.id is not None
        yesterdays = Certification(
            retiree_id=world.suspended_s04.id, certified_on=today - timedelta(days=1), source="on_site", method="x"
        )
        session.add(yesterdays)
        await session.flush()
        for person in vars(world).values():
            if isinstance(person, Retiree):
                session.expunge(person)
        return world


def _counts(body: dict[str, object]) -> dict[str, int]:
    items = [*body["todo"], *body["done_today"]]  # type: ignore[misc]
    return {item["key"]: item["count"] for item in items}


async def test_4_3_worklist_counts_certifications_due_within_30_days_in_scope_only(
    registry_hub: Hub, api: Api, today: date
) -> None:
    world = await _world(registry_hub, today)
    answer = await api.call("GET", "/api/v1/worklists", await api.token(world.operator))
    assert answer.status_code == 200, answer.text
    assert answer.json()["today"] == today.isoformat()
    assert _counts(answer.json()) == {
        "applications_pending": 1,
        "certifications_due": 2,  # due in 10 and 20 days; not 40 days, not the suspended one, not community B
        "suspended_uncertified": 1,
        "changes_unacknowledged": 2,
        "changes_failed": 1,
        "registered_today": 2,
        "certified_today": 2,
        "suspended_today": 1,  # the acknowledged suspension was recorded yesterday
        "resumed_today": 1,
        "overpayments_to_recover": 0,  # no death recorded in this world (tests/integration/test_deaths.py)
        "transfers_incoming": 0,  # no transfer in this world (tests/integration/test_transfers.py)
    }
    district = await api.call("GET", "/api/v1/worklists", await api.token(world.district_operator))
    counts = _counts(district.json())
    assert counts["certifications_due"] == 3 and counts["applications_pending"] == 2
    assert counts["changes_failed"] == 2 and counts["changes_unacknowledged"] == 3 and counts["certified_today"] == 3

    refused = await api.call("GET", "/api/v1/worklists", await api.token(world.unauthorised))
    assert refused.status_code == 403 and refused.json()["code"] == "PERMISSION_DENIED"
    assert (await api.client.get("/api/v1/worklists")).status_code == 401


async def test_4_3_certifications_due_list_is_sorted_by_due_date_masked_and_matches_the_count(
    registry_hub: Hub, api: Api, today: date
) -> None:
    world = await _world(registry_hub, today)
    headers = await api.token(world.operator)
    worklist = (await api.call("GET", "/api/v1/worklists", headers)).json()
    link = next(i for i in worklist["todo"] if i["key"] == "certifications_due")
    answer = await api.call("GET", link["path"], headers, params=link["query"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == link["count"] == 2 and body["page"] == 1 and body["page_size"] == 20
    assert [i["id"] for i in body["items"]] == [world.due_soon.id, world.due_never_certified.id]
    first, second = body["items"]
    assert first["due_on"] == (today + timedelta(days=10)).isoformat() and first["days_left"] == 10
    assert second["last_certified_on"] is None and second["days_left"] == 20
    assert first["id_number"] == world.due_soon.id_number[:6] + "********" + world.due_soon.id_number[-4:]
    assert first["phone"] == "138****2345"

    paged = await api.call("GET", "/api/v1/certifications/due", headers, params={"page": 2, "page_size": 1})
    assert [i["id"] for i in paged.json()["items"]] == [world.due_never_certified.id]
    wider = await api.call("GET", "/api/v1/certifications/due", headers, params={"within_days": 45})
    assert wider.json()["total"] == 3


async def test_4_5_suspended_for_missing_certification_is_the_retiree_search_filtered_by_reason(
    registry_hub: Hub, api: Api, today: date
) -> None:
    world = await _world(registry_hub, today)
    headers = await api.token(world.operator)
    worklist = (await api.call("GET", "/api/v1/worklists", headers)).json()
    link = next(i for i in worklist["todo"] if i["key"] == "suspended_uncertified")
    answer = await api.call("GET", link["path"], headers, params=link["query"])
    assert answer.status_code == 200, answer.text
    assert [i["id"] for i in answer.json()["items"]] == [world.suspended_s01.id] and answer.json()["total"] == 1
    assert "*" in answer.json()["items"][0]["id_number"]


async def test_6_22_status_changes_by_sync_state_in_scope_with_labels_and_masked_people(
    registry_hub: Hub, api: Api, today: date
) -> None:
    world = await _world(registry_hub, today)
    headers = await api.token(world.operator)
    worklist = (await api.call("GET", "/api/v1/worklists", headers)).json()
    for key, expected in (("changes_unacknowledged", {world.due_soon.id, world.due_later.id}),
                          ("changes_failed", {world.suspended_s01.id})):  # fmt: skip
        link = next(i for i in worklist["todo"] if i["key"] == key)
        answer = await api.call("GET", link["path"], headers, params=link["query"])
        assert answer.status_code == 200, answer.text
        assert {i["retiree"]["id"] for i in answer.json()["items"]} == expected
        assert answer.json()["total"] == link["count"]

    failed = (await api.call("GET", "/api/v1/status-changes", headers, params={"sync_state": "failed"})).json()
    row = failed["items"][0]
    assert row["kind"] == "suspended" and row["kind_label"] == "暂停发放"
    assert row["reason_code"] == "S01" and row["reason_label"] == "超过6个月未认证"
    assert row["sync_state"] == "failed" and row["sync_state_label"] == "上报失败"
    assert row["sync_error"] == "省平台拒收：人员不存在" and row["effective_date"] == today.isoformat()
    assert row["retiree"]["phone"] == "138****2345" and "*" in row["retiree"]["id_number"]

    done = (await api.call("GET", "/api/v1/worklists", headers)).json()["done_today"]
    suspended_today = next(i for i in done if i["key"] == "suspended_today")
    listed = await api.call("GET", suspended_today["path"], headers, params=suspended_today["query"])
    assert [i["retiree"]["id"] for i in listed.json()["items"]] == [world.suspended_s01.id]

    every = await api.call("GET", "/api/v1/status-changes", headers, params={"page_size": 200})
    assert every.json()["total"] == 5  # community A's five entries, newest first; none of community B's
    times = [i["entered_at"] for i in every.json()["items"]]
    assert times == sorted(times, reverse=True)
    bad = await api.call("GET", "/api/v1/status-changes", headers, params={"sync_state": "lost"})
    assert bad.status_code == 422


def test_6_22_a_day_recorded_on_is_the_city_calendar_day() -> None:
    start, end = city_day(date(2026, 3, 1))
    assert start.astimezone(UTC) == datetime(2026, 2, 28, 16, tzinfo=UTC) and end - start == timedelta(days=1)


@pytest.mark.parametrize("months", [1, 6, 12])
def test_4_3_the_due_window_is_one_exact_range_of_base_dates(months: int) -> None:
    """Those due within the window are exactly the base dates of one range (adding months never reorders dates), so
    the query is a single range scan on the base date, month-end clamping included."""
    for offset in range(0, 400):  # every day from mid-2023 through the leap February of 2024
        today = date(2023, 7, 1) + timedelta(days=offset)
        for within in (0, 1, 30):
            window = due.DueWindow(today, within, months)
            first, last = window.base_range()
            bases = [today + timedelta(days=d) for d in range(-370, 5)]
            expected = [b for b in bases if today <= certification_due(b, months) <= window.last_day]
            if expected:
                assert (first, last) == (expected[0], expected[-1])
                assert len(expected) == (last - first).days + 1
            else:
                assert first > last
