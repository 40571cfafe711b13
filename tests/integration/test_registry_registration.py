"""4.1 registration at the community counter and through the mobile channel, 4.2 supplementary info, and the
status-change entries (6.22) they leave, each bound for the provincial platform through the outbox."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.retirees.models import Retiree
from domain.status_log.models import StatusChange
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories
from tests.support.api import Api
from tests.support.channel import channel_app

pytestmark = pytest.mark.integration


@dataclass
class Desk:
    staff: dict[str, str]
    other_staff: dict[str, str]
    community_code: str
    other_community_code: str
    retiree: Retiree
    channel: dict[str, str]


@pytest.fixture
async def desk(registry_hub: Hub, api: Api) -> Desk:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        staff = await factories.account(session, tree.communities[0], "operator")
        other = await factories.account(session, tree.communities[3], "operator")
        person = await factories.retiree(session, None, name="李秀兰", sex="2")
    # The app vouches for the retiree it acts for (issue 20): its retiree token is what the channel calls carry.
    app = await channel_app(registry_hub, api)
    return Desk(
        await api.token(staff.username),
        await api.token(other.username),
        tree.communities[0].code,
        tree.communities[3].code,
        person,
        await app.retiree_headers(person.id_number),
    )


async def _entries(hub: Hub, retiree_id: int | None) -> list[StatusChange]:
    async with hub.sessions() as session:
        query = select(StatusChange).where(StatusChange.retiree_id == retiree_id).order_by(StatusChange.id)  # type: ignore[arg-type]
        return list((await session.execute(query)).scalars().all())


async def test_counter_registration_then_a_second_one_is_refused(api: Api, desk: Desk, registry_hub: Hub) -> None:
    number, agency = desk.retiree.personal_number, desk.retiree.insuring_agency_code
    lookup = await api.call(
        "GET", f"/api/v1/registrations/lookup?personal_number={number}&insuring_agency_code={agency}", desk.staff
    )
    assert lookup.status_code == 200 and lookup.json()["registered"] is False, lookup.text
    body = {"personal_number": number, "insuring_agency_code": agency}
    first = await api.call("POST", "/api/v1/registrations", desk.staff, json=body)
    assert first.status_code == 201 and first.json()["status"] == "registered", first.text
    second = await api.call("POST", "/api/v1/registrations", desk.other_staff, json=body)
    assert second.status_code == 409
    assert second.json() == {
        "code": "ALREADY_REGISTERED",
        "message": "人员已登记，不能重复登记",
        "detail": {"status": "registered"},
    }
    [entry] = await _entries(registry_hub, desk.retiree.id)
    assert (entry.kind, entry.from_status, entry.to_status, entry.sync_state) == (
        "registered",
        "approved",
        "registered",
        "pending",
    )
    async with registry_hub.sessions() as session:
        message = (
            await session.execute(select(OutboxMessage).where(col(OutboxMessage.event_id) == entry.event_id))
        ).scalar_one()
    assert message.topic == registry_hub.catalog.topic_for("person_status.changed") and message.key == number


async def test_lookup_needs_both_numbers_to_match(api: Api, desk: Desk) -> None:
    answer = await api.call(
        "GET",
        f"/api/v1/registrations/lookup?personal_number={desk.retiree.personal_number}&insuring_agency_code=130199",
        desk.staff,
    )
    assert answer.status_code == 404 and "参保机构编码" in answer.json()["message"]


async def test_mobile_identification_names_the_field_that_does_not_match(api: Api, desk: Desk) -> None:
    person = desk.retiree
    good = {"id_number": person.id_number, "name": person.name, "personal_number": person.personal_number}
    ok = await api.call("POST", "/channel/v1/identify", desk.channel, json=good)
    assert ok.status_code == 200 and ok.json()["can_apply"] is True, ok.text
    wrong_name = await api.call("POST", "/channel/v1/identify", desk.channel, json=good | {"name": "李秀英"})
    assert (
        wrong_name.json()["detail"]["field"] == "name"
        and wrong_name.json()["message"] == "姓名与身份证号码登记的姓名不一致"
    )
    wrong_number = await api.call("POST", "/channel/v1/identify", desk.channel, json=good | {"personal_number": "999"})
    assert wrong_number.json()["detail"]["field"] == "personal_number"
    bad_check = person.id_number[:17] + ("0" if person.id_number[17] != "0" else "1")
    invalid = await api.call("POST", "/channel/v1/identify", desk.channel, json=good | {"id_number": bad_check})
    assert invalid.status_code == 422 and invalid.json()["code"] == "ID_CHECK_CHARACTER", invalid.text
    assert invalid.json()["message"].startswith("身份证号码校验位错误")
    assert (await api.call("POST", "/channel/v1/identify", {}, json=good)).status_code == 401


async def test_mobile_application_rejected_then_confirmed_elsewhere(api: Api, desk: Desk, registry_hub: Hub) -> None:
    person = desk.retiree
    form = {
        "id_number": person.id_number,
        "name": person.name,
        "personal_number": person.personal_number,
        "community_code": desk.other_community_code,
        "contact_phone": "13912345678",
    }
    applied = await api.call("POST", "/channel/v1/registration-applications", desk.channel, json=form)
    assert applied.status_code == 201 and applied.json()["state"] == "pending", applied.text
    application_id = applied.json()["application_id"]
    again = await api.call("POST", "/channel/v1/registration-applications", desk.channel, json=form)
    assert again.status_code == 409 and again.json()["code"] == "APPLICATION_PENDING"
    # Only the chosen community's staff see and decide it.
    assert (
        await api.call("POST", f"/api/v1/registrations/applications/{application_id}/confirm", desk.staff)
    ).status_code == 404
    pending = (await api.call("GET", "/api/v1/registrations/applications", desk.other_staff)).json()
    assert [p["id"] for p in pending if p["id"] == application_id] == [application_id]
    rejected = await api.call(
        "POST",
        f"/api/v1/registrations/applications/{application_id}/reject",
        desk.other_staff,
        json={"reason": "户籍不在本社区"},
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    state = await api.call("GET", f"/channel/v1/registration-applications/{application_id}", desk.channel)
    assert state.json()["state_label"] == "已退回" and state.json()["reject_reason"] == "户籍不在本社区"
    # The retiree applies again, to the right community, whose staff confirm.
    second = await api.call(
        "POST",
        "/channel/v1/registration-applications",
        desk.channel,
        json=form | {"community_code": desk.community_code},
    )
    assert second.status_code == 201, second.text
    confirmed = await api.call(
        "POST", f"/api/v1/registrations/applications/{second.json()['application_id']}/confirm", desk.staff
    )
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed", confirmed.text
    [entry] = await _entries(registry_hub, person.id)
    assert entry.cause_type == "channel" and entry.cause_ref == second.json()["application_id"]
    late = await api.call("POST", "/channel/v1/registration-applications", desk.channel, json=form)
    assert late.status_code == 409 and late.json()["message"] == "人员已登记，不能重复登记"


async def test_application_state_is_the_applicant_s_own(api: Api, desk: Desk, registry_hub: Hub) -> None:
    person = desk.retiree
    form = {
        "id_number": person.id_number,
        "name": person.name,
        "personal_number": person.personal_number,
        "community_code": desk.community_code,
    }
    applied = (await api.call("POST", "/channel/v1/registration-applications", desk.channel, json=form)).json()
    async with registry_hub.sessions() as session, session.begin():
        stranger = await factories.retiree(session, None, name="周立新")
    app = await channel_app(registry_hub, api)
    answer = await api.call(
        "GET",
        f"/channel/v1/registration-applications/{applied['application_id']}",
        await app.retiree_headers(stranger.id_number),
    )
    assert answer.status_code == 404  # issue 20: another retiree's application does not exist for this caller


async def test_supplementary_info_with_special_categories(api: Api, desk: Desk, registry_hub: Hub) -> None:  # 4.2, 5.1
    body = {"personal_number": desk.retiree.personal_number, "insuring_agency_code": desk.retiree.insuring_agency_code}
    retiree_id = (await api.call("POST", "/api/v1/registrations", desk.staff, json=body)).json()["id"]
    form = {
        "marital_status": "30",
        "living_arrangement": "3",
        "special_categories": ["02", "08"],
        "emergency_contact_name": "张伟",
    }
    answer = await api.call("PUT", f"/api/v1/retirees/{retiree_id}/supplementary", desk.staff, json=form)
    assert answer.status_code == 200 and answer.json()["special_categories"] == ["02", "08"], answer.text
    unknown = await api.call(
        "PUT", f"/api/v1/retirees/{retiree_id}/supplementary", desk.staff, json={"special_categories": ["77"]}
    )
    assert unknown.status_code == 422 and "77" in unknown.json()["message"]
    aged = await api.call(
        "PUT", f"/api/v1/retirees/{retiree_id}/supplementary", desk.staff, json={"special_categories": ["03"]}
    )
    assert aged.json()["code"] == "AGED_IS_COMPUTED"
    kinds = [e.kind for e in await _entries(registry_hub, retiree_id)]
    assert kinds == ["registered", "supplementary_info_recorded"]
    detail = (await api.call("GET", f"/api/v1/retirees/{retiree_id}", desk.staff)).json()
    assert detail["supplementary"]["marital_status"] == "30" and detail["id_number"] == desk.retiree.id_number
