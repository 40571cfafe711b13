"""Issue 18 item 2, the people queries of section 6 (6.4, 6.5, 6.6, 6.8, 6.9, 6.11, 6.16, 6.21) and the staff
command that sets the management form, through the staff API over real PostgreSQL. People change state by the real
command paths (status_log.apply, the supplementary-info, residence, incoming-resident and management-form
endpoints); each query is also asked from outside the data's scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.audit.models import AuditEntry
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import RecordDeath, Suspend, TransferIn, TransferOut
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


@dataclass
class People:
    tree: factories.Tree
    other: factories.Tree  # another district
    surname: str
    active: Retiree  # registered in communities[0], insured by another district's agency (130102)
    local: Retiree  # registered in communities[0], insured by the district's own agency
    suspended: Retiree  # in communities[0], suspended on 2026-10-01
    deceased: Retiree  # in communities[0], died 2026-09-01
    moved: Retiree  # registered in communities[0], moved to communities[3] (transfer out 09-10, in 09-20)
    away: Retiree  # insured by the district's agency, registered in the other district
    unplaced: Retiree  # approved, not registered, insured by the district's agency
    district_operator: str
    other_district_operator: str
    community_operator: str  # of communities[0]
    outsider: str  # operator of communities[1], where nobody of the setting is


async def _apply(hub: Hub, person: Retiree, command: Any, on: date) -> None:
    async with hub.sessions() as session, session.begin():
        locked = await status_log.locked_retiree(session, person.id or 0)
        await status_log.apply(
            hub.unit_of_work(session, "test"),
            factories.SETUP,
            locked,
            command,
            effective_date=on,
            cause=status_log.Cause(CauseType.STAFF, "test"),
        )


@pytest.fixture
async def people(registry_hub: Hub) -> People:
    surname = "询" + uuid.uuid4().hex[:4]
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        other = await factories.tree(session)
        home = tree.communities[0]
        own = tree.district.code

        async def person(where: Any, tag: str, agency: str = own, birth: date = date(1955, 3, 3)) -> Retiree:
            made = await factories.retiree(session, where, name=f"{surname}{tag}", agency=agency, birth=birth)
            return made

        result = People(
            tree,
            other,
            surname,
            active=await person(home, "甲", agency="130102"),
            local=await person(home, "乙"),
            suspended=await person(home, "停"),
            deceased=await person(home, "故"),
            moved=await person(home, "迁"),
            away=await person(other.communities[0], "外"),
            unplaced=await person(None, "新"),
            district_operator=(await factories.account(session, tree.district, "operator")).username,
            other_district_operator=(await factories.account(session, other.district, "operator")).username,
            community_operator=(await factories.account(session, home, "operator")).username,
            outsider=(await factories.account(session, tree.communities[1], "operator")).username,
        )
        for p in (result.active, result.local, result.suspended, result.deceased, result.moved, result.away):
            session.expunge(p)
        session.expunge(result.unplaced)
    hub = registry_hub
    await _apply(hub, result.suspended, Suspend(ReasonCode.SUSPENDED_BY_STAFF), date(2026, 10, 1))
    await _apply(hub, result.deceased, RecordDeath(date(2026, 9, 1)), date(2026, 9, 1))
    await _apply(hub, result.moved, TransferOut(within_city=True), date(2026, 9, 10))
    await _apply(hub, result.moved, TransferIn(tree.communities[3].id or 0), date(2026, 9, 20))
    return result


async def _get(api: Api, user: str, path: str) -> Any:
    answer = await api.call("GET", path, await api.token(user))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _names(found: Any) -> set[str]:
    return {row["name"] for row in found["items"]}


async def _refused(api: Api, user: str, path: str) -> Any:
    answer = await api.call("GET", path, await api.token(user))
    assert answer.status_code in (400, 403, 404, 422), answer.text
    return answer.json()


# -- 6.4 ---------------------------------------------------------------------------------------------------------------


async def test_6_4_lists_everyone_ever_registered_in_the_community_whatever_their_state_now(
    api: Api, people: People
) -> None:
    home = people.tree.communities[0]
    found = await _get(api, people.community_operator, f"/api/v1/queries/6.4?name={people.surname}")
    rows = {row["name"]: row for row in found["items"]}
    expected = {p.name for p in (people.active, people.local, people.suspended, people.deceased, people.moved)}
    assert set(rows) == expected  # not `away` nor `unplaced`
    assert rows[people.deceased.name]["status"] == "已死亡"
    assert rows[people.deceased.name]["left_on"] == "2026-09-01"
    assert rows[people.moved.name]["institution"] == home.name
    assert rows[people.moved.name]["current_institution"] == people.tree.communities[3].name
    assert rows[people.moved.name]["left_on"] == "2026-09-20"
    assert rows[people.local.name]["left_on"] is None
    assert rows[people.suspended.name]["left_on"] is None  # a suspended person is still on the community's books
    gone = await _get(api, people.community_operator, f"/api/v1/queries/6.4?name={people.surname}&presence=left")
    assert _names(gone) == {people.deceased.name, people.moved.name}


async def test_6_4_is_limited_to_the_scope_and_takes_no_past_date(api: Api, people: People) -> None:
    assert _names(await _get(api, people.outsider, f"/api/v1/queries/6.4?name={people.surname}")) == set()
    new_home = await _get(
        api,
        people.district_operator,
        f"/api/v1/queries/6.4?name={people.surname}&institution_id={people.tree.communities[3].id}",
    )
    assert _names(new_home) == {people.moved.name}
    refused = await _refused(api, people.community_operator, "/api/v1/queries/6.4?on=2026-01-01")
    assert refused["code"] == "QUERY_FILTER_INVALID"


async def test_6_4_the_whole_citys_page_in_registry_order_lists_the_same_people_as_any_other_order(
    api: Api, people: People, registry_hub: Hub
) -> None:
    # The city's pages sorted by personal number walk the registry (the statement's page_sql); other sorts read the
    # UNION of people still managed and people who left. Both must show the same rows.
    async with registry_hub.sessions() as session, session.begin():
        city_operator = (await factories.account(session, people.tree.city, "operator")).username
    query = f"/api/v1/queries/6.4?name={people.surname}&size=50"
    by_number = await _get(api, city_operator, f"{query}&sort=personal_number")
    by_name = await _get(api, city_operator, f"{query}&sort=-name")
    assert by_number["total"] == by_name["total"] == len(by_number["items"])
    assert sorted(by_number["items"], key=lambda row: str(row["name"])) == sorted(
        by_name["items"], key=lambda row: str(row["name"])
    )
    numbers = [row["personal_number"] for row in by_number["items"]]
    assert numbers == sorted(numbers)
    rows = {row["name"]: row for row in by_number["items"]}
    everyone = (people.active, people.local, people.suspended, people.deceased, people.moved, people.away)
    assert set(rows) == {p.name for p in everyone}  # not `unplaced`, never registered
    assert rows[people.deceased.name]["left_on"] == "2026-09-01"
    assert rows[people.deceased.name]["institution"] == people.tree.communities[0].name
    # Moved within the city: still managed in the city, in the new community, since the transfer in.
    assert rows[people.moved.name]["left_on"] is None
    assert rows[people.moved.name]["institution"] == people.tree.communities[3].name
    left = await _get(api, city_operator, f"{query}&presence=left")
    assert _names(left) == {people.deceased.name}


# -- 6.5 / 6.6 ---------------------------------------------------------------------------------------------------------


async def test_6_5_lists_people_insured_by_another_districts_agency_and_registered_here(
    api: Api, people: People
) -> None:
    mine = await _get(api, people.district_operator, f"/api/v1/queries/6.5?name={people.surname}")
    assert _names(mine) == {people.active.name}
    assert mine["items"][0]["agency"] == "长安区"
    # The other district registers `away`, whom this district's agency insures.
    theirs = await _get(api, people.other_district_operator, f"/api/v1/queries/6.5?name={people.surname}")
    assert _names(theirs) == {people.away.name}
    assert _names(await _get(api, people.outsider, f"/api/v1/queries/6.5?name={people.surname}")) == set()


async def test_6_6_lists_people_insured_here_and_registered_in_another_district(api: Api, people: People) -> None:
    mine = await _get(api, people.district_operator, f"/api/v1/queries/6.6?name={people.surname}")
    assert _names(mine) == {people.away.name}
    assert mine["items"][0]["district"] == people.other.district.name
    # A community is no insuring agency; the other district insures nobody of the setting.
    assert _names(await _get(api, people.community_operator, f"/api/v1/queries/6.6?name={people.surname}")) == set()
    assert (
        _names(await _get(api, people.other_district_operator, f"/api/v1/queries/6.6?name={people.surname}")) == set()
    )
    refused = await _refused(api, people.district_operator, "/api/v1/queries/6.6?agency=999999")
    assert refused["code"] == "QUERY_FILTER_INVALID" and refused["detail"]["field"] == "agency"


async def test_6_5_and_6_6_as_of_a_past_date_follow_a_move_between_districts(
    api: Api, people: People, registry_hub: Hub
) -> None:
    """Insured by the first district's agency, registered in the other district until a move into the first on
    2026-09-20: on 2026-08-31 the first district insured them elsewhere (6.6) and the other registered someone
    insured elsewhere (6.5); today neither — the past answer comes from the closed period, not today's row."""
    async with registry_hub.sessions() as session, session.begin():
        mover = await factories.retiree(
            session, people.other.communities[0], name=f"{people.surname}移", agency=people.tree.district.code
        )
        session.expunge(mover)
    await _apply(registry_hub, mover, TransferOut(within_city=True), date(2026, 9, 10))
    await _apply(registry_hub, mover, TransferIn(people.tree.communities[0].id or 0), date(2026, 9, 20))
    living = f"/api/v1/queries/6.6?name={people.surname}"
    assert _names(await _get(api, people.district_operator, living)) == {people.away.name}
    before = await _get(api, people.district_operator, living + "&on=2026-08-31")
    assert _names(before) == {people.away.name, mover.name}
    assert {row["district"] for row in before["items"]} == {people.other.district.name}
    insured = f"/api/v1/queries/6.5?name={people.surname}"
    assert _names(await _get(api, people.other_district_operator, insured)) == {people.away.name}
    then = await _get(api, people.other_district_operator, insured + "&on=2026-08-31")
    assert _names(then) == {people.away.name, mover.name}
    assert _names(await _get(api, people.outsider, insured + "&on=2026-08-31")) == set()


