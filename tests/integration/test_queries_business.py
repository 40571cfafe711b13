"""Issue 18, the business queries of section 6 (6.1, 6.2, 6.13, 6.14, 6.15, 6.17, 6.18, 6.19, 6.20) through the
staff API over real PostgreSQL, on data made by the real workflows: hand-overs drafted, submitted and received
through the API, the talent service centre marked by staff, on-site certifications and residences recorded by staff,
a cross-region certification arriving as the ministry import's ``certification.recorded``, a transfer sent and taken
in, suspensions and resumptions by staff, a pension adjustment from the province. Each query is also asked from
outside the data (scope, 1.3) and refused a bad filter naming it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.adjustments.inbound import on_pension_adjusted
from domain.audit.models import AuditEntry
from domain.certifications.inbound import on_certification_recorded
from domain.employers.models import Employer
from domain.retirees.inbound import Inbound
from domain.retirees.models import Retiree
from domain.shared import calendar
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api
from tests.support.reports import accounts, employer_people, get_json, hand_over, record_death, token

pytestmark = pytest.mark.integration


@dataclass
class Setting:
    tree: factories.Tree
    surname: str  # every person of the setting has a name starting with it
    employer: Employer
    people: list[Retiree]  # the employer's: [0], [1] registered at communities[0], [2] at communities[1]
    unregistered: Retiree  # the employer's, approved, not registered (insured at the district)
    district: str  # operator of the district agency
    community: str  # operator of communities[0]
    receiver: str  # operator of communities[1]
    viewer: str  # viewer of communities[0]
    outsider: str  # operator of another district


@pytest.fixture
async def setting(registry_hub: Hub) -> Setting:
    surname = "业" + uuid.uuid4().hex[:4]
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        other = await factories.tree(session)
        employer = Employer(
            code=factories.code("E"),
            name=f"{surname}机械厂",
            insuring_agency_code=tree.district.code,
            contact_person="张会计",
            contact_phone="03118765432",
            address="中华大街 1 号",
        )
        where = (tree.communities[0], tree.communities[0], tree.communities[1], None)
        *people, unregistered = await employer_people(session, tree, employer, surname, where)
        district, community, receiver, viewer, outsider = await accounts(
            session,
            (tree.district, "operator"),
            (tree.communities[0], "operator"),
            (tree.communities[1], "operator"),
            (tree.communities[0], "viewer"),
            (other.district, "operator"),
        )
        for row in (*people, unregistered, employer):
            session.expunge(row)
    return Setting(tree, surname, employer, people, unregistered, district, community, receiver, viewer, outsider)


async def _names(api: Api, user: str, path: str) -> list[str]:
    return sorted(row["name"] for row in (await get_json(api, user, path + "&size=100"))["items"])


async def _refused(api: Api, user: str, path: str, field: str) -> None:
    answer = await api.call("GET", path, await token(api, user))
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "QUERY_FILTER_INVALID" and answer.json()["detail"]["field"] == field


async def _hand_over(api: Api, s: Setting, people: list[Retiree], voucher: str) -> dict[str, Any]:
    """An employer's batch drafted, submitted and received by the district agency (3.1 - 3.3)."""
    received = [{"retiree_id": p.id, "result": "received"} for p in people]
    return await hand_over(api, s.district, s.employer, s.tree.district, people, voucher, results=received)


