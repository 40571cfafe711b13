"""Employer hand-over of archives (3.1 - 3.3) through the staff API: a batch drafted, submitted and received with a
discrepancy noted; returned, edited and submitted again; every refusal changing nothing; a person in two batches
refused; scope on every endpoint; the audit trail, the timeline and the worklist; the roster as PDF and XLSX."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from pdfminer.high_level import extract_text
from sqlalchemy import func, select
from sqlmodel import col

from domain.audit.models import AuditEntry
from domain.employers.models import Employer
from domain.handover.models import ArchiveCustody, ArchiveHandover, HandoverPerson
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.shared import calendar
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


@dataclass
class Setting:
    operator: str  # operator of the receiving district agency
    city: str  # operator of the city bureau
    viewer: str  # viewer of the district agency
    stranger: str  # operator of another district agency
    community: str  # operator of a community under the district
    agency: int
    other_agency: int
    street: int
    employer: Employer
    other_employer: Employer
    people: list[Retiree]  # the employer's, registered at the district's communities; the last one deceased
    moved: Retiree  # the employer's, moved out of the city
    foreign: Retiree  # another employer's


async def _employer(session: Any) -> Employer:
    employer = Employer(code=factories.code("E"), name="石家庄测试机械厂", insuring_agency_code="130102")
    session.add(employer)
    await session.flush()
    return employer


async def _setting(hub: Hub, count: int = 3) -> Setting:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        other = await factories.tree(session)
        employer, other_employer = await _employer(session), await _employer(session)
        people = [await factories.retiree(session, tree.communities[i % 4]) for i in range(count)]
        people.append(await factories.retiree(session, tree.communities[0], status=Status.DECEASED, name="李秀英"))
        moved = await factories.retiree(session, None, status=Status.MOVED_AWAY)
        foreign = await factories.retiree(session, tree.communities[1])
        for p in [*people, moved]:
            p.employer_code = employer.code
        foreign.employer_code = other_employer.code
        await session.flush()
        accounts = [
            await factories.account(session, tree.district, "operator"),
            await factories.account(session, tree.city, "operator"),
            await factories.account(session, tree.district, "viewer"),
            await factories.account(session, other.district, "operator"),
            await factories.account(session, tree.communities[0], "operator"),
        ]
        for row in (*people, moved, foreign, employer, other_employer):
            session.expunge(row)
        assert tree.district.id and other.district.id and tree.streets[0].id
        operator, city, viewer, stranger, community = (a.username for a in accounts)
        return Setting(
            operator=operator,
            city=city,
            viewer=viewer,
            stranger=stranger,
            community=community,
            agency=tree.district.id,
            other_agency=other.district.id,
            street=tree.streets[0].id,
            employer=employer,
            other_employer=other_employer,
            people=people,
            moved=moved,
            foreign=foreign,
        )


def _body(s: Setting, people: list[Retiree], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employer_id": s.employer.id,
        "agency_id": s.agency,
        "voucher_number": "JF20261127001",
        "voucher_amount": "1200.00",
        "voucher_date": calendar.today().isoformat(),
        "contact_person": "张会计",
        "contact_phone": "03118765432",
        "people": [
            {"retiree_id": p.id, "items": ["retirement_approval", "personnel_file"], "copies": 2} for p in people
        ],
    }
    body.update(changes)
    return body


async def _batches(hub: Hub, employer_id: int | None) -> list[tuple[str, int, int]]:
    """(state, version, people) of every batch of the employer: what a refusal must leave unchanged."""
    async with hub.sessions() as session:
        rows = await session.execute(
            select(
                col(ArchiveHandover.state),
                col(ArchiveHandover.version),
                select(func.count())
                .where(col(HandoverPerson.handover_id) == col(ArchiveHandover.id))
                .scalar_subquery(),
            )
            .where(col(ArchiveHandover.employer_id) == employer_id)
            .order_by(col(ArchiveHandover.id))
        )
        return [(str(s), int(v), int(n)) for s, v, n in rows.all()]


async def _custody(hub: Hub, ids: list[int | None]) -> dict[int, tuple[int, str | None]]:
    async with hub.sessions() as session:
        rows = await session.execute(select(ArchiveCustody).where(col(ArchiveCustody.retiree_id).in_(ids)))
        return {c.retiree_id: (c.institution_id, c.discrepancy) for c in rows.scalars()}


async def _audits(hub: Hub, number: str) -> list[tuple[str, list[int]]]:
    async with hub.sessions() as session:
        rows = await session.execute(
            select(AuditEntry).where(col(AuditEntry.target) == f"handover:{number}").order_by(col(AuditEntry.id))
        )
        return [(a.action, sorted(a.retiree_ids or [])) for a in rows.scalars()]


def _receipt(people: list[Retiree], discrepant: Retiree | None = None) -> dict[str, Any]:
    results = []
    for p in people:
        if discrepant is not None and p.id == discrepant.id:
            results.append(
                {
                    "retiree_id": p.id,
                    "result": "discrepancy",
                    "discrepancy": "materials_incomplete",
                    "remarks": "缺医疗关系",
                }
            )
        else:
            results.append({"retiree_id": p.id, "result": "received"})
    return {"results": results}


async def test_3_1_3_3_a_batch_is_drafted_submitted_and_received_with_a_discrepancy_noted(
    registry_hub: Hub, api: Api
) -> None:
    s = await _setting(registry_hub)
    operator, viewer = await api.token(s.operator), await api.token(s.viewer)
    code = s.employer.code

    summary = (await api.call("GET", f"/api/v1/employers/{code}/handover-summary", operator)).json()
    assert summary == {
        "employer_code": code,
        "employer_name": s.employer.name,
        "total": 4,
        "handed_over": 0,
        "in_progress": 0,
        "not_handed_over": 4,
        "with_discrepancy": 0,
    }
    waiting = (await api.call("GET", f"/api/v1/employers/{code}/not-handed-over?size=2", operator)).json()
    assert waiting["total"] == 4 and len(waiting["items"]) == 2 and "*" in waiting["items"][0]["id_number"]
    everyone = (await api.call("GET", f"/api/v1/employers/{code}/not-handed-over", operator)).json()["items"]
    assert {p["retiree_id"] for p in everyone} == {p.id for p in s.people}  # not the moved-away one
    assert [p["deceased"] for p in everyone if p["retiree_id"] == s.people[-1].id] == [True]
    found = (await api.call("GET", f"/api/v1/employers?q={code}", operator)).json()
    assert [e["code"] for e in found] == [code]

    drafted = await api.call("POST", "/api/v1/handovers", operator, json=_body(s, s.people))
    assert drafted.status_code == 201, drafted.text
    batch = drafted.json()
    assert batch["state"] == "drafted" and batch["number"].startswith(f"YJ{calendar.today().year}-")
    assert batch["person_count"] == 4 and batch["employer_code"] == code and batch["agency_id"] == s.agency
    number = batch["number"]

    detail = (await api.call("GET", f"/api/v1/handovers/{batch['id']}", viewer)).json()
    assert [p["retiree_id"] for p in detail["people"]] == [p.id for p in s.people]
    assert [p["deceased"] for p in detail["people"]] == [False, False, False, True]
    assert detail["people"][0]["items_label"] == "退休审批表、档案正本" and detail["people"][0]["copies"] == 2
    assert detail["people"][0]["name"] == s.people[0].name and "*" in detail["people"][0]["id_number"]
    summary = (await api.call("GET", f"/api/v1/employers/{code}/handover-summary", operator)).json()
    assert (summary["in_progress"], summary["not_handed_over"]) == (4, 0)
    after = (await api.call("GET", f"/api/v1/employers/{code}/not-handed-over", operator)).json()
    assert after["total"] == 0

    async with registry_hub.sessions() as session, session.begin():  # died since the batch was drafted
        died = await session.get(Retiree, s.people[0].id)
        assert died is not None
        died.status = Status.DECEASED
    submitted = await api.call("POST", f"/api/v1/handovers/{batch['id']}/submit", operator)
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted", submitted.text
    flags = (await api.call("GET", f"/api/v1/handovers/{batch['id']}", viewer)).json()["people"]
    assert [p["deceased"] for p in flags] == [True, False, False, True]  # flagged again on submit
    again = await api.call("POST", f"/api/v1/handovers/{batch['id']}/submit", operator)
    assert again.status_code == 200 and again.json()["version"] == submitted.json()["version"]
    worklist = (await api.call("GET", "/api/v1/worklists", operator)).json()
    item = [i for i in worklist["todo"] if i["key"] == "handovers_waiting"]
    assert item and item[0]["count"] >= 1 and item[0]["query"] == {"state": "submitted"}
    listed = (await api.call("GET", f"/api/v1/handovers?state=submitted&employer_code={code}", operator)).json()
    assert [b["id"] for b in listed["items"]] == [batch["id"]] and listed["total"] == 1

    received = await api.call(
        "POST", f"/api/v1/handovers/{batch['id']}/receive", operator, json=_receipt(s.people, s.people[1])
    )
    assert received.status_code == 200 and received.json()["state"] == "received", received.text
    assert received.json()["received_on"] == calendar.today().isoformat()
    twice = await api.call("POST", f"/api/v1/handovers/{batch['id']}/receive", operator, json=_receipt(s.people))
    assert twice.status_code == 200 and twice.json()["version"] == received.json()["version"]

    custody = await _custody(registry_hub, [p.id for p in s.people])
    assert custody == {p.id: (s.agency, "materials_incomplete" if p is s.people[1] else None) for p in s.people if p.id}
    detail = (await api.call("GET", f"/api/v1/handovers/{batch['id']}", operator)).json()
    noted = [p for p in detail["people"] if p["result"] == "discrepancy"]
    assert [(p["retiree_id"], p["discrepancy_label"], p["receipt_remarks"]) for p in noted] == [
        (s.people[1].id, "材料不全", "缺医疗关系")
    ]
    summary = (await api.call("GET", f"/api/v1/employers/{code}/handover-summary", operator)).json()
    assert (summary["handed_over"], summary["in_progress"], summary["with_discrepancy"]) == (4, 0, 1)
    refused = await api.call("POST", f"/api/v1/handovers/{batch['id']}/submit", operator)
    assert refused.status_code == 409 and refused.json()["code"] == "HANDOVER_STATE"

    ids = sorted(p.id for p in s.people if p.id)
    audits = await _audits(registry_hub, number)
    steps = [a for a in audits if a[0] != "handover.view"]
    assert steps == [("handover.draft", ids), ("handover.submit", ids), ("handover.receive", ids)]

    timeline = (await api.call("GET", f"/api/v1/retirees/{s.people[1].id}/timeline", operator)).json()
    titles = [e["title"] for e in timeline["entries"] if e["kind"] == "archive_handover"]
    assert len(titles) == 2 and all(number in t for t in titles)
    assert "已接收档案" in titles[0] and "材料不全" in titles[0] and "提交" in titles[1]

    # A person handed over is refused in a new batch, and nothing is written
    before = await _batches(registry_hub, s.employer.id)
    refused = await api.call("POST", "/api/v1/handovers", operator, json=_body(s, s.people[:1]))
    assert refused.status_code == 409 and refused.json()["code"] == "HANDOVER_PERSON_HANDED_OVER"
    assert await _batches(registry_hub, s.employer.id) == before


async def test_3_3_a_returned_batch_is_edited_and_submitted_again(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    operator, city = await api.token(s.operator), await api.token(s.city)
    batch = (await api.call("POST", "/api/v1/handovers", city, json=_body(s, s.people))).json()
    url = f"/api/v1/handovers/{batch['id']}"
    assert (await api.call("POST", f"{url}/submit", city)).status_code == 200

    # submitted: not editable, returning needs a reason
    before = await _batches(registry_hub, s.employer.id)
    edit = await api.call("PUT", url, operator, json=_body(s, s.people[:2]))
    assert edit.status_code == 409 and edit.json()["code"] == "HANDOVER_NOT_EDITABLE"
    blank = await api.call("POST", f"{url}/return", operator, json={"reason": "   "})
    assert blank.status_code == 422 and blank.json()["code"] == "HANDOVER_REASON_REQUIRED"
    assert await _batches(registry_hub, s.employer.id) == before

    returned = await api.call("POST", f"{url}/return", operator, json={"reason": "花名册与档案不一致"})
    assert returned.status_code == 200 and returned.json()["state"] == "returned", returned.text
    assert returned.json()["return_reason"] == "花名册与档案不一致"
    again = await api.call("POST", f"{url}/return", operator, json={"reason": "再次退回"})
    assert again.status_code == 200 and again.json()["return_reason"] == "花名册与档案不一致"
    receive = await api.call("POST", f"{url}/receive", operator, json=_receipt(s.people))
    assert receive.status_code == 409 and receive.json()["code"] == "HANDOVER_STATE"

    # the people of a returned batch are still in it (open): a second batch cannot take them
    other = await api.call("POST", "/api/v1/handovers", operator, json=_body(s, s.people[:1]))
    assert other.status_code == 409 and other.json()["code"] == "HANDOVER_PERSON_IN_OPEN_BATCH"
    assert batch["number"] in other.json()["message"]

    stale = await api.call("PUT", url, operator, json={**_body(s, s.people[:2]), "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "HANDOVER_VERSION_CONFLICT"
    version = returned.json()["version"]
    edited = await api.call(
        "PUT", url, operator, json={**_body(s, s.people[:2], voucher_number="JF-2"), "version": version}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["person_count"] == 2 and edited.json()["voucher_number"] == "JF-2"
    # the person taken out is free for another batch again
    freed = (await api.call("GET", f"/api/v1/employers/{s.employer.code}/not-handed-over", operator)).json()
    assert {p["retiree_id"] for p in freed["items"]} == {p.id for p in s.people[2:]}

    assert (await api.call("POST", f"{url}/submit", operator)).json()["state"] == "submitted"
    incomplete = await api.call("POST", f"{url}/receive", operator, json=_receipt(s.people[:1]))
    assert incomplete.status_code == 422 and incomplete.json()["code"] == "HANDOVER_RESULTS_INCOMPLETE"
    uncoded = {"results": [{"retiree_id": p.id, "result": "discrepancy"} for p in s.people[:2]]}
    missing_code = await api.call("POST", f"{url}/receive", operator, json=uncoded)
    assert missing_code.status_code == 422 and missing_code.json()["code"] == "HANDOVER_DISCREPANCY_REQUIRED"
    assert await _custody(registry_hub, [p.id for p in s.people]) == {}
    done = await api.call("POST", f"{url}/receive", city, json=_receipt(s.people[:2]))
    assert done.status_code == 200 and done.json()["state"] == "received"
    assert set(await _custody(registry_hub, [p.id for p in s.people])) == {s.people[0].id, s.people[1].id}

    actions = [a for a, _ in await _audits(registry_hub, batch["number"]) if a != "handover.view"]
    assert actions == [
        "handover.draft",
        "handover.submit",
        "handover.return",
        "handover.edit",
        "handover.submit",
        "handover.receive",
    ]


async def test_3_1_refusals_change_nothing(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    operator, city = await api.token(s.operator), await api.token(s.city)
    cases: list[tuple[dict[str, Any], int, str]] = [
        (_body(s, [s.people[0], s.foreign]), 422, "HANDOVER_PERSON_NOT_OF_EMPLOYER"),
        (_body(s, [s.moved]), 422, "HANDOVER_PERSON_MOVED_AWAY"),
        (_body(s, s.people, agency_id=s.street), 422, "HANDOVER_AGENCY_INVALID"),
        (
            _body(s, s.people, voucher_date=(calendar.today() + timedelta(days=1)).isoformat()),
            422,
            "HANDOVER_VOUCHER_INVALID",
        ),
        (_body(s, s.people, voucher_number="  "), 422, "HANDOVER_VOUCHER_INVALID"),
        (_body(s, [s.people[0], s.people[0]]), 422, "HANDOVER_EMPTY"),
        (_body(s, s.people, employer_id=2**62), 404, "HANDOVER_EMPLOYER_NOT_FOUND"),
        (_body(s, s.people, voucher_amount="0"), 422, "INVALID_REQUEST"),
        (_body(s, []), 422, "INVALID_REQUEST"),
    ]
    for body, status, code in cases:
        answer = await api.call("POST", "/api/v1/handovers", city, json=body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (code, answer.text)
    assert await _batches(registry_hub, s.employer.id) == []

    # the same person in two batches: the second is refused
    first = await api.call("POST", "/api/v1/handovers", operator, json=_body(s, s.people[:2]))
    assert first.status_code == 201
    before = await _batches(registry_hub, s.employer.id)
    second = await api.call("POST", "/api/v1/handovers", operator, json=_body(s, s.people[1:]))
    assert second.status_code == 409 and second.json()["code"] == "HANDOVER_PERSON_IN_OPEN_BATCH"
    # an edit bringing in a person of the other employer is refused and leaves the batch as it was
    url = f"/api/v1/handovers/{first.json()['id']}"
    bad_edit = await api.call("PUT", url, operator, json=_body(s, [s.people[0], s.foreign]))
    assert bad_edit.status_code == 422 and bad_edit.json()["code"] == "HANDOVER_PERSON_NOT_OF_EMPLOYER"
    assert await _batches(registry_hub, s.employer.id) == before
    unknown = await api.call("GET", "/api/v1/handovers/9000000000000", operator)
    assert unknown.status_code == 404 and unknown.json()["code"] == "HANDOVER_NOT_FOUND"


async def test_3_1_scope_on_every_endpoint(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    operator, city = await api.token(s.operator), await api.token(s.city)
    stranger, community, viewer = await api.token(s.stranger), await api.token(s.community), await api.token(s.viewer)
    batch = (await api.call("POST", "/api/v1/handovers", operator, json=_body(s, s.people))).json()
    url = f"/api/v1/handovers/{batch['id']}"
    before = await _batches(registry_hub, s.employer.id)

    # another district's operator sees nothing of the batch and cannot act on it
    for method, path, body in [
        ("GET", url, None),
        ("PUT", url, _body(s, s.people[:1])),
        ("POST", f"{url}/submit", None),
        ("POST", f"{url}/return", {"reason": "不符"}),
        ("POST", f"{url}/receive", _receipt(s.people)),
        ("GET", f"{url}/roster.pdf", None),
        ("GET", f"{url}/roster.xlsx", None),
    ]:
        answer = await api.call(method, path, stranger, json=body)
        assert answer.status_code == 404 and answer.json()["code"] == "HANDOVER_NOT_FOUND", (method, path)
    listed = (await api.call("GET", f"/api/v1/handovers?employer_code={s.employer.code}", stranger)).json()
    assert listed["total"] == 0
    mine = (await api.call("GET", f"/api/v1/handovers?employer_code={s.employer.code}", operator)).json()
    city_list = (await api.call("GET", f"/api/v1/handovers?employer_code={s.employer.code}", city)).json()
    assert mine["total"] == city_list["total"] == 1
    # nor may it draft for this agency
    foreign = await api.call("POST", "/api/v1/handovers", stranger, json=_body(s, s.people))
    assert foreign.status_code == 403 and foreign.json()["code"] == "HANDOVER_AGENCY_ONLY"

    # a community's staff do no employer hand-over work at all
    code = s.employer.code
    for method, path in [
        ("GET", f"/api/v1/employers/{code}/not-handed-over"),
        ("GET", f"/api/v1/employers/{code}/handover-summary"),
        ("GET", f"/api/v1/employers?q={code}"),
    ]:
        answer = await api.call(method, path, community)
        assert answer.status_code == 403 and answer.json()["code"] == "HANDOVER_AGENCY_ONLY", path
    assert (await api.call("POST", "/api/v1/handovers", community, json=_body(s, s.people))).status_code == 403
    assert (await api.call("GET", url, community)).status_code == 404

    # a viewer reads but does not act
    assert (await api.call("GET", url, viewer)).status_code == 200
    for method, path, body in [
        ("POST", "/api/v1/handovers", _body(s, s.people)),
        ("PUT", url, _body(s, s.people[:1])),
        ("POST", f"{url}/submit", None),
    ]:
        answer = await api.call(method, path, viewer, json=body)
        assert answer.status_code == 403 and answer.json()["code"] == "PERMISSION_DENIED", path
    assert await _batches(registry_hub, s.employer.id) == before
    unknown = await api.call("GET", "/api/v1/employers/NOPE-0/handover-summary", operator)
    assert unknown.status_code == 404 and unknown.json()["code"] == "HANDOVER_EMPLOYER_NOT_FOUND"


async def test_3_1_the_not_handed_over_list_masks_people_managed_outside_the_callers_subtree(
    registry_hub: Hub, api: Api
) -> None:
    s = await _setting(registry_hub, count=1)
    async with registry_hub.sessions() as session, session.begin():
        elsewhere = await factories.tree(session)
        outsider = await factories.retiree(session, elsewhere.communities[0], name="欧阳建国")
        outsider.employer_code = s.employer.code
        outsider_id = outsider.id
    path = f"/api/v1/employers/{s.employer.code}/not-handed-over?size=100"
    for user, expected in [(s.operator, "欧***"), (s.city, "欧阳建国")]:
        listed = (await api.call("GET", path, await api.token(user))).json()["items"]
        names = {p["retiree_id"]: p["name"] for p in listed}
        assert names[outsider_id] == expected and names[s.people[0].id] == s.people[0].name


async def test_3_2_the_roster_as_pdf_and_xlsx_matches_the_batch(registry_hub: Hub, api: Api) -> None:
    s = await _setting(registry_hub)
    operator = await api.token(s.operator)
    batch = (await api.call("POST", "/api/v1/handovers", operator, json=_body(s, s.people))).json()
    url = f"/api/v1/handovers/{batch['id']}"
    await api.call("POST", f"{url}/submit", operator)
    await api.call("POST", f"{url}/receive", operator, json=_receipt(s.people, s.people[0]))

    pdf = await api.call("GET", f"{url}/roster.pdf", operator)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert "filename*=UTF-8''" in pdf.headers["content-disposition"]
    text = extract_text(io.BytesIO(pdf.content))
    flat = "".join(text.split())
    assert "退休人员档案移交花名册" in flat and batch["number"] in flat and s.employer.name in flat
    assert "JF20261127001" in flat and "移交单位经办人" in flat and "接收经办机构经办人" in flat
    for p in s.people:
        assert p.personal_number in flat and p.id_number not in flat
    assert "材料不全" in flat and "已故" in flat

    xlsx = await api.call("GET", f"{url}/roster.xlsx", operator)
    assert xlsx.status_code == 200, xlsx.text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    assert rows[header][:10] == (
        ["序号", "个人编号", "姓名", "性别", "身份证号", "出生日期", "退休日期", "移交材料", "份数", "接收结果/备注"]
    )
    body = [r for r in rows[header + 1 :] if r and isinstance(r[0], int | float)]
    assert [r[1] for r in body] == [p.personal_number for p in s.people]
    assert [r[2] for r in body] == [p.name for p in s.people]
    assert all("*" in str(r[4]) for r in body) and body[0][7] == "退休审批表、档案正本" and body[0][8] == 2
    assert "材料不全" in str(body[0][9]) and "已故" in str(body[-1][9])
    assert any(batch["number"] in str(c) for r in rows[:header] for c in r if c)

    async with registry_hub.sessions() as session:
        printed = await session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(col(AuditEntry.action) == "document.printed")
            .where(col(AuditEntry.detail)["subject"]["handover"].astext == batch["number"])
        )
        assert printed.scalar_one() == 2