# -- 6.8 / 6.9 / 6.11 ------------------------------------------------------------------------------------------------


async def test_6_8_roster_lists_the_managed_people_today_and_as_of_a_past_date(api: Api, people: People) -> None:
    path = f"/api/v1/queries/6.8?name={people.surname}"
    today = await _get(api, people.community_operator, path)
    assert _names(today) == {people.active.name, people.local.name, people.suspended.name}
    before = await _get(api, people.community_operator, path + "&on=2026-08-31")
    assert _names(before) == {
        p.name for p in (people.active, people.local, people.suspended, people.deceased, people.moved)
    }
    suspended = await _get(api, people.community_operator, path + "&status=suspended")
    assert _names(suspended) == {people.suspended.name}
    assert _names(await _get(api, people.outsider, path)) == set()
    refused = await _refused(api, people.community_operator, path + "&status=deceased")
    assert refused["detail"]["field"] == "status"


async def test_6_9_base_info_shows_the_supplementary_information(api: Api, people: People) -> None:
    token = await api.token(people.community_operator)
    answer = await api.call(
        "PUT",
        f"/api/v1/retirees/{people.local.id}/supplementary",
        token,
        json={
            "health_status": "3",
            "living_arrangement": "3",
            "special_categories": ["02"],
            "household_address": "石家庄市长安区建设北大街1号",
        },
    )
    assert answer.status_code == 200, answer.text
    found = await _get(api, people.community_operator, f"/api/v1/queries/6.9?name={people.surname}&special_category=02")
    assert _names(found) == {people.local.name}
    row = found["items"][0]
    assert (row["health_status"], row["living_arrangement"], row["special_categories"]) == ("较差", "独居", "孤寡老人")
    assert row["household_address"] == "石家庄市长安区建设北大街1号"
    assert _names(await _get(api, people.outsider, f"/api/v1/queries/6.9?name={people.surname}")) == set()