async def test_6_1_the_employer_ledger_roster_not_handed_over_unregistered_and_talent_retirees(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    s = setting
    base = f"/api/v1/queries/6.1?employer={s.employer.code}"
    everyone = sorted(p.name for p in (*s.people, s.unregistered))
    assert await _names(api, s.district, base) == everyone  # the roster by default
    assert await _names(api, s.district, base + "&list=unregistered") == [s.unregistered.name]
    assert await _names(api, s.district, base + "&list=not_handed_over") == everyone
    batch = await _hand_over(api, s, s.people[:1], "JF-" + s.surname)
    assert await _names(api, s.district, base + "&list=not_handed_over") == everyone[1:]
    business = (await get_json(api, s.district, base + "&list=business"))["items"]
    assert [(r["name"], r["handover_number"], r["handover_state"]) for r in business] == [
        (s.people[0].name, batch["number"], "已接收")
    ]
    # by the employer's name too; a community sees its own people only (the unregistered one is the agency's)
    by_name = f"/api/v1/queries/6.1?employer={s.surname}机械"
    assert await _names(api, s.viewer, by_name) == sorted(p.name for p in s.people[:2])
    assert await _names(api, s.outsider, base) == []

    # talent retirees: none until staff mark the employer as the talent service centre (once, audited)
    assert await _names(api, s.district, base + "&list=talent_unregistered") == []
    url = f"/api/v1/employers/{s.employer.code}/talent-centre"
    refused = await api.call("PUT", url, await token(api, s.viewer), json={"talent_centre": True})
    assert refused.status_code == 403
    stranger = await api.call("PUT", url, await token(api, s.outsider), json={"talent_centre": True})
    assert stranger.status_code == 404 and stranger.json()["code"] == "HANDOVER_EMPLOYER_NOT_FOUND"
    for _ in range(2):
        marked = await api.call("PUT", url, await token(api, s.district), json={"talent_centre": True})
        assert marked.status_code == 200 and marked.json()["talent_centre"] is True, marked.text
    async with registry_hub.sessions() as session:
        audits = await session.execute(
            select(AuditEntry).where(
                col(AuditEntry.action) == "employer.talent_centre", col(AuditEntry.target) == s.employer.code
            )
        )
        assert len(audits.scalars().all()) == 1
    assert await _names(api, s.district, base + "&list=talent_unregistered") == [s.unregistered.name]
    assert await _names(api, s.district, base + "&list=talent_registered") == sorted(p.name for p in s.people)
    await _refused(api, s.district, base + "&list=everything", "list")


async def test_6_2_hand_overs_by_employer_by_voucher_and_by_person(api: Api, setting: Setting) -> None:
    s = setting
    first = await _hand_over(api, s, s.people[:2], "JF1-" + s.surname)
    await _hand_over(api, s, s.people[2:], "JF2-" + s.surname)
    by_employer = await get_json(api, s.district, f"/api/v1/queries/6.2?employer={s.employer.code}")
    assert by_employer["total"] == 3 and {r["result"] for r in by_employer["items"]} == {"已接收"}
    assert all("*" in r["id_number"] for r in by_employer["items"])
    by_voucher = await get_json(api, s.district, f"/api/v1/queries/6.2?voucher=JF1-{s.surname}")
    assert sorted(r["name"] for r in by_voucher["items"]) == sorted(p.name for p in s.people[:2])
    assert {r["handover_number"] for r in by_voucher["items"]} == {first["number"]}
    by_person = await get_json(api, s.district, f"/api/v1/queries/6.2?person={s.people[2].personal_number}")
    assert [r["name"] for r in by_person["items"]] == [s.people[2].name]
    assert (await get_json(api, s.outsider, f"/api/v1/queries/6.2?employer={s.employer.code}"))["total"] == 0
    await _refused(api, s.district, "/api/v1/queries/6.2?state=lost", "state")


async def test_6_13_certified_locally_non_locally_cross_region_and_not_certified_in_a_period(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    s = setting
    today = calendar.today().isoformat()
    community = await token(api, s.community)
    local, away, _ = s.people
    moved = await api.call(
        "PUT", f"/api/v1/retirees/{away.id}/residence", community, json={"city_code": "110100", "since": today}
    )
    assert moved.status_code == 200, moved.text
    for person in (local, away):
        done = await api.call(
            "POST", f"/api/v1/retirees/{person.id}/certifications", community, json={"certified_on": today}
        )
        assert done.status_code == 201, done.text
    data = {  # the ministry import's commit: a cross-region assisted certification (2.7)
        "personal_number": s.people[2].personal_number,
        "source": "ministry_import",
        "certification_id": factories.code("MI"),
        "method": "cross_region",
        "certified_on": today,
        "result": "passed",
    }
    async with registry_hub.sessions() as session, session.begin():
        await on_certification_recorded(
            data, Inbound(factories.code("EV"), datetime.now()), registry_hub.unit_of_work(session, "test")
        )

    base = f"/api/v1/queries/6.13?name={s.surname}&from={today}&to={today}"
    found = (await get_json(api, s.district, base))["items"]
    assert {(r["name"], r["kind"]) for r in found} == {
        (local.name, "本地认证"),
        (away.name, "异地认证"),
        (s.people[2].name, "跨地区协助认证"),
    }
    assert await _names(api, s.district, base + "&kind=cross_region") == [s.people[2].name]
    assert await _names(api, s.viewer, base) == sorted([local.name, away.name])  # communities[0] only
    # not certified in the period: everyone managed (the unregistered one is not managed by a community yet)
    assert await _names(api, s.district, base + "&list=uncertified") == []
    assert await _names(
        api, s.district, f"/api/v1/queries/6.13?name={s.surname}&list=uncertified&to=2025-12-31"
    ) == sorted(p.name for p in s.people)
    assert (await get_json(api, s.outsider, base))["total"] == 0
    await _refused(api, s.district, base + "&kind=martian", "kind")
    # The whole city counts its certified rows another way (no institution path, business._city_count),
    # today and as of a past date: the totals must be the rows listed.
    async with registry_hub.sessions() as session, session.begin():
        city = (await factories.account(session, s.tree.city, "operator")).username
    whole = await get_json(api, city, base + "&size=50")
    assert whole["total"] == len(whole["items"]) == 3
    assert (await get_json(api, city, base + "&kind=non_local"))["total"] == 1
    yesterday = (calendar.today() - timedelta(days=1)).isoformat()
    before = f"/api/v1/queries/6.13?name={s.surname}&on={yesterday}&from=2000-01-01"
    assert (await get_json(api, city, before))["total"] == 0  # certified today: not yet on the day before


async def test_6_13_totals_as_of_a_past_date_count_who_was_managed_then_city_and_district(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    """Certified twenty days ago, one of them died ten days ago: as of fifteen days ago the three certifications
    count, today two. The whole city counts another way than it lists (business._city_count: the people
    managed today corrected by the closed state periods covering the date), a district counts in the page's own
    read (``counted_in_page``): each total must be the rows listed, also on a page past the last one."""
    s = setting
    certified, died = calendar.today() - timedelta(days=20), calendar.today() - timedelta(days=10)
    for person in s.people:
        user = s.receiver if person is s.people[2] else s.community
        done = await api.call(
            "POST",
            f"/api/v1/retirees/{person.id}/certifications",
            await token(api, user),
            json={"certified_on": certified.isoformat()},
        )
        assert done.status_code == 201, done.text
    await record_death(registry_hub, s.people[0].id or 0, died)
    async with registry_hub.sessions() as session, session.begin():
        city = (await factories.account(session, s.tree.city, "operator")).username
    base = f"/api/v1/queries/6.13?name={s.surname}&from={(certified - timedelta(days=1)).isoformat()}"
    then = f"{base}&on={(died - timedelta(days=5)).isoformat()}"
    for user in (city, s.district):
        now, before = await get_json(api, user, base + "&size=50"), await get_json(api, user, then + "&size=50")
        assert sorted(r["name"] for r in now["items"]) == sorted(p.name for p in s.people[1:])
        assert now["total"] == 2
        assert sorted(r["name"] for r in before["items"]) == sorted(p.name for p in s.people)
        assert before["total"] == 3
        past_the_end = await get_json(api, user, then + "&size=2&page=3")
        assert past_the_end["items"] == [] and past_the_end["total"] == 3
        second = await get_json(api, user, then + "&size=2&page=2")
        assert len(second["items"]) == 1 and second["total"] == 3
    # Not certified before the certifications: the three managed then, the two managed today; 7.11's roster counts
    # them as 6.13 does.
    uncertified = f"?name={s.surname}&list=uncertified&from=2000-01-01&to={(certified - timedelta(days=1)).isoformat()}"
    for path in ("/api/v1/queries/6.13", "/api/v1/reports/7.11/rows"):
        for user in (city, s.district):
            now = await get_json(api, user, f"{path}{uncertified}&size=50")
            assert sorted(r["name"] for r in now["items"]) == sorted(p.name for p in s.people[1:])
            assert now["total"] == 2
            before = await get_json(api, user, f"{path}{uncertified}&on={(died - timedelta(days=5)).isoformat()}")
            assert sorted(r["name"] for r in before["items"]) == sorted(p.name for p in s.people)
            assert before["total"] == 3


async def test_6_14_transfers_out_in_and_history(api: Api, setting: Setting) -> None:
    s = setting
    person = s.people[0]
    body = {"kind": "within_city", "to_institution_id": s.tree.communities[1].id}
    sent = await api.call("POST", f"/api/v1/retirees/{person.id}/transfers", await token(api, s.community), json=body)
    assert sent.status_code == 201, sent.text
    out = await get_json(api, s.community, f"/api/v1/queries/6.14?direction=out&name={s.surname}")
    assert [(r["name"], r["state"], r["kind"]) for r in out["items"]] == [(person.name, "待接收", "市内转移")]
    assert (await get_json(api, s.receiver, f"/api/v1/queries/6.14?direction=out&name={s.surname}"))["total"] == 0
    taken = await api.call(
        "POST", f"/api/v1/transfers/{sent.json()['id']}/take-in", await token(api, s.receiver), json={}
    )
    assert taken.status_code == 200, taken.text
    incoming = await get_json(api, s.receiver, f"/api/v1/queries/6.14?direction=in&name={s.surname}&state=taken_in")
    assert [r["name"] for r in incoming["items"]] == [person.name]
    history = await get_json(api, s.district, f"/api/v1/queries/6.14?name={s.surname}")
    assert history["total"] == 1 and history["items"][0]["to_institution"] == s.tree.communities[1].name
    assert (await get_json(api, s.outsider, f"/api/v1/queries/6.14?name={s.surname}"))["total"] == 0
    await _refused(api, s.district, "/api/v1/queries/6.14?direction=sideways", "direction")


async def test_6_15_suspensions_and_resumptions_by_period_reason_and_institution(api: Api, setting: Setting) -> None:
    s = setting
    today = calendar.today().isoformat()
    operator = await token(api, s.district)
    ids = [s.people[0].id, s.people[2].id]
    body = {"retiree_ids": ids, "effective_date": today, "remarks": "经办人员核查暂停"}
    suspended = await api.call("POST", "/api/v1/retirees/suspensions", operator, json=body)
    assert suspended.status_code == 200 and all(o["done"] for o in suspended.json()), suspended.text
    back = {"effective_date": today, "remarks": "核查无误恢复"}
    resumed = await api.call("POST", f"/api/v1/retirees/{s.people[0].id}/resume", operator, json=back)
    assert resumed.status_code == 201, resumed.text

    base = f"/api/v1/queries/6.15?name={s.surname}&from={today}"
    rows = (await get_json(api, s.district, base + "&size=50"))["items"]
    assert sorted((r["name"], r["kind"]) for r in rows) == sorted(
        [(s.people[0].name, "暂停发放"), (s.people[0].name, "恢复发放"), (s.people[2].name, "暂停发放")]
    )
    assert await _names(api, s.district, base + "&kind=resumed") == [s.people[0].name]
    assert await _names(api, s.district, base + "&reason=S04") == sorted([s.people[0].name, s.people[2].name])
    community_1 = s.tree.communities[1].id
    assert await _names(api, s.district, base + f"&kind=suspended&institution_id={community_1}") == [s.people[2].name]
    assert await _names(api, s.viewer, base + "&kind=suspended") == [s.people[0].name]
    assert (await get_json(api, s.district, f"/api/v1/queries/6.15?name={s.surname}&to=2000-01-01"))["total"] == 0
    assert (await get_json(api, s.outsider, base))["total"] == 0
    await _refused(api, s.district, base + "&reason=DTH", "reason")


async def test_6_17_employer_contacts_of_the_agency(api: Api, setting: Setting) -> None:
    s = setting
    found = await get_json(api, s.district, f"/api/v1/queries/6.17?employer={s.employer.code}")
    assert found["total"] == 1
    row = found["items"][0]
    assert (row["employer_name"], row["contact_person"], row["status"]) == (s.employer.name, "张会计", "正常")
    assert row["contact_phone"] != "03118765432" and "*" in row["contact_phone"]  # masked like every list
    assert (await get_json(api, s.outsider, f"/api/v1/queries/6.17?employer={s.employer.code}"))["total"] == 0
    assert (await get_json(api, s.viewer, f"/api/v1/queries/6.17?employer={s.employer.code}"))["total"] == 0
    await _refused(api, s.district, "/api/v1/queries/6.17?status=bankrupt", "status")


async def test_6_18_institutions_of_the_scope_with_the_people_they_manage(api: Api, setting: Setting) -> None:
    s = setting
    found = await get_json(api, s.district, f"/api/v1/queries/6.18?institution_id={s.tree.district.id}&size=50")
    by_code = {r["code"]: r for r in found["items"]}
    assert found["total"] == 7 and set(by_code) == {
        i.code for i in (s.tree.district, *s.tree.streets, *s.tree.communities)
    }
    assert (
        by_code[s.tree.communities[0].code]["managed"] == 2 and by_code[s.tree.communities[0].code]["level"] == "社区"
    )
    assert by_code[s.tree.streets[0].code]["managed"] == 3 and by_code[s.tree.district.code]["managed"] == 3
    assert (
        by_code[s.tree.communities[0].code]["staff"] == 2
        and by_code[s.tree.communities[0].code]["parent"] == s.tree.streets[0].name
    )
    communities = await get_json(
        api, s.district, f"/api/v1/queries/6.18?institution_id={s.tree.district.id}&level=community"
    )
    assert communities["total"] == 4
    mine = await get_json(api, s.viewer, "/api/v1/queries/6.18")
    assert [r["code"] for r in mine["items"]] == [s.tree.communities[0].code]
    other = await api.call(
        "GET", f"/api/v1/queries/6.18?institution_id={s.tree.district.id}", await token(api, s.outsider)
    )
    assert other.status_code == 404
    await _refused(api, s.district, "/api/v1/queries/6.18?level=planet", "level")


async def test_6_19_staff_of_the_scope_without_password_data(api: Api, setting: Setting) -> None:
    s = setting
    await token(api, s.community)  # a login: the last login time is shown
    found = await get_json(api, s.district, f"/api/v1/queries/6.19?institution_id={s.tree.district.id}&size=50")
    by_user = {r["username"]: r for r in found["items"]}
    assert {s.district, s.community, s.receiver, s.viewer} <= set(by_user) and s.outsider not in by_user
    assert by_user[s.viewer]["role"] == "查询员" and by_user[s.community]["role"] == "经办员"
    assert by_user[s.community]["last_login_at"] is not None and by_user[s.community]["active"] == "启用"
    assert all("password" not in key for row in found["items"] for key in row)
    viewers = await get_json(api, s.district, f"/api/v1/queries/6.19?institution_id={s.tree.district.id}&role=viewer")
    assert [r["username"] for r in viewers["items"]] == [s.viewer]
    mine = await get_json(api, s.viewer, "/api/v1/queries/6.19")
    assert {r["username"] for r in mine["items"]} == {s.community, s.viewer}
    await _refused(api, s.district, "/api/v1/queries/6.19?role=root", "role")


async def test_6_20_adjustments_by_year(api: Api, registry_hub: Hub, setting: Setting) -> None:
    s = setting
    for n, person in enumerate(s.people[:2]):
        data = {
            "personal_number": person.personal_number,
            "batch_id": f"TZ2026-{s.surname}",
            "adjustment_year": 2026,
            "amount_before": "3000.00",
            "amount_after": f"{3100 + n * 10}.00",
            "increase": f"{100 + n * 10}.00",
            "effective_month": "2026-01",
        }
        async with registry_hub.sessions() as session, session.begin():
            await on_pension_adjusted(
                data, Inbound(factories.code("EV"), datetime.now()), registry_hub.unit_of_work(session, "test")
            )
    found = await get_json(api, s.district, f"/api/v1/queries/6.20?year=2026&name={s.surname}&sort=-increase")
    assert [(r["name"], r["increase"]) for r in found["items"]] == [
        (s.people[1].name, "110.00"),
        (s.people[0].name, "100.00"),
    ]
    assert (await get_json(api, s.district, f"/api/v1/queries/6.20?year=2025&name={s.surname}"))["total"] == 0
    assert (await get_json(api, s.outsider, f"/api/v1/queries/6.20?year=2026&name={s.surname}"))["total"] == 0
    await _refused(api, s.district, f"/api/v1/queries/6.20?name={s.surname}&year=1800", "year")


async def test_6_13_not_certified_as_of_a_past_date_counts_who_was_managed_then(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    """A person who died ten days ago was managed (and not certified) twenty days ago, not today."""
    s = setting
    died = calendar.today() - timedelta(days=10)
    await record_death(registry_hub, s.people[2].id or 0, died)
    base = f"/api/v1/queries/6.13?name={s.surname}&list=uncertified"
    assert await _names(api, s.district, base) == sorted(p.name for p in s.people[:2])
    before = (calendar.today() - timedelta(days=20)).isoformat()
    then = await get_json(api, s.district, f"{base}&on={before}&size=50")
    assert then["on"] == before and sorted(r["name"] for r in then["items"]) == sorted(p.name for p in s.people)
