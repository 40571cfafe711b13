"""Transfers (4.4) through the staff API: within the city (sent, waiting in the receiver's list with a masked
identity, taken in once however often it arrives, or cancelled by the sender only), out of the city and in from
another city; scope on every endpoint; refusals that change nothing; the province told of each step in order (6.22);
and the transfer-in deadline (S03) firing for a transfer not taken in, at its boundary."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from app.jobs import run_suspension_rules
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.status_log.models import StatusChange
from domain.suspensions.overdue import Rule
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


@dataclass
class Setting:
    sender: str  # operator of communities[0]
    receiver: str  # operator of communities[1]
    stranger: str  # operator of communities[2]
    viewer: str  # viewer of communities[1]
    communities: list[int]
    street: int
    people: list[Retiree]  # registered at communities[0]


async def _setting(hub: Hub, count: int = 2) -> Setting:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        accounts = [await factories.account(session, tree.communities[i], "operator") for i in range(3)]
        viewer = await factories.account(session, tree.communities[1], "viewer")
        people = [await factories.retiree(session, tree.communities[0]) for _ in range(count)]
        for person in people:
            session.expunge(person)
        ids = [c.id for c in tree.communities]
        assert all(i is not None for i in ids) and tree.streets[0].id is not None
        return Setting(
            sender=accounts[0].username,
            receiver=accounts[1].username,
            stranger=accounts[2].username,
            viewer=viewer.username,
            communities=[i for i in ids if i is not None],
            street=tree.streets[0].id,
            people=people,
        )


async def _told_province(hub: Hub, personal_number: str) -> list[tuple[str, str]]:
    async with hub.sessions() as session:
        payloads = (
            await session.execute(
                select(col(OutboxMessage.payload))
                .where(col(OutboxMessage.key) == personal_number)
                .where(col(OutboxMessage.event_type) == "person_status.changed")
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        return [(e["change_kind"], e["reason_code"]) for e in map(json.loads, payloads)]


async def _person(hub: Hub, retiree_id: int | None) -> Retiree:
    async with hub.sessions() as session:
        person = await session.get(Retiree, retiree_id)
        assert person is not None
        return person


async def _entries(hub: Hub, retiree_id: int | None) -> int:
    async with hub.sessions() as session:
        query = select(func.count()).select_from(StatusChange).where(col(StatusChange.retiree_id) == retiree_id)
        return int((await session.execute(query)).scalar_one())


async def test_4_4_a_transfer_within_the_city_waits_for_the_receiver_who_takes_the_person_in_once(
    registry_hub: Hub, api: Api
) -> None:
    s = await _setting(registry_hub)
    person = s.people[0]
    sender, receiver, stranger = [await api.token(u) for u in (s.sender, s.receiver, s.stranger)]
    viewer = await api.token(s.viewer)

    # the receiver cannot see the person before the transfer is taken in
    assert (await api.call("GET", f"/api/v1/retirees/{person.id}", receiver)).status_code == 404
    body = {"kind": "within_city", "to_institution_id": s.communities[1], "remarks": "随子女居住"}
    refused = await api.call("POST", f"/api/v1/retirees/{person.id}/transfers", receiver, json=body)
    assert refused.status_code == 404  # the receiving side cannot send someone else's person
    assert (await api.call("POST", f"/api/v1/retirees/{person.id}/transfers", viewer, json=body)).status_code == 403

    sent = await api.call("POST", f"/api/v1/retirees/{person.id}/transfers", sender, json=body)
    assert sent.status_code == 201, sent.text
    transfer = sent.json()
    assert transfer["state"] == "requested" and transfer["to_institution_id"] == s.communities[1]
    assert transfer["name"] == person.name and transfer["effective_date"] == calendar.today().isoformat()
    assert (await _person(registry_hub, person.id)).status == "transferring_out"

    # a second transfer of a person on the way is refused and changes nothing
    entries = await _entries(registry_hub, person.id)
    twice = await api.call("POST", f"/api/v1/retirees/{person.id}/transfers", sender, json=body)
    assert twice.status_code == 409 and twice.json()["code"] == "ILLEGAL_TRANSITION", twice.text
    assert await _entries(registry_hub, person.id) == entries

    # the receiver's waiting list shows it, masked; the stranger's does not; the sender's outgoing list does
    incoming = (await api.call("GET", "/api/v1/transfers?direction=incoming", receiver)).json()
    mine = [t for t in incoming["items"] if t["id"] == transfer["id"]]
    assert mine and mine[0]["name"] != person.name and "*" in mine[0]["id_number"]
    assert incoming["total"] >= 1 and incoming["page"] == 1
    strangers = (await api.call("GET", "/api/v1/transfers?direction=incoming", stranger)).json()
    assert all(t["id"] != transfer["id"] for t in strangers["items"])
    outgoing = (await api.call("GET", "/api/v1/transfers?direction=outgoing", sender)).json()
    assert [t["name"] for t in outgoing["items"] if t["id"] == transfer["id"]] == [person.name]

    todo = {i["key"]: i for i in (await api.call("GET", "/api/v1/worklists", receiver)).json()["todo"]}
    waiting = todo["transfers_incoming"]
    assert waiting["count"] == 1 and waiting["path"] == "/api/v1/transfers"
    assert waiting["query"] == {"direction": "incoming", "state": "requested"}

    # only the receiving side takes in; a stranger is told it does not exist
    path = f"/api/v1/transfers/{transfer['id']}"
    not_theirs = await api.call("POST", f"{path}/take-in", stranger, json={})
    assert not_theirs.status_code == 404 and not_theirs.json()["code"] == "TRANSFER_NOT_FOUND"
    assert (await api.call("POST", f"{path}/take-in", sender, json={})).status_code == 403
    assert (await api.call("POST", f"{path}/take-in", viewer, json={})).status_code == 403
    early = await api.call(
        "POST", f"{path}/take-in", receiver, json={"effective_date": (calendar.today() - timedelta(days=1)).isoformat()}
    )
    assert early.status_code == 422 and early.json()["code"] == "TRANSFER_DATE_INVALID"

    taken = await api.call("POST", f"{path}/take-in", receiver, json={"remarks": "已接收"})
    assert taken.status_code == 200, taken.text
    assert taken.json()["state"] == "taken_in" and taken.json()["taken_in_by"] == s.receiver
    again = await api.call("POST", f"{path}/take-in", receiver, json={})
    assert again.status_code == 200 and again.json()["state"] == "taken_in"
    moved = await _person(registry_hub, person.id)
    assert moved.status == "registered" and moved.institution_id == s.communities[1]
    assert (await api.call("GET", f"/api/v1/retirees/{person.id}", receiver)).status_code == 200
    assert (await api.call("GET", f"/api/v1/retirees/{person.id}", sender)).status_code == 404
    timeline = (await api.call("GET", f"/api/v1/retirees/{person.id}/timeline", receiver)).json()
    titles = [e["title"] for e in timeline["entries"]]
    assert any(t.startswith("转入") for t in titles) and any(t.startswith("转出") for t in titles), titles
    assert await _told_province(registry_hub, person.personal_number) == [
        ("transferred_out", "TOUT"),
        ("transferred_in", "TIN"),
    ]
    # once taken in it can no longer be cancelled, by either side
    closed = await api.call("POST", f"{path}/cancel", sender, json={})
    assert closed.status_code == 409 and closed.json()["code"] == "TRANSFER_CLOSED"
    receiver_cancel = await api.call("POST", f"{path}/cancel", receiver, json={})
    assert receiver_cancel.status_code == 403 and receiver_cancel.json()["code"] == "TRANSFER_SENDER_ONLY"


async def test_4_4_the_sender_cancels_a_transfer_not_yet_taken_in_and_the_person_is_back(
    registry_hub: Hub, api: Api
) -> None:
    s = await _setting(registry_hub, 1)
    person = s.people[0]
    sender, receiver = await api.token(s.sender), await api.token(s.receiver)
    body = {"kind": "within_city", "to_institution_id": s.communities[1]}
    transfer = (await api.call("POST", f"/api/v1/retirees/{person.id}/transfers", sender, json=body)).json()
    path = f"/api/v1/transfers/{transfer['id']}"

    by_receiver = await api.call("POST", f"{path}/cancel", receiver, json={})
    assert by_receiver.status_code == 403 and by_receiver.json()["code"] == "TRANSFER_SENDER_ONLY"
    cancelled = await api.call("POST", f"{path}/cancel", sender, json={"remarks": "本人不再迁居"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["cancelled_by"] == s.sender
    again = await api.call("POST", f"{path}/cancel", sender, json={})
    assert again.status_code == 200 and again.json()["state"] == "cancelled"
    back = await _person(registry_hub, person.id)
    assert back.status == "registered" and back.institution_id == s.communities[0]
    assert await _told_province(registry_hub, person.personal_number) == [
        ("transferred_out", "TOUT"),
        ("error_restored", "TCAN"),
    ]
    late = await api.call("POST", f"{path}/take-in", receiver, json={})
    assert late.status_code == 409 and late.json()["code"] == "TRANSFER_CLOSED"
    incoming = (await api.call("GET", "/api/v1/transfers?direction=incoming", receiver)).json()
    assert all(t["id"] != transfer["id"] for t in incoming["items"])
    cancelled_list = (await api.call("GET", "/api/v1/transfers?direction=outgoing&state=cancelled", sender)).json()
    assert any(t["id"] == transfer["id"] for t in cancelled_list["items"])


async def test_4_4_refused_transfers_change_nothing(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub, 1)
    person = s.people[0]
    sender = await api.token(s.sender)
    url = f"/api/v1/retirees/{person.id}/transfers"
    cases = [
        ({"kind": "within_city"}, "TRANSFER_TARGET_REQUIRED"),
        ({"kind": "within_city", "to_institution_id": s.communities[0]}, "TRANSFER_SAME_COMMUNITY"),
        ({"kind": "within_city", "to_institution_id": s.street}, "TRANSFER_TARGET_INVALID"),
        ({"kind": "out_of_city"}, "TRANSFER_DESTINATION_REQUIRED"),
        (
            {
                "kind": "within_city",
                "to_institution_id": s.communities[1],
                "effective_date": (calendar.today() + timedelta(days=1)).isoformat(),
            },
            "TRANSFER_DATE_INVALID",
        ),
        (
            {"kind": "out_of_city", "destination": {"code": "130100", "name": "石家庄市"}},
            "TRANSFER_DESTINATION_INVALID",
        ),
        ({"kind": "out_of_city", "destination": {"code": "130000", "name": "河北省"}}, "TRANSFER_DESTINATION_INVALID"),
    ]
    for body, code in cases:
        answer = await api.call("POST", url, sender, json=body)
        assert answer.status_code == 422 and answer.json()["code"] == code, (body, answer.text)
        assert answer.json()["message"]
    assert await _entries(registry_hub, person.id) == 0
    assert (await _person(registry_hub, person.id)).status == "registered"


async def test_4_4_out_of_the_city_and_back_in_from_another_city(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub, 1)
    person = s.people[0]
    sender, receiver = await api.token(s.sender), await api.token(s.receiver)
    body = {
        "kind": "out_of_city",
        "destination": {"code": "110100", "name": "北京市", "address": "北京市朝阳区某街道1号"},
        "effective_date": "2026-01-15",
    }
    gone = await api.call("POST", f"/api/v1/retirees/{person.id}/transfers", sender, json=body)
    assert gone.status_code == 201, gone.text
    assert gone.json()["state"] == "completed" and gone.json()["destination_name"] == "北京市"
    assert (await _person(registry_hub, person.id)).status == "moved_away"

    arrival = {"personal_number": person.personal_number, "insuring_agency_code": "999999"}
    wrong = await api.call("POST", "/api/v1/transfers/arrivals", receiver, json=arrival)
    assert wrong.status_code == 404
    arrival["insuring_agency_code"] = person.insuring_agency_code
    back = await api.call("POST", "/api/v1/transfers/arrivals", receiver, json=arrival)
    assert back.status_code == 201, back.text
    assert back.json()["kind"] == "into_city" and back.json()["to_institution_id"] == s.communities[1]
    returned = await _person(registry_hub, person.id)
    assert returned.status == "registered" and returned.institution_id == s.communities[1]
    twice = await api.call("POST", "/api/v1/transfers/arrivals", receiver, json=arrival)
    assert twice.status_code == 409 and twice.json()["code"] == "ILLEGAL_TRANSITION"
    assert await _told_province(registry_hub, person.personal_number) == [
        ("transferred_out", "TOUT"),
        ("transferred_in", "TIN"),
    ]

    async with registry_hub.sessions() as session, session.begin():
        newcomer = await factories.retiree(session)  # approved, management moving here from another city
        session.expunge(newcomer)
    arrived = await api.call(
        "POST",
        "/api/v1/transfers/arrivals",
        receiver,
        json={"personal_number": newcomer.personal_number, "insuring_agency_code": newcomer.insuring_agency_code},
    )
    assert arrived.status_code == 201, arrived.text
    assert (await _person(registry_hub, newcomer.id)).status == "registered"


async def test_4_4_a_transfer_not_taken_in_is_suspended_the_day_after_its_deadline_s03(
    registry_hub: Hub, api: Api
) -> None:
    """Transfers taking effect in 1980, and the rules run "as of" 1 June 1980 (90 days back is 3 March), so no
    other test's people fall due."""
    s = await _setting(registry_hub, 2)
    in_time, overdue = s.people
    sender = await api.token(s.sender)
    sent = []
    for person, effective in ((in_time, "1980-03-03"), (overdue, "1980-03-02")):
        body = {"kind": "within_city", "to_institution_id": s.communities[1], "effective_date": effective}
        answer = await api.call("POST", f"/api/v1/retirees/{person.id}/transfers", sender, json=body)
        assert answer.status_code == 201, answer.text
        sent.append(answer.json()["id"])
    report = await run_suspension_rules(registry_hub, date(1980, 6, 1))
    assert report.suspended[Rule.TRANSFER_IN_OVERDUE] >= 1
    assert (await _person(registry_hub, in_time.id)).status == "transferring_out"
    late = await _person(registry_hub, overdue.id)
    assert late.status == "suspended" and late.suspension_reason == "S03" and late.resume_to == "transferring_out"
    assert await _told_province(registry_hub, overdue.personal_number) == [
        ("transferred_out", "TOUT"),
        ("suspended", "S03"),
    ]
    # suspended on the way: neither cancelled nor taken in until resumed (nothing changes)
    cancel = await api.call("POST", f"/api/v1/transfers/{sent[1]}/cancel", sender, json={})
    assert cancel.status_code == 409 and cancel.json()["message"] == "人员当前状态为“已暂停”，不能撤销转移"
    receiver = await api.token(s.receiver)
    take_in = await api.call("POST", f"/api/v1/transfers/{sent[1]}/take-in", receiver, json={})
    assert take_in.status_code == 409 and take_in.json()["code"] == "ILLEGAL_TRANSITION"
    assert (await _person(registry_hub, overdue.id)).status == "suspended"


async def test_4_4_the_sender_chooses_any_community_of_the_city_to_receive(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub, 0)
    answer = await api.call("GET", "/api/v1/transfers/receiving-institutions", await api.token(s.sender))
    assert answer.status_code == 200, answer.text
    by_id = {i["id"]: i for i in answer.json()}
    assert all(by_id[c]["selectable"] for c in s.communities)  # other streets' communities too
    assert not by_id[s.street]["selectable"]
    viewer = await api.call("GET", "/api/v1/transfers/receiving-institutions", await api.token(s.viewer))
    assert viewer.status_code == 403
