"""5.1 special ledgers (业务台账) through the staff API over real PostgreSQL: the eight ledgers' counts over the
caller's scope (1.3), 高龄 computed from the birth date and the city's today against the ``aged_ledger_age``
parameter (the boundary day, 29 February), the other seven from the special categories of 4.2; the lists masked,
paged and sorted; the ledgers exported (XLSX) and printed (PDF) with the same rows, each print audited."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from pdfminer.high_level import extract_text
from sqlalchemy import select
from sqlmodel import col

from channels.printing import PrintFormat
from channels.printing import response as printing_response
from domain.audit.models import AuditEntry
from domain.dictionary import service as dictionary
from domain.institutions.models import Institution
from domain.ledgers import service as ledgers
from domain.ledgers.models import Ledger, aged_cutoff
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree, SupplementaryInfo
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.masking import mask_id_number, mask_phone
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

LEDGERS = "/api/v1/ledgers"


async def _person(
    session: Any,
    community: Institution,
    name: str,
    birth: date,
    *,
    status: Status = Status.REGISTERED,
    categories: list[str] | None = None,
) -> Retiree:
    person = await factories.retiree(session, community, status=status, name=name, birth=birth)
    if categories is not None:
        assert person.id is not None
        session.add(SupplementaryInfo(retiree_id=person.id, special_categories=categories, recorded_by="test"))
        await session.flush()
    return person


@pytest.fixture
async def district(registry_hub: Hub) -> dict[str, Any]:
    """Street 0's first community: 甲 (75 today), 乙 (75 tomorrow), 丁 (劳模、工残, transferring out), 戊 (劳模, dead);
    street 1's last community: 丙 (86, suspended, 劳模、党员), 己 (重病). Another district: 庚 (劳模, 90)."""
    today = calendar.today()
    cutoff = aged_cutoff(today, 75)
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        first, last = tree.communities[0], tree.communities[3]
        people = {
            "甲": await _person(session, first, "甲老人", cutoff),
            "乙": await _person(session, first, "乙老人", cutoff + timedelta(days=1)),
            "丁": await _person(
                session, first, "丁老人", date(1960, 4, 4), status=Status.TRANSFERRING_OUT, categories=["01", "04"]
            ),
            "戊": await _person(session, first, "戊老人", date(1930, 1, 1), status=Status.DECEASED, categories=["04"]),
            "丙": await _person(
                session, last, "丙老人", date(1940, 6, 6), status=Status.SUSPENDED, categories=["04", "08", "04"]
            ),
            "己": await _person(session, last, "己老人", date(1955, 5, 5), categories=["05"]),
        }
        other = await factories.tree(session)
        people["庚"] = await _person(session, other.communities[0], "庚老人", date(1936, 1, 1), categories=["04"])
        return {
            "tree": tree,
            "other": other,
            "people": people,
            "district_operator": (await factories.account(session, tree.district, "operator")).username,
            "community_viewer": (await factories.account(session, first, "viewer")).username,
            "auditor": (await factories.account(session, tree.district, "auditor")).username,
        }


async def _get(api: Api, user: str, path: str) -> Any:
    answer = await api.call("GET", path, await api.token(user))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _counts(summary: dict[str, Any]) -> dict[str, int]:
    return {row["ledger"]: row["count"] for row in summary["ledgers"]}


async def _names(api: Api, user: str, ledger: str, query: str = "") -> list[str]:
    page = await _get(api, user, f"{LEDGERS}/{ledger}?size=200{query}")
    assert page["total"] == len(page["items"])
    return [item["name"] for item in page["items"]]


async def test_5_1_summary_counts_the_eight_ledgers_over_the_callers_scope(api: Api, district: dict[str, Any]) -> None:
    summary = await _get(api, district["district_operator"], LEDGERS)
    assert [row["label"] for row in summary["ledgers"]] == [
        "工残",
        "孤寡",
        "高龄",
        "劳模",
        "重病",
        "特困",
        "军转",
        "党员",
    ]
    assert summary["scope_name"] == district["tree"].district.name
    assert summary["aged_age"] == 75 and summary["on"] == calendar.today().isoformat()
    assert _counts(summary) == {
        "disabled": 1,
        "widowed": 0,
        "aged": 2,  # 甲 (75 today) and 丙; not 乙 (75 tomorrow), not 戊 (dead)
        "model_worker": 2,  # 丁 and 丙 (entered twice, counted once); not 戊 (dead), not 庚 (another district)
        "serious_illness": 1,
        "extreme_poverty": 0,
        "veteran": 0,
        "party_member": 1,
    }
    aged = next(row for row in summary["ledgers"] if row["ledger"] == "aged")
    assert aged["computed"] and aged["category_code"] == "03"
    community = _counts(await _get(api, district["community_viewer"], LEDGERS))
    assert (community["aged"], community["model_worker"], community["party_member"]) == (1, 1, 0)


