"""Non-local residents (4.7, 6.16) through the staff API: a retiree's residence (GB/T 2260 city-level code, scope,
audit, timeline, nothing sent to the province), the insuring agency registering its non-local people (and nobody
else), on-site certification at the agency, the overdue rule S01 applied to them by the same parameters, and the
people insured elsewhere who live here (kept by their community)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from app.jobs import run_suspension_rules
from domain.audit.models import AuditEntry
from domain.institutions.models import Institution
from domain.residence.models import Residence
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.suspensions.overdue import Rule
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


@dataclass
class Setting:
    tree: factories.Tree
    community_operator: str
    community_viewer: str
    other_community_operator: str
    agency_operator: str


async def _setting(hub: Hub) -> Setting:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        tree.district.code = f"A{uuid.uuid4().hex[:10]}"  # an insuring-agency code the registration form accepts
        await session.flush()
        return Setting(
            tree,
            (await factories.account(session, tree.communities[0], "operator")).username,
            (await factories.account(session, tree.communities[0], "viewer")).username,
            (await factories.account(session, tree.communities[2], "operator")).username,
            (await factories.account(session, tree.district, "operator")).username,
        )


async def _person(hub: Hub, institution: Institution | None, *, agency: str = "130102", **fields: object) -> Retiree:
    async with hub.sessions() as session, session.begin():
        person = await factories.retiree(session, institution, agency=agency)
        for name, value in fields.items():
            setattr(person, name, value)
        await session.flush()
        session.expunge(person)
        return person


async def _province_events(hub: Hub, personal_number: str) -> int:
    async with hub.sessions() as session:
        count: int = (
            await session.execute(
                text("SELECT count(*) FROM hub_outbox WHERE key = :key AND event_type = 'person_status.changed'"),
                {"key": personal_number},
            )
        ).scalar_one()
        return count


async def test_4_7_a_residence_in_another_city_is_recorded_validated_scoped_and_on_the_timeline(
    registry_hub: Hub, api: Api
) -> None:
    s = await _setting(registry_hub)
    person = await _person(registry_hub, s.tree.communities[0])
    headers = await api.token(s.community_operator)
    today = calendar.today()
    path = f"/api/v1/retirees/{person.id}/residence"
    body = {"city_code": "110100", "since": (today - timedelta(days=30)).isoformat(), "address": "北京市朝阳区某路1号"}

    for code in ("130000", "130102", "110000", "990100"[:5] + "1"):  # a province, a county, a province, no city
        refused = await api.call("PUT", path, headers, json={**body, "city_code": code})
        assert refused.status_code == 422, (code, refused.text)
        assert refused.json()["code"] in ("RESIDENCE_CITY_INVALID", "VALIDATION_ERROR", "REQUEST_INVALID"), code
    province = await api.call("PUT", path, headers, json={**body, "city_code": "130000"})
    assert province.json()["code"] == "RESIDENCE_CITY_INVALID" and "地市级" in province.json()["message"]
    future = await api.call("PUT", path, headers, json={**body, "since": (today + timedelta(days=1)).isoformat()})
    assert future.status_code == 422 and future.json()["code"] == "RESIDENCE_DATE_INVALID"
    async with registry_hub.sessions() as session:
        assert (await session.execute(select(Residence).where(col(Residence.retiree_id) == person.id))).first() is None

    viewer = await api.call("PUT", path, await api.token(s.community_viewer), json=body)
    assert viewer.status_code == 403
    outsider = await api.call("PUT", path, await api.token(s.other_community_operator), json=body)
    assert outsider.status_code == 404 and "管辖范围" in outsider.json()["message"]

    recorded = await api.call("PUT", path, headers, json=body)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["city_name"] == "北京市" and recorded.json()["non_local"] is True
    moved = await api.call("PUT", path, headers, json={**body, "city_code": "310100", "since": today.isoformat()})
    assert moved.status_code == 200 and moved.json()["city_name"] == "上海市"
    shown = (await api.call("GET", path, headers)).json()
    assert shown["current"]["city_code"] == "310100"
    assert [h["city_code"] for h in shown["history"]] == ["310100", "110100"]

    listed = (await api.call("GET", "/api/v1/retirees/non-local", headers)).json()
    row = next(i for i in listed["items"] if i["retiree"]["id"] == person.id)
    assert "*" in row["retiree"]["id_number"] and row["residence"]["city_code"] == "310100"
    by_city = (await api.call("GET", "/api/v1/retirees/non-local?city_code=110100", headers)).json()
    assert all(i["retiree"]["id"] != person.id for i in by_city["items"])
    bad_filter = await api.call("GET", "/api/v1/retirees/non-local?city_code=310000", headers)
    assert bad_filter.status_code == 422 and bad_filter.json()["code"] == "RESIDENCE_CITY_INVALID"
    other = (await api.call("GET", "/api/v1/retirees/non-local", await api.token(s.other_community_operator))).json()
    assert all(i["retiree"]["id"] != person.id for i in other["items"])

    back_home = await api.call("PUT", path, headers, json={**body, "city_code": "130100", "since": today.isoformat()})
    assert back_home.status_code == 200 and back_home.json()["non_local"] is False
    listed = (await api.call("GET", "/api/v1/retirees/non-local", headers)).json()
    assert all(i["retiree"]["id"] != person.id for i in listed["items"])

    timeline = (await api.call("GET", f"/api/v1/retirees/{person.id}/timeline", headers)).json()
    residence_entries = [e for e in timeline["entries"] if e["kind"] == "residence"]
    assert len(residence_entries) == 3 and any("上海市" in e["title"] for e in residence_entries)
    assert await _province_events(registry_hub, person.personal_number) == 0  # not a status: the province is not told
    async with registry_hub.sessions() as session:
        audited = (
            await session.execute(
                select(col(AuditEntry.action)).where(
                    col(AuditEntry.retiree_id) == person.id, col(AuditEntry.action) == "retiree.residence_changed"
                )
            )
        ).all()
    assert len(audited) == 3


async def test_4_7_the_insuring_agency_registers_its_non_local_retiree_and_nobody_else(
    registry_hub: Hub, api: Api
) -> None:
    s = await _setting(registry_hub)
    mine = await _person(registry_hub, None, agency=s.tree.district.code)
    another_agency = await _person(registry_hub, None, agency="130102")
    agency = await api.token(s.agency_operator)
    today = calendar.today()
    residence = {"city_code": "110100", "since": (today - timedelta(days=400)).isoformat(), "address": "北京市海淀区"}

    def registration(person: Retiree, **extra: object) -> dict[str, object]:
        return {"personal_number": person.personal_number, "insuring_agency_code": person.insuring_agency_code, **extra}

    no_residence = await api.call("POST", "/api/v1/registrations", agency, json=registration(mine))
    assert no_residence.status_code == 403 and no_residence.json()["code"] == "NON_LOCAL_ONLY"
    assert "社区" in no_residence.json()["message"]
    local = await api.call(
        "POST",
        "/api/v1/registrations",
        agency,
        json=registration(mine, residence={**residence, "city_code": "130100"}),
    )
    assert local.status_code == 403 and local.json()["code"] == "NON_LOCAL_ONLY"
    not_ours = await api.call(
        "POST", "/api/v1/registrations", agency, json=registration(another_agency, residence=residence)
    )
    assert not_ours.status_code == 403 and not_ours.json()["code"] == "NON_LOCAL_ONLY"
    async with registry_hub.sessions() as session:
        untouched = await session.get(Retiree, mine.id)
        assert untouched is not None and untouched.status == Status.APPROVED and untouched.institution_id is None
        assert (await session.execute(select(Residence).where(col(Residence.retiree_id) == mine.id))).first() is None

    done = await api.call("POST", "/api/v1/registrations", agency, json=registration(mine, residence=residence))
    assert done.status_code == 201, done.text
    assert done.json()["institution"] == s.tree.district.name and done.json()["status"] == "registered"
    assert await _province_events(registry_hub, mine.personal_number) == 1  # the registration (REGISTER), once
    shown = (await api.call("GET", f"/api/v1/retirees/{mine.id}/residence", agency)).json()
    assert shown["current"]["city_code"] == "110100"
    listed = (await api.call("GET", "/api/v1/retirees/non-local?city_code=110100", agency)).json()
    assert any(i["retiree"]["id"] == mine.id for i in listed["items"])

    # the residence recorded first (PUT by the agency, before registration), the registration then needs none
    later = await _person(registry_hub, None, agency=s.tree.district.code)
    put = await api.call("PUT", f"/api/v1/retirees/{later.id}/residence", agency, json=residence)
    assert put.status_code == 200, put.text
    registered = await api.call("POST", "/api/v1/registrations", agency, json=registration(later))
    assert registered.status_code == 201, registered.text

    # on-site certification (4.3) at the agency for its non-local people
    certified = await api.call(
        "POST", f"/api/v1/retirees/{mine.id}/certifications", agency, json={"certified_on": today.isoformat()}
    )
    assert certified.status_code == 201, certified.text


async def test_4_5_s01_applies_to_non_local_retirees_by_the_same_parameters(registry_hub: Hub) -> None:
    """As of 1 June 1980 (no other test's people fall due): six months back is 1 December 1979."""
    on = date(1980, 6, 1)
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        people = []
        for certified in (date(1979, 12, 1), date(1979, 11, 30)):
            person = await factories.retiree(session, tree.district, agency=tree.district.code)
            person.last_certified_on = certified
            await session.flush()
            assert person.id is not None
            session.add(Residence(retiree_id=person.id, city_code="110100", since=date(1979, 1, 1), recorded_by="test"))
            people.append(person.id)
    in_time, overdue = people
    report = await run_suspension_rules(registry_hub, on)
    assert report.suspended[Rule.CERTIFICATION_OVERDUE] >= 1
    async with registry_hub.sessions() as session:
        kept = await session.get(Retiree, in_time)
        suspended = await session.get(Retiree, overdue)
        assert kept is not None and kept.status == Status.REGISTERED
        assert suspended is not None and suspended.status == Status.SUSPENDED and suspended.suspension_reason == "S01"


async def test_4_7_people_insured_elsewhere_living_here_are_kept_by_their_community(
    registry_hub: Hub, api: Api
) -> None:
    s = await _setting(registry_hub)
    community = await api.token(s.community_operator)
    other = await api.token(s.other_community_operator)
    agency = await api.token(s.agency_operator)
    body = {
        "id_number": factories.id_number(),
        "name": "赵外地",
        "insuring_place_code": "130200",
        "address": "本社区3号楼",
        "phone": "13800001111",
    }
    local = await api.call(
        "POST", "/api/v1/incoming-residents", community, json={**body, "insuring_place_code": "130100"}
    )
    assert local.status_code == 422 and local.json()["code"] == "INCOMING_PLACE_LOCAL"
    province = await api.call(
        "POST", "/api/v1/incoming-residents", community, json={**body, "insuring_place_code": "130000"}
    )
    assert province.status_code == 422 and province.json()["code"] == "RESIDENCE_CITY_INVALID"
    bad_id = await api.call("POST", "/api/v1/incoming-residents", community, json={**body, "id_number": "1" * 18})
    assert bad_id.status_code == 422
    no_community = await api.call("POST", "/api/v1/incoming-residents", agency, json=body)
    assert no_community.status_code == 422 and no_community.json()["code"] == "INCOMING_COMMUNITY_INVALID"
    foreign = await api.call(
        "POST", "/api/v1/incoming-residents", other, json={**body, "community_id": s.tree.communities[0].id}
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "INCOMING_COMMUNITY_INVALID"

    added = await api.call("POST", "/api/v1/incoming-residents", community, json=body)
    assert added.status_code == 201, added.text
    resident = added.json()
    assert resident["insuring_place_name"] == "唐山市" and resident["community"] == s.tree.communities[0].name
    twice = await api.call("POST", "/api/v1/incoming-residents", community, json=body)
    assert twice.status_code == 409 and twice.json()["code"] == "INCOMING_RESIDENT_EXISTS"

    mine = (await api.call("GET", "/api/v1/incoming-residents?insuring_place_code=130200", community)).json()
    row = next(i for i in mine["items"] if i["id"] == resident["id"])
    assert "*" in row["id_number"] and "*" in (row["phone"] or "")
    district = (await api.call("GET", "/api/v1/incoming-residents", agency)).json()
    assert any(i["id"] == resident["id"] for i in district["items"])
    theirs = (await api.call("GET", "/api/v1/incoming-residents", other)).json()
    assert all(i["id"] != resident["id"] for i in theirs["items"])

    path = f"/api/v1/incoming-residents/{resident['id']}"
    full = await api.call("GET", path, community)
    assert full.status_code == 200 and full.json()["id_number"] == body["id_number"]
    assert (await api.call("GET", path, other)).status_code == 404
    assert (await api.call("PUT", path, other, json=body)).status_code == 404
    assert (await api.call("DELETE", path, other)).status_code == 404
    edited = await api.call(
        "PUT", path, community, json={**body, "address": "本社区5号楼", "insuring_place_code": "110100"}
    )
    assert edited.status_code == 200 and edited.json()["address"] == "本社区5号楼"
    assert edited.json()["insuring_place_name"] == "北京市"
    viewer = await api.call("DELETE", path, await api.token(s.community_viewer))
    assert viewer.status_code == 403
    removed = await api.call("DELETE", path, community)
    assert removed.status_code == 204
    assert (await api.call("DELETE", path, community)).status_code == 404