async def test_6_11_staff_set_the_management_form_and_the_query_finds_it(
    api: Api, registry_hub: Hub, people: People
) -> None:
    token = await api.token(people.community_operator)
    path = f"/api/v1/retirees/{people.local.id}/management-form"
    body = {"management_form": "3", "reason": "本人申请委托原单位管理"}
    first = await api.call("PUT", path, token, json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {"retiree_id": people.local.id, "management_form": "3", "previous": "1", "changed": True}
    again = await api.call("PUT", path, token, json=body)  # the same request twice changes nothing more
    assert again.status_code == 200 and again.json()["changed"] is False
    async with registry_hub.sessions() as session:
        entries = (
            (
                await session.execute(
                    select(AuditEntry).where(
                        col(AuditEntry.action) == "retiree.set_management_form",
                        col(AuditEntry.retiree_id) == people.local.id,
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(entries) == 1 and entries[0].detail["to"] == "3" and entries[0].detail["reason"] == body["reason"]
    found = await _get(api, people.community_operator, f"/api/v1/queries/6.11?name={people.surname}&management_form=3")
    assert _names(found) == {people.local.name}
    assert found["items"][0]["management_form"] == "委托原单位管理"
    community = await _get(
        api, people.community_operator, f"/api/v1/queries/6.11?name={people.surname}&management_form=1"
    )
    assert people.local.name not in _names(community)


async def test_6_11_setting_the_management_form_is_refused_out_of_scope_without_reason_or_with_an_unknown_form(
    api: Api, people: People
) -> None:
    path = f"/api/v1/retirees/{people.local.id}/management-form"
    outside = await api.call(
        "PUT", path, await api.token(people.outsider), json={"management_form": "2", "reason": "x"}
    )
    assert outside.status_code in (403, 404), outside.text
    token = await api.token(people.community_operator)
    blank = await api.call("PUT", path, token, json={"management_form": "2", "reason": "  "})
    assert blank.status_code in (400, 422) and blank.json()["code"] == "REASON_REQUIRED"
    unknown = await api.call("PUT", path, token, json={"management_form": "8", "reason": "测试"})
    assert unknown.status_code in (400, 422) and unknown.json()["detail"]["field"] == "management_form"
    listed = await _refused(
        api, people.outsider, f"/api/v1/queries/6.11?institution_id={people.tree.communities[0].id}"
    )
    assert listed["code"] == "NOT_FOUND"


# -- 6.16 --------------------------------------------------------------------------------------------------------------


async def test_6_16_non_local_people_in_both_directions(api: Api, registry_hub: Hub, people: People) -> None:
    token = await api.token(people.community_operator)
    lived = await api.call(
        "PUT",
        f"/api/v1/retirees/{people.local.id}/residence",
        token,
        json={"city_code": "460200", "since": "2026-01-15", "address": "三亚市天涯区1号"},
    )
    assert lived.status_code == 200, lived.text
    incoming_name = f"{people.surname}来"
    came = await api.call(
        "POST",
        "/api/v1/incoming-residents",
        token,
        json={
            "id_number": factories.id_number(date(1956, 4, 4)),
            "name": incoming_name,
            "insuring_place_code": "110100",
        },
    )
    assert came.status_code == 201, came.text
    out = await _get(api, people.community_operator, f"/api/v1/queries/6.16?name={people.surname}")
    assert _names(out) == {people.local.name} and out["items"][0]["city"] == "三亚市"
    inbound = await _get(api, people.community_operator, f"/api/v1/queries/6.16?name={people.surname}&direction=in")
    assert _names(inbound) == {incoming_name} and inbound["items"][0]["city"] == "北京市"
    assert _names(
        await _get(api, people.district_operator, f"/api/v1/queries/6.16?name={people.surname}&direction=in")
    ) == {incoming_name}
    assert _names(await _get(api, people.outsider, f"/api/v1/queries/6.16?name={people.surname}&direction=in")) == set()
    assert _names(await _get(api, people.outsider, f"/api/v1/queries/6.16?name={people.surname}")) == set()
    # Not registered anywhere yet: seen by the agency that insures them (the district) and the whole city only.
    unplaced = await api.call(
        "PUT",
        f"/api/v1/retirees/{people.unplaced.id}/residence",
        await api.token(people.district_operator),
        json={"city_code": "110100", "since": "2026-02-01", "address": "北京市东城区1号"},
    )
    assert unplaced.status_code == 200, unplaced.text
    away = f"/api/v1/queries/6.16?name={people.surname}"
    async with registry_hub.sessions() as session, session.begin():
        city = (await factories.account(session, people.tree.city, "operator")).username
    both = {people.local.name, people.unplaced.name}
    assert _names(await _get(api, people.district_operator, away)) == both
    assert _names(await _get(api, city, away)) == both
    assert _names(await _get(api, people.community_operator, away)) == {people.local.name}
    assert _names(await _get(api, people.other_district_operator, away)) == set()


# -- 6.21 --------------------------------------------------------------------------------------------------------------


async def test_6_21_newly_approved_people_by_sync_date_for_a_district_and_a_community(api: Api, people: People) -> None:
    today = calendar.today()
    since = f"/api/v1/queries/6.21?name={people.surname}&from={(today - timedelta(days=1)).isoformat()}"
    district = await _get(api, people.district_operator, since)
    # insured by the district's agency (registered anywhere or not yet) or registered in it
    assert _names(district) == {
        p.name
        for p in (
            people.active,
            people.local,
            people.suspended,
            people.deceased,
            people.moved,
            people.away,
            people.unplaced,
        )
    }
    community = await _get(api, people.community_operator, since)
    assert _names(community) == {p.name for p in (people.active, people.local, people.suspended, people.deceased)}
    later = f"/api/v1/queries/6.21?name={people.surname}&from={(today + timedelta(days=1)).isoformat()}"
    assert _names(await _get(api, people.district_operator, later)) == set()
    assert _names(await _get(api, people.outsider, since)) == set()
    missing = await _refused(api, people.district_operator, f"/api/v1/queries/6.21?name={people.surname}")
    assert missing["code"] == "QUERY_FILTER_INVALID" and missing["detail"]["field"] == "from"


async def test_18_the_people_queries_export_masked(api: Api, people: People) -> None:
    answer = await api.call(
        "GET", f"/api/v1/queries/6.8.xlsx?name={people.surname}", await api.token(people.community_operator)
    )
    assert answer.status_code == 200, answer.text
    assert answer.content[:2] == b"PK"