async def test_5_1_aged_from_the_75th_birthday_on_not_the_day_before(api: Api, district: dict[str, Any]) -> None:
    assert await _names(api, district["district_operator"], "aged") == sorted(
        ["甲老人", "丙老人"],
        key=lambda name: next(p for p in district["people"].values() if p.name == name).personal_number,
    )
    page = await _get(api, district["district_operator"], f"{LEDGERS}/aged?sort=-birth_date")
    first = page["items"][0]
    assert first["name"] == "甲老人" and first["age"] == 75
    assert first["since"] == calendar.today().isoformat()  # came of age today
    assert page["since_label"] == "满龄日期"


async def test_5_1_aged_born_on_29_february(registry_hub: Hub) -> None:
    """Born 29 February 1952: 75 on 1 March 2027 (no 29 February that year), not on 28 February; 76 on 29 February
    2028."""
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        await _person(session, tree.communities[0], "闰日老人", date(1952, 2, 29))
        actor = Actor(name="t", kind="staff", role="viewer", institution_path=tree.district.path)
        for today, expected in ((date(2027, 2, 28), 0), (date(2027, 3, 1), 1), (date(2028, 2, 29), 1)):
            result = await ledgers.page(session, actor, Ledger.AGED, today=today)
            assert result.total == expected, today
            summary = await ledgers.summary(session, actor, today=today)
            assert summary.counts[Ledger.AGED] == expected
        assert (await ledgers.page(session, actor, Ledger.AGED, today=date(2027, 3, 1))).items[0].age == 75
        # born 1 March 1953, on 29 February 2028 (a leap day) they are 74: not yet
        await _person(session, tree.communities[0], "三月老人", date(1953, 3, 1))
        assert (await ledgers.page(session, actor, Ledger.AGED, today=date(2028, 2, 29))).total == 1
        assert (await ledgers.page(session, actor, Ledger.AGED, today=date(2028, 3, 1))).total == 2


async def test_5_1_the_aged_age_is_a_parameter(api: Api, registry_hub: Hub, district: dict[str, Any]) -> None:
    headers = await api.token(district["district_operator"])
    async with registry_hub.sessions() as session, session.begin():
        await dictionary.set_parameter(session, factories.SETUP, "aged_ledger_age", "80")
    try:
        summary = (await api.call("GET", LEDGERS, headers)).json()
        page = (await api.call("GET", f"{LEDGERS}/aged", headers)).json()
    finally:
        async with registry_hub.sessions() as session, session.begin():
            await dictionary.set_parameter(session, factories.SETUP, "aged_ledger_age", "75")
    assert summary["aged_age"] == 80 and _counts(summary)["aged"] == 1
    assert [item["name"] for item in page["items"]] == ["丙老人"]


async def test_5_1_special_category_ledgers_and_their_filters(api: Api, district: dict[str, Any]) -> None:
    user = district["district_operator"]
    assert sorted(await _names(api, user, "model_worker")) == ["丁老人", "丙老人"]
    assert await _names(api, user, "disabled") == ["丁老人"]
    assert await _names(api, user, "party_member") == ["丙老人"]
    assert await _names(api, user, "serious_illness") == ["己老人"]
    assert await _names(api, user, "widowed") == []
    street1 = district["tree"].streets[1].id
    assert await _names(api, user, "model_worker", f"&institution_id={street1}") == ["丙老人"]
    summary = await _get(api, user, f"{LEDGERS}?institution_id={street1}")
    assert summary["scope_name"] == district["tree"].streets[1].name and _counts(summary)["model_worker"] == 1
    page = await _get(api, user, f"{LEDGERS}/model_worker?sort=-birth_date")
    assert [item["name"] for item in page["items"]] == ["丁老人", "丙老人"]
    assert page["items"][1]["status_label"] == "已暂停" and page["items"][0]["since"] == calendar.today().isoformat()
    paged = await _get(api, user, f"{LEDGERS}/model_worker?size=1&page=2&sort=-birth_date")
    assert (paged["total"], [item["name"] for item in paged["items"]]) == (2, ["丙老人"])


async def test_5_1_lists_are_masked(api: Api, district: dict[str, Any]) -> None:
    person = district["people"]["丙"]
    (item,) = (await _get(api, district["district_operator"], f"{LEDGERS}/party_member"))["items"]
    assert item["id_number"] == mask_id_number(person.id_number) != person.id_number
    assert item["phone"] == mask_phone(person.phone) == "138****2345"
    assert item["personal_number"] == person.personal_number


