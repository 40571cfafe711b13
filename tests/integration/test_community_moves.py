"""Community split and merge (4.8) through the staff API and the applying job: the rules at their boundaries (nothing
recorded when refused), scope on every endpoint, a split by list and by address, a merge that deactivates the source
and moves or deactivates its accounts, people with an open transfer left out and reported, each moved person's log
entry and event once (also when the job runs again), one audit entry per chunk, the timeline's 机构调整, and 7.2
as of the day before the move counting people where they were then."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from app.jobs import apply_community_moves_forever, run_community_moves
from domain.audit.models import AuditEntry
from domain.community_moves.models import CommunityMove
from domain.institutions import service as institutions
from domain.institutions.models import Institution
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.staff.models import StaffAccount
from domain.status_log.models import StatusChange
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories
from tests.support.api import Api
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

MOVES = "/api/v1/community-moves"


@dataclass
class World:
    street_operator: str  # operator of streets[0]
    district_operator: str
    community_operator: str  # operator of communities[0]
    other_street_operator: str  # operator of streets[1]
    viewer: str  # viewer of streets[0]
    communities: list[int]  # 0, 1 under streets[0]; 2, 3 under streets[1]
    street: int
    codes: list[str]
    district: str
    people: list[int]  # registered at communities[0]
    source_accounts: list[int]  # accounts of communities[0]


async def _world(hub: Hub, count: int = 4, *, addresses: list[str] | None = None) -> World:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        street = await factories.account(session, tree.streets[0], "operator")
        district = await factories.account(session, tree.district, "operator")
        community = await factories.account(session, tree.communities[0], "operator")
        other = await factories.account(session, tree.streets[1], "operator")
        viewer = await factories.account(session, tree.streets[0], "viewer")
        people = []
        for i in range(count):
            person = await factories.retiree(session, tree.communities[0])
            person.residence_address = (addresses or [])[i] if addresses and i < len(addresses) else f"幸福路{i}号"
            person.registered_on = calendar.today() - timedelta(days=100)
            people.append(person.id)
        await session.flush()
        return World(
            street_operator=street.username,
            district_operator=district.username,
            community_operator=community.username,
            other_street_operator=other.username,
            viewer=viewer.username,
            communities=[c.id for c in tree.communities if c.id is not None],
            codes=[c.code for c in tree.communities],
            street=tree.streets[0].id or 0,
            district=tree.district.code,
            people=[p for p in people if p is not None],
            source_accounts=[community.id] if community.id else [],
        )


def _body(world: World, kind: str = "split", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "source_institution_id": world.communities[0],
        "target_institution_id": world.communities[1],
        "reason": "社区区划调整",
        "effective_date": (calendar.today() - timedelta(days=10)).isoformat(),
    }
    return body | extra


async def _moves_of(hub: Hub, source: int) -> int:
    async with hub.sessions() as session:
        query = select(func.count()).select_from(CommunityMove)
        return int(
            (await session.execute(query.where(col(CommunityMove.source_institution_id) == source))).scalar_one()
        )


async def _events(hub: Hub, personal_numbers: list[str]) -> list[dict[str, Any]]:
    async with hub.sessions() as session:
        payloads = (
            await session.execute(
                select(col(OutboxMessage.payload))
                .where(col(OutboxMessage.key).in_(personal_numbers))
                .where(col(OutboxMessage.event_type) == "person_status.changed")
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        return [json.loads(p) if isinstance(p, str | bytes) else p for p in payloads]


async def _people(hub: Hub, ids: list[int]) -> list[Retiree]:
    async with hub.sessions() as session:
        rows = await session.execute(select(Retiree).where(col(Retiree.id).in_(ids)).order_by(col(Retiree.id)))
        return list(rows.scalars().all())


async def test_4_8_moves_are_refused_at_their_boundaries_and_nothing_is_recorded(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub, 1)
    street = await api.token(world.street_operator)
    selection: dict[str, Any] = {"selection": {"retiree_ids": world.people}}
    async with registry_hub.sessions() as session, session.begin():
        closed = await institutions.create(
            session, factories.SETUP, parent_id=world.street, code=factories.code("C"), name="已撤销社区"
        )
        closed.active = False
        closed_id = closed.id
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (
            world.street_operator,
            _body(world, target_institution_id=world.communities[2], **selection),
            404,
            "NOT_FOUND",
        ),
        (
            world.district_operator,
            _body(world, target_institution_id=world.communities[2], **selection),
            422,
            "MOVE_DIFFERENT_STREET",
        ),
        (
            world.street_operator,
            _body(world, target_institution_id=closed_id, **selection),
            422,
            "MOVE_COMMUNITY_INVALID",
        ),
        (
            world.street_operator,
            _body(world, target_institution_id=world.communities[0], **selection),
            422,
            "MOVE_SAME_COMMUNITY",
        ),
        (
            world.street_operator,
            _body(world, effective_date=(calendar.today() + timedelta(days=1)).isoformat(), **selection),
            422,
            "MOVE_DATE_INVALID",
        ),
        (
            world.street_operator,
            _body(world, effective_date=(calendar.today() - timedelta(days=200)).isoformat(), **selection),
            422,
            "MOVE_DATE_INVALID",
        ),
        (world.street_operator, _body(world), 422, "MOVE_SELECTION_REQUIRED"),
        (world.street_operator, _body(world, "merge"), 422, "MOVE_ACCOUNTS_CHOICE"),
        (world.community_operator, _body(world, **selection), 403, "MOVE_STREET_LEVEL_ONLY"),
        (world.other_street_operator, _body(world, **selection), 404, "NOT_FOUND"),
        (world.viewer, _body(world, **selection), 403, "PERMISSION_DENIED"),
    ]
    for who, body, status, code in cases:
        answer = await api.call("POST", MOVES, await api.token(who), json=body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (who, body, answer.text)
    # The preview follows the same rules and changes nothing either.
    refused = await api.call("POST", f"{MOVES}/preview", await api.token(world.community_operator), json=_body(world))
    assert refused.status_code == 403
    assert (await api.call("POST", f"{MOVES}/preview", street, json=_body(world, **selection))).status_code == 200
    assert await _moves_of(registry_hub, world.communities[0]) == 0
    assert [p.institution_id for p in await _people(registry_hub, world.people)] == [world.communities[0]]


async def test_4_8_a_split_by_list_moves_the_chosen_people_once_logged_told_and_audited_per_chunk(
    registry_hub: Hub, api: Api
) -> None:
    world = await _world(registry_hub, 4)
    street = await api.token(world.street_operator)
    async with registry_hub.sessions() as session, session.begin():
        # One of the chosen has a transfer open: left out, and reported.
        await session.execute(
            text("UPDATE retiree SET status = 'transferring_out' WHERE id = :id"), {"id": world.people[2]}
        )
    chosen = world.people[:3]
    body = _body(world, selection={"retiree_ids": chosen}, request_id=f"req-{uuid.uuid4().hex}")

    preview = (await api.call("POST", f"{MOVES}/preview", street, json=body)).json()
    assert preview["movable"] == 2 and preview["excluded_count"] == 1
    numbers = [p.personal_number for p in await _people(registry_hub, chosen)]
    by_number = body | {"selection": {"personal_numbers": numbers}}  # the list as staff type it
    assert (await api.call("POST", f"{MOVES}/preview", street, json=by_number)).json() == preview
    unknown = body | {"selection": {"personal_numbers": ["T000000000000000"]}}
    refused = await api.call("POST", f"{MOVES}/preview", street, json=unknown)
    assert (refused.status_code, refused.json()["code"]) == (404, "RETIREE_NOT_FOUND")
    assert preview["excluded"][0] == {
        "retiree_id": world.people[2],
        "reason": "open_transfer",
        "reason_label": "有未办结的转移，未迁移",
    }
    assert all("*" in p["id_number"] for p in preview["first"])

    created = await api.call("POST", MOVES, street, json=body)
    assert created.status_code == 202, created.text
    move = created.json()
    assert (move["state"], move["total"], move["done"], move["excluded_count"]) == ("pending", 2, 0, 1)
    again = await api.call("POST", MOVES, street, json=body)  # the same request twice: one move
    assert again.json()["id"] == move["id"]
    second = await api.call("POST", MOVES, street, json=body | {"request_id": f"req-{uuid.uuid4().hex}"})
    assert (second.status_code, second.json()["code"]) == (409, "MOVE_ALREADY_OPEN")

    report = await run_community_moves(registry_hub, chunk=1)
    assert move["id"] in report.completed
    await run_community_moves(registry_hub, chunk=1)  # a second pass changes nothing

    done = (await api.call("GET", f"{MOVES}/{move['id']}", street)).json()
    assert (done["state"], done["done"], done["moved"], done["skipped"]) == ("completed", 2, 2, 0)
    people = await _people(registry_hub, world.people)
    assert [p.institution_id for p in people] == [world.communities[1]] * 2 + [world.communities[0]] * 2
    async with registry_hub.sessions() as session:
        entries = (
            (await session.execute(select(StatusChange).where(col(StatusChange.retiree_id).in_(world.people))))
            .scalars()
            .all()
        )
        audits = (
            (
                await session.execute(
                    select(AuditEntry).where(
                        col(AuditEntry.action) == "retiree.institution_changed",
                        col(AuditEntry.detail)["move"].as_integer() == move["id"],
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(e.retiree_id for e in entries) == chosen[:2]
    assert {
        (e.kind, e.reason_code, e.effective_date, e.before_state["institution_id"], e.after_state["institution_id"])
        for e in entries
    } == {
        (
            "institution_changed",
            "ORG",
            date.fromisoformat(body["effective_date"]),
            world.communities[0],
            world.communities[1],
        )
    }
    assert sorted(tuple(a.retiree_ids or ()) for a in audits) == [(chosen[0],), (chosen[1],)]  # one per chunk
    async with registry_hub.sessions() as session:
        recorded = await session.execute(
            select(col(AuditEntry.action)).where(col(AuditEntry.target) == f"community_move:{move['id']}")
        )
        assert sorted(recorded.scalars()) == ["community_move.complete", "community_move.create"]
    events = await _events(registry_hub, [p.personal_number for p in people])
    assert sorted(
        (e["personal_number"], e["change_kind"], e["reason_code"], e["institution_code"]) for e in events
    ) == sorted((p.personal_number, "institution_changed", "ORG", world.codes[1]) for p in people[:2])
    timeline = (await api.call("GET", f"/api/v1/retirees/{chosen[0]}/timeline", street)).json()
    titles = [e["title"] for e in timeline["entries"]]
    assert any(t.startswith("机构调整：测试社区00 → 测试社区01") for t in titles), titles


async def test_4_8_a_split_by_address_moves_those_living_there(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub, 3, addresses=["和平路8号楼1单元", "和平路9号楼", "和平路8号楼3单元"])
    district = await api.token(world.district_operator)
    body = _body(world, selection={"address_contains": "8号楼"})
    preview = (await api.call("POST", f"{MOVES}/preview", district, json=body)).json()
    assert preview["movable"] == 2
    move = (await api.call("POST", MOVES, district, json=body)).json()
    await run_community_moves(registry_hub)
    people = await _people(registry_hub, world.people)
    assert [p.institution_id for p in people] == [world.communities[1], world.communities[0], world.communities[1]]
    listed = (await api.call("GET", MOVES, district)).json()
    assert move["id"] in [m["id"] for m in listed["items"]]
    # Outside the scope: not found, not listed.
    other = await api.token(world.other_street_operator)
    assert (await api.call("GET", f"{MOVES}/{move['id']}", other)).status_code == 404
    assert move["id"] not in [m["id"] for m in (await api.call("GET", MOVES, other)).json()["items"]]


@pytest.mark.parametrize("handling", ["move", "deactivate"])
async def test_4_8_a_merge_moves_everybody_deactivates_the_source_and_handles_its_accounts(
    registry_hub: Hub, api: Api, handling: str
) -> None:
    world = await _world(registry_hub, 3)
    street = await api.token(world.street_operator)
    async with registry_hub.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE retiree SET status = 'transferring_out' WHERE id = :id"), {"id": world.people[0]}
        )
    refused = await api.call("POST", MOVES, street, json=_body(world, "merge", account_handling=handling))
    assert (refused.status_code, refused.json()["code"]) == (409, "MOVE_OPEN_TRANSFERS")
    async with registry_hub.sessions() as session, session.begin():
        await session.execute(text("UPDATE retiree SET status = 'registered' WHERE id = :id"), {"id": world.people[0]})
    move = (await api.call("POST", MOVES, street, json=_body(world, "merge", account_handling=handling))).json()
    assert move["total"] == 3
    await run_community_moves(registry_hub, chunk=2)
    done = (await api.call("GET", f"{MOVES}/{move['id']}", street)).json()
    assert (done["state"], done["moved"], done["source_deactivated"], done["accounts_handled"]) == (
        "completed",
        3,
        True,
        1,
    )
    assert {p.institution_id for p in await _people(registry_hub, world.people)} == {world.communities[1]}
    async with registry_hub.sessions() as session:
        source = await session.get(Institution, world.communities[0])
        account = (
            await session.execute(select(StaffAccount).where(col(StaffAccount.username) == world.community_operator))
        ).scalar_one()
        completions = (
            await session.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    col(AuditEntry.action) == "community_move.complete",
                    col(AuditEntry.target) == f"community_move:{move['id']}",
                )
            )
        ).scalar_one()
    assert source is not None and not source.active
    if handling == "move":
        assert (account.institution_id, account.active) == (world.communities[1], True)
    else:
        assert (account.institution_id, account.active) == (world.communities[0], False)
    assert completions == 1


async def test_4_8_the_distribution_as_of_the_day_before_counts_people_where_they_were(
    registry_hub: Hub, api: Api
) -> None:
    world = await _world(registry_hub, 2)
    street = await api.token(world.street_operator)
    move = (await api.call("POST", MOVES, street, json=_body(world, selection={"retiree_ids": world.people}))).json()
    await run_community_moves(registry_hub)
    effective = date.fromisoformat(move["effective_date"])

    async def counts(on: date) -> dict[str, int]:
        report = await api.call("GET", "/api/v1/reports/retiree-distribution", street, params={"on": on.isoformat()})
        assert report.status_code == 200, report.text
        return {row["code"]: row["counts"]["total"] for row in report.json()["by_institution"]}

    before = await counts(effective - timedelta(days=1))
    assert (before[world.codes[0]], before[world.codes[1]]) == (2, 0)
    for day in (effective, calendar.today()):
        after = await counts(day)
        assert (after[world.codes[0]], after[world.codes[1]]) == (0, 2)


async def test_4_8_the_rules_scheduler_applies_a_recorded_move_without_anyone_running_it(
    registry_hub: Hub, api: Api
) -> None:
    world = await _world(registry_hub, 2)
    street = await api.token(world.street_operator)
    stop = asyncio.Event()
    loop = asyncio.create_task(apply_community_moves_forever(registry_hub, stop, every=0.2))
    try:
        body = _body(world, selection={"address_contains": "幸福路"})
        move = (await api.call("POST", MOVES, street, json=body)).json()

        async def completed() -> bool:
            answer = await api.call("GET", f"{MOVES}/{move['id']}", street)
            return bool(answer.json()["state"] == "completed")

        await wait_until(completed, 30, "the scheduler's loop to apply the move")
    finally:
        stop.set()
        await loop
    assert {p.institution_id for p in await _people(registry_hub, world.people)} == {world.communities[1]}
