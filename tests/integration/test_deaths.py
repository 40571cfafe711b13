"""Death registration (4.6) through the staff API: the person becomes deceased (DTH, effective on the date of death)
and the province is told once; the pension paid after the death is kept to recover and marked recovered or waived;
a death is never recorded twice, whoever reported it first; a death recorded in error is restored by a new entry,
the record then withdrawn and its overpayment cancelled. Scoped, refused in Chinese with stable codes."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from connectors.provincial.mapping import business_record
from domain.retirees.inbound import Inbound, on_retiree_changed
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.status_log.models import StatusChange
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories
from tests.support.api import Api
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def today() -> date:
    """The city's date, read when the test starts, clear of the city's midnight (see test_staff_suspensions)."""

    async def clear_of_midnight() -> bool:
        return datetime.now(calendar.BUSINESS_TZ).time() < time(23, 59)

    await wait_until(clear_of_midnight, 90, "the city's new day")
    return calendar.today()


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


async def _community(hub: Hub, count: int) -> tuple[str, str, list[Retiree], Retiree]:
    """An operator and a viewer of one community, ``count`` of its retirees (pension 3,000.00) and an outsider."""
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.communities[0], "operator")
        viewer = await factories.account(session, tree.communities[0], "viewer")
        people = [await factories.retiree(session, tree.communities[0]) for _ in range(count)]
        outsider = await factories.retiree(session, tree.communities[1])
        for person in [*people, outsider]:
            person.monthly_pension = Decimal("3000.00")
        await session.flush()
        for person in [*people, outsider]:
            session.expunge(person)
        return operator.username, viewer.username, people, outsider


async def _told_province(hub: Hub, personal_number: str) -> list[dict[str, Any]]:
    async with hub.sessions() as session:
        payloads = (
            await session.execute(
                select(col(OutboxMessage.payload))
                .where(col(OutboxMessage.key) == personal_number)
                .where(col(OutboxMessage.event_type) == "person_status.changed")
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        return [json.loads(p) for p in payloads]


async def _deaths_logged(hub: Hub, retiree_id: int) -> int:
    async with hub.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(StatusChange)
            .where(col(StatusChange.retiree_id) == retiree_id, col(StatusChange.kind) == "deceased")
        )
        return int(count or 0)


async def _province_reports_death(hub: Hub, person: Retiree, death: date) -> None:
    data = {
        "personal_number": person.personal_number,
        "change_kind": "death",
        "effective_date": death.isoformat(),
        "exchange_row_id": factories.code("EX"),
        "changes": {"death_date": death.isoformat()},
    }
    async with hub.sessions() as session, session.begin():
        await on_retiree_changed(data, Inbound(factories.code("EV"), datetime.now()), hub.unit_of_work(session, "test"))


def _body(death: date, **extra: Any) -> dict[str, Any]:
    return {"death_date": death.isoformat(), "evidence": "death_certificate", "document_number": "SZ-2026-001", **extra}


async def test_4_6_a_recorded_death_tells_the_province_once_and_keeps_the_overpayment_to_recover(
    registry_hub: Hub, api: Api, today: date
) -> None:
    operator, viewer, (person, other), outsider = await _community(registry_hub, 2)
    headers = await api.token(operator)
    death = _months_back(today, 2)  # the 1st, two months ago: the next month and this one were overpaid
    answer = await api.call(
        "POST", f"/api/v1/retirees/{person.id}/death", headers, json=_body(death, remarks="家属来报")
    )
    assert answer.status_code == 201, answer.text
    record = answer.json()
    assert record["overpaid_months"] == [_months_back(today, 1).isoformat()[:7], today.isoformat()[:7]]
    assert Decimal(record["overpaid_amount"]) == Decimal("6000.00")
    assert (record["recovery_state"], record["evidence_label"], record["withdrawn"]) == (
        "to_recover",
        "死亡证明",
        False,
    )

    [told] = await _told_province(registry_hub, person.personal_number)
    assert (told["change_kind"], told["reason_code"], told["effective_date"]) == ("deceased", "DTH", death.isoformat())
    assert business_record(told)["businessType"] == "DEATH"  # the business type the simulator accepts
    detail = await api.call("GET", f"/api/v1/retirees/{person.id}", headers)
    assert detail.json()["status"] == "deceased"

    again = await api.call("POST", f"/api/v1/retirees/{person.id}/death", headers, json=_body(death))
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_DECEASED"
    assert operator in again.json()["message"] and "不能重复登记" in again.json()["message"]
    assert len(await _told_province(registry_hub, person.personal_number)) == 1

    future = await api.call(
        "POST", f"/api/v1/retirees/{other.id}/death", headers, json=_body(date(today.year + 1, 1, 1))
    )
    assert future.status_code == 422 and future.json()["code"] == "DEATH_DATE_IN_FUTURE"
    early = await api.call("POST", f"/api/v1/retirees/{other.id}/death", headers, json=_body(date(1930, 1, 1)))
    assert (
        early.status_code == 422
        and early.json()["code"] == "DEATH_BEFORE_BIRTH"
        and "出生日期" in early.json()["message"]
    )
    assert await _told_province(registry_hub, other.personal_number) == []
    assert await _deaths_logged(registry_hub, other.id or 0) == 0  # refused: nothing half-applied

    viewer_headers = await api.token(viewer)
    forbidden = await api.call("POST", f"/api/v1/retirees/{other.id}/death", viewer_headers, json=_body(death))
    assert forbidden.status_code == 403
    elsewhere = await api.call("POST", f"/api/v1/retirees/{outsider.id}/death", headers, json=_body(death))
    assert elsewhere.status_code == 404

    listed = await api.call("GET", "/api/v1/deaths/overpayments", viewer_headers, params={"state": "to_recover"})
    assert listed.status_code == 200, listed.text
    assert [row["retiree"]["id"] for row in listed.json()["items"]] == [person.id]
    assert "*" in listed.json()["items"][0]["retiree"]["id_number"]  # masked
    worklist = (await api.call("GET", "/api/v1/worklists", viewer_headers)).json()
    [item] = [i for i in worklist["todo"] if i["key"] == "overpayments_to_recover"]
    assert (item["count"], item["path"], item["query"]) == (1, "/api/v1/deaths/overpayments", {"state": "to_recover"})
    timeline = (await api.call("GET", f"/api/v1/retirees/{person.id}/timeline", headers)).json()
    assert any(e["kind"] == "death" and e["death"]["overpaid_amount"] == "6000.00" for e in timeline["entries"])

    url = f"/api/v1/deaths/{record['id']}/recovery"
    assert (
        await api.call("POST", url, viewer_headers, json={"outcome": "waived", "remarks": "核销"})
    ).status_code == 403
    waived = await api.call("POST", url, headers, json={"outcome": "waived", "remarks": "家属无力偿还，经审批核销"})
    assert waived.status_code == 200, waived.text
    assert (waived.json()["recovery_state"], waived.json()["recovery_marked_by"]) == ("waived", operator)
    twice = await api.call("POST", url, headers, json={"outcome": "recovered", "remarks": "已退回"})
    assert twice.status_code == 422 and twice.json()["code"] == "OVERPAYMENT_NOT_TO_RECOVER"
    left = await api.call("GET", "/api/v1/deaths/overpayments", headers, params={"state": "to_recover"})
    assert left.json()["total"] == 0
    done = await api.call("GET", "/api/v1/deaths/overpayments", headers, params={"state": "waived"})
    assert [row["death"]["id"] for row in done.json()["items"]] == [record["id"]]


async def test_4_6_a_death_recorded_in_the_month_it_happened_overpaid_nothing(
    registry_hub: Hub, api: Api, today: date
) -> None:
    operator, _, (person,), _ = await _community(registry_hub, 1)
    headers = await api.token(operator)
    answer = await api.call("POST", f"/api/v1/retirees/{person.id}/death", headers, json=_body(today.replace(day=1)))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["overpaid_months"], answer.json()["overpaid_amount"]) == ([], "0.00")
    assert answer.json()["recovery_state"] == "none"


async def test_4_6_a_death_recorded_in_error_is_restored_and_its_overpayment_cancelled(
    registry_hub: Hub, api: Api, today: date
) -> None:
    operator, _, (person,), _ = await _community(registry_hub, 1)
    headers = await api.token(operator)
    death = _months_back(today, 1)
    record = (await api.call("POST", f"/api/v1/retirees/{person.id}/death", headers, json=_body(death))).json()
    restore = f"/api/v1/retirees/{person.id}/status-changes/{record['status_change_id']}/restore"
    restored = await api.call("POST", restore, headers, json={"remarks": "误登记死亡，本人健在"})
    assert restored.status_code == 201, restored.text
    alive = (await api.call("GET", f"/api/v1/retirees/{person.id}", headers)).json()
    assert (alive["status"], alive["death_date"]) == ("registered", None)
    withdrawn = (await api.call("GET", f"/api/v1/retirees/{person.id}/death", headers)).json()
    assert (withdrawn["withdrawn"], withdrawn["recovery_state"]) == (True, "cancelled")
    listed = await api.call("GET", "/api/v1/deaths/overpayments", headers, params={"state": "to_recover"})
    assert listed.json()["total"] == 0
    mark = await api.call(
        "POST", f"/api/v1/deaths/{record['id']}/recovery", headers, json={"outcome": "recovered", "remarks": "已退回"}
    )
    assert mark.status_code == 422 and mark.json()["code"] == "OVERPAYMENT_NOT_TO_RECOVER"
    told = [(e["change_kind"], e["reason_code"]) for e in await _told_province(registry_hub, person.personal_number)]
    assert told == [("deceased", "DTH"), ("error_restored", "ERR")]
    again = await api.call("POST", f"/api/v1/retirees/{person.id}/death", headers, json=_body(today))
    assert again.status_code == 201 and again.json()["id"] != record["id"]  # a new record; the old one stays


async def test_4_6_a_death_the_province_reported_first_is_refused_naming_when_and_by_whom(
    registry_hub: Hub, api: Api, today: date
) -> None:
    operator, _, (person,), _ = await _community(registry_hub, 1)
    await _province_reports_death(registry_hub, person, _months_back(today, 1))
    headers = await api.token(operator)
    refused = await api.call("POST", f"/api/v1/retirees/{person.id}/death", headers, json=_body(today))
    assert refused.status_code == 409 and refused.json()["code"] == "ALREADY_DECEASED"
    assert "省平台" in refused.json()["message"] and refused.json()["detail"]["recorded_at"]
    assert await _deaths_logged(registry_hub, person.id or 0) == 1
    none = await api.call("GET", f"/api/v1/retirees/{person.id}/death", headers)
    assert none.status_code == 404 and none.json()["code"] == "DEATH_NOT_FOUND"


async def test_4_6_after_a_staff_recorded_death_the_provinces_report_makes_no_second_entry(
    registry_hub: Hub, api: Api, today: date
) -> None:
    operator, _, (person,), _ = await _community(registry_hub, 1)
    headers = await api.token(operator)
    death = _months_back(today, 1)
    assert (
        await api.call("POST", f"/api/v1/retirees/{person.id}/death", headers, json=_body(death))
    ).status_code == 201
    await _province_reports_death(registry_hub, person, death.replace(day=2))
    assert await _deaths_logged(registry_hub, person.id or 0) == 1
    assert len(await _told_province(registry_hub, person.personal_number)) == 1
    async with registry_hub.sessions() as session:
        found = await session.get(Retiree, person.id)
        assert found is not None and found.death_date == death