@pytest.mark.parametrize("path", ["", "/aged", "/model_worker.xlsx", "/aged.pdf"])
async def test_5_1_scope_another_districts_institution_is_refused(
    api: Api, district: dict[str, Any], path: str
) -> None:
    other = district["other"].district.id
    answer = await api.call(
        "GET", f"{LEDGERS}{path}?institution_id={other}", await api.token(district["district_operator"])
    )
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("path", ["", "/aged", "/model_worker.xlsx", "/aged.pdf"])
async def test_5_1_ledgers_need_the_right_to_read_the_registry(api: Api, district: dict[str, Any], path: str) -> None:
    answer = await api.call("GET", f"{LEDGERS}{path}", await api.token(district["auditor"]))
    assert answer.status_code == 403
    assert answer.json()["code"] == "PERMISSION_DENIED"


async def test_5_1_an_unknown_ledger_or_sort_is_refused(api: Api, district: dict[str, Any]) -> None:
    headers = await api.token(district["district_operator"])
    assert (await api.call("GET", f"{LEDGERS}/nobody", headers)).status_code == 422
    assert (await api.call("GET", f"{LEDGERS}/aged?sort=id_number", headers)).status_code == 422
    assert (await api.call("GET", f"{LEDGERS}/aged.doc", headers)).status_code == 422


async def _print_entries(registry_hub: Hub, username: str, ledger: str) -> list[AuditEntry]:
    async with registry_hub.sessions() as session:
        found = await session.execute(
            select(AuditEntry)
            .where(col(AuditEntry.action) == "document.printed", col(AuditEntry.actor) == username)
            .where(col(AuditEntry.detail)["subject"]["ledger"].astext == ledger)
            .order_by(col(AuditEntry.id))
        )
        return list(found.scalars().all())


async def test_5_1_the_xlsx_export_holds_the_lists_rows_and_is_audited(
    api: Api, registry_hub: Hub, district: dict[str, Any]
) -> None:
    user = district["district_operator"]
    listed = (await _get(api, user, f"{LEDGERS}/model_worker?size=200"))["items"]
    answer = await api.call("GET", f"{LEDGERS}/model_worker.xlsx", await api.token(user))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "劳动模范台账"
    header = [cell.value for cell in sheet[4]]
    assert header[:5] == ["序号", "个人编号", "姓名", "性别", "身份证号"] and header[-1] == "类别登记日期"
    rows = [row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0] is not None]
    assert [(row[0], row[1], row[2], row[4], row[7]) for row in rows] == [
        (n, item["personal_number"], item["name"], item["id_number"], item["phone"])
        for n, item in enumerate(listed, start=1)
    ]
    (entry,) = await _print_entries(registry_hub, user, "model_worker")
    assert entry.detail["format"] == "xlsx" and entry.detail["rows"] == 2
    assert entry.detail["subject"]["scope_path"] == district["tree"].district.path


async def test_5_1_the_pdf_print_holds_the_lists_rows_and_is_audited(
    api: Api, registry_hub: Hub, district: dict[str, Any]
) -> None:
    user = district["community_viewer"]
    listed = (await _get(api, user, f"{LEDGERS}/aged?size=200"))["items"]
    answer = await api.call("GET", f"{LEDGERS}/aged.pdf", await api.token(user))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    text = extract_text(io.BytesIO(answer.content))
    lines = {line.strip() for line in text.splitlines()}
    assert "高龄老人台账" in lines and "第 1 页 共 1 页" in lines
    assert any(line.startswith("年龄 75 周岁及以上") for line in lines)
    assert district["tree"].communities[0].name in text
    for item in listed:
        for value in (item["personal_number"], item["name"], item["id_number"], item["birth_date"], item["phone"]):
            assert value in text
    assert district["people"]["甲"].id_number not in text  # masked on paper too
    (entry,) = await _print_entries(registry_hub, user, "aged")
    assert entry.detail["format"] == "pdf" and entry.detail["rows"] == len(listed) == 1
    assert entry.detail["subject"]["aged_age"] == 75


async def test_5_1_a_ledger_larger_than_one_document_is_refused_with_a_hint(
    api: Api, registry_hub: Hub, district: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Printing more rows than a document takes (a city-wide 高龄 ledger) is refused before anything is rendered:
    narrow the scope to a sub-institution; nothing is audited."""
    monkeypatch.setitem(printing_response.MAX_ROWS, PrintFormat.PDF, 1)
    user = district["district_operator"]
    answer = await api.call("GET", f"{LEDGERS}/model_worker.pdf", await api.token(user))
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "PRINT_TOO_LARGE" and "缩小范围" in answer.json()["message"]
    assert await _print_entries(registry_hub, user, "model_worker") == []
    street1 = district["tree"].streets[1].id
    narrowed = await api.call("GET", f"{LEDGERS}/model_worker.pdf?institution_id={street1}", await api.token(user))
    assert narrowed.status_code == 200, narrowed.text
