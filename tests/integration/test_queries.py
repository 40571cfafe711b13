"""Issue 18: the queries of section 6 through the staff API over real PostgreSQL — the catalogue, filters refused
with the filter named, sorting and paging, scope (1.3), as of a past date, the XLSX export masked by default and
audited. Data are made by the real command path (status_log.apply), not inserted rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlmodel import col

from domain.audit.models import AuditEntry
from domain.dictionary.codes import ReasonCode
from domain.institutions.models import Institution
from domain.retirees.lifecycle import RecordDeath, Suspend
from domain.retirees.models import Retiree
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


@dataclass
class Setting:
    tree: factories.Tree
    surname: str  # every person of the setting has a name starting with it (unique per test)
    active: list[Retiree]
    suspended: Retiree  # suspended on 2026-10-01
    deceased: Retiree
    elsewhere: Retiree  # registered in another street's community
    district_operator: str
    community_viewer: str  # of communities[0]
    outsider: str  # viewer of communities[3], where nobody of the setting lives... except `elsewhere`


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
async def setting(registry_hub: Hub) -> Setting:
    surname = "测" + uuid.uuid4().hex[:4]
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        home = tree.communities[0]
        births = [date(1950, 12, 28), date(1952, 1, 3), date(1955, 6, 15)]
        active = [await factories.retiree(session, home, name=f"{surname}{n}", birth=b) for n, b in enumerate(births)]
        suspended = await factories.retiree(session, home, name=f"{surname}停", birth=date(1951, 12, 31))
        deceased = await factories.retiree(session, home, name=f"{surname}故", birth=date(1949, 1, 1))
        elsewhere = await factories.retiree(session, tree.communities[3], name=f"{surname}外", birth=date(1953, 1, 2))
        result = Setting(
            tree,
            surname,
            active,
            suspended,
            deceased,
            elsewhere,
            (await factories.account(session, tree.district, "operator")).username,
            (await factories.account(session, home, "viewer")).username,
            (await factories.account(session, tree.communities[3], "viewer")).username,
        )
        for person in (*active, suspended, deceased, elsewhere):
            session.expunge(person)
    await _apply(registry_hub, suspended, Suspend(ReasonCode.SUSPENDED_BY_STAFF), date(2026, 10, 1))
    await _apply(registry_hub, deceased, RecordDeath(date(2026, 9, 1)), date(2026, 9, 1))
    return result


_TOKENS: dict[str, dict[str, str]] = {}  # one login per account: logins are rate-limited, the catalogue is long


async def _run(api: Api, user: str, path: str) -> Any:
    if user not in _TOKENS:
        _TOKENS[user] = await api.token(user)
    answer = await api.call("GET", path, _TOKENS[user])
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_18_the_catalogue_lists_each_query_with_its_filters_and_columns(api: Api, setting: Setting) -> None:
    catalogue = await _run(api, setting.community_viewer, "/api/v1/queries")
    by_id = {q["id"]: q for q in catalogue["queries"]}
    assert {"6.3", "6.12", "6.22"} <= set(by_id)
    assert by_id["6.3"]["as_of"] is True and by_id["6.22"]["as_of"] is False
    assert {f["key"] for f in by_id["6.12"]["filters"]} >= {"from", "to", "institution_id"}
    assert catalogue["may_export_unmasked"] is False  # a community viewer


async def test_6_3_lists_the_registered_and_active_only_by_default(api: Api, setting: Setting) -> None:
    found = await _run(api, setting.district_operator, f"/api/v1/queries/6.3?name={setting.surname}")
    names = [row["name"] for row in found["items"]]
    assert sorted(names) == sorted(p.name for p in (*setting.active, setting.elsewhere))  # not suspended, deceased
    assert found["total"] == 4
    where = {row["name"]: row["institution"] for row in found["items"]}
    assert where[setting.active[0].name] == setting.tree.communities[0].name
    assert where[setting.elsewhere.name] == setting.tree.communities[3].name
    assert all("*" in row["id_number"] for row in found["items"])


async def test_6_3_as_of_a_past_date_lists_who_was_registered_then(api: Api, setting: Setting) -> None:
    """The suspended person was registered until 30 September; the deceased until 31 August."""
    path = f"/api/v1/queries/6.3?name={setting.surname}&institution_id={setting.tree.communities[0].id}"
    on_date = await _run(api, setting.community_viewer, path + "&on=2026-08-31")
    assert on_date["total"] == 5 and on_date["on"] == "2026-08-31"
    assert (await _run(api, setting.community_viewer, path + "&on=2026-09-30"))["total"] == 4
    assert (await _run(api, setting.community_viewer, path + "&on=2026-10-01"))["total"] == 3
    assert (await _run(api, setting.community_viewer, path))["total"] == 3


async def test_6_3_is_limited_to_the_callers_scope(api: Api, setting: Setting) -> None:
    mine = await _run(api, setting.outsider, f"/api/v1/queries/6.3?name={setting.surname}")
    assert [row["name"] for row in mine["items"]] == [setting.elsewhere.name]
    other = setting.tree.communities[0].id
    answer = await api.call("GET", f"/api/v1/queries/6.3?institution_id={other}", await api.token(setting.outsider))
    assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"


async def test_6_3_sorts_and_pages_in_the_database(api: Api, setting: Setting) -> None:
    path = f"/api/v1/queries/6.3?name={setting.surname}&sort=-birth_date&size=2"
    first = await _run(api, setting.district_operator, path)
    second = await _run(api, setting.district_operator, path + "&page=2")
    births = [row["birth_date"] for row in first["items"] + second["items"]]
    assert births == sorted(births, reverse=True) and len(births) == 4


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("6.3?colour=red", "colour", "QUERY_FILTER_INVALID"),
        ("6.3?sex=3", "sex", "QUERY_FILTER_INVALID"),
        ("6.3?sort=phone", "sort", "QUERY_SORT_INVALID"),
        ("6.12?from=02-30", "from", "QUERY_FILTER_INVALID"),
        ("6.12", "from", "QUERY_FILTER_INVALID"),
        ("6.22?on=2026-01-01", "on", "QUERY_FILTER_INVALID"),
        ("6.3?on=2999-01-01", "on", "REPORT_DATE_OUT_OF_RANGE"),
    ],
)
async def test_18_a_bad_filter_is_refused_naming_it(
    api: Api, setting: Setting, query: str, field: str, code: str
) -> None:
    answer = await api.call("GET", f"/api/v1/queries/{query}", await api.token(setting.community_viewer))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == code and body["detail"].get("field") == field and body["message"]


async def test_18_an_unknown_query_is_not_found(api: Api, setting: Setting) -> None:
    answer = await api.call("GET", "/api/v1/queries/6.99", await api.token(setting.community_viewer))
    assert answer.status_code == 404 and answer.json()["code"] == "QUERY_NOT_FOUND"


async def test_6_12_birthdays_across_the_new_year(api: Api, setting: Setting) -> None:
    found = await _run(
        api, setting.district_operator, f"/api/v1/queries/6.12?from=12-28&to=01-03&name={setting.surname}"
    )
    # 12-28, 12-31 (suspended: still managed), 01-02 (elsewhere), 01-03; not the deceased (01-01)
    assert [row["birthday"] for row in found["items"]] == ["01-02", "01-03", "12-28", "12-31"]
    one_day = await _run(api, setting.district_operator, f"/api/v1/queries/6.12?from=06-15&name={setting.surname}")
    assert [row["name"] for row in one_day["items"]] == [setting.active[2].name]


async def test_6_22_status_changes_across_retirees_with_the_provinces_sync_state(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    base = f"/api/v1/queries/6.22?name={setting.surname}"
    everything = await _run(api, setting.district_operator, base)
    kinds = {(row["name"], row["kind"]) for row in everything["items"]}
    assert {(setting.suspended.name, "暂停发放"), (setting.deceased.name, "死亡减员")} <= kinds
    waiting = await _run(api, setting.district_operator, base + "&sync_state=unacknowledged&kind=suspended")
    assert [row["name"] for row in waiting["items"]] == [setting.suspended.name]
    assert waiting["items"][0]["sync_state"] == "待上报省平台" and waiting["items"][0]["entry_id"].startswith("SCL-")
    async with registry_hub.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE status_change SET sync_state = 'acknowledged', receipt_no = 'R1' WHERE retiree_id = :id"),
            {"id": setting.suspended.id},
        )
    waiting = await _run(api, setting.district_operator, base + "&sync_state=unacknowledged&kind=suspended")
    assert waiting["total"] == 0
    in_period = await _run(api, setting.district_operator, base + "&from=2026-09-15&to=2026-10-15")
    assert {row["name"] for row in in_period["items"]} == {setting.suspended.name}
    assert (await _run(api, setting.outsider, base))["total"] == 0


async def _export_entry(hub: Hub, username: str) -> AuditEntry:
    async with hub.sessions() as session:
        query = (
            select(AuditEntry)
            .where(col(AuditEntry.action) == "document.printed", col(AuditEntry.actor) == username)
            .order_by(col(AuditEntry.id).desc())
            .limit(1)
        )
        entry = (await session.execute(query)).scalar_one()
        return entry


async def test_18_the_export_streams_every_row_masked_and_is_audited(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    path = f"/api/v1/queries/6.3.xlsx?name={setting.surname}&sort=name"
    answer = await api.call("GET", path, await api.token(setting.district_operator))
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    body = [row for row in rows[header + 1 :] if row and isinstance(row[0], int)]
    assert [row[2] for row in body] == sorted(p.name for p in (*setting.active, setting.elsewhere))
    id_column = rows[header].index("身份证号")
    assert all("*" in str(row[id_column]) for row in body)
    entry = await _export_entry(registry_hub, setting.district_operator)
    assert entry.detail["subject"]["query"] == "6.3" and entry.detail["subject"]["masked"] is True
    assert entry.detail["subject"]["people"] == 4 and entry.detail["rows"] == 4


async def test_18_full_values_only_for_city_and_district_operators(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    path = f"/api/v1/queries/6.3.xlsx?name={setting.surname}&unmasked=true"
    refused = await api.call("GET", path, await api.token(setting.community_viewer))
    assert refused.status_code == 403 and refused.json()["code"] == "EXPORT_UNMASKED_REFUSED"
    answer = await api.call("GET", path, await api.token(setting.district_operator))
    assert answer.status_code == 200
    sheet = load_workbook(BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    values = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert setting.active[0].id_number in values
    entry = await _export_entry(registry_hub, setting.district_operator)
    assert entry.detail["subject"]["masked"] is False


async def test_18_every_catalogued_query_runs_for_a_community_and_sees_nothing_outside(
    api: Api, registry_hub: Hub, setting: Setting
) -> None:
    """Scope on every query: from a community with nobody of the setting, each query answers, and names none of
    the setting's people (the filters each needs are given their first choice or a value; text filters the
    setting's surname)."""
    async with registry_hub.sessions() as session, session.begin():
        empty = await session.get(Institution, setting.tree.communities[1].id)
        assert empty is not None
        viewer = (await factories.account(session, empty, "viewer")).username
    catalogue = await _run(api, viewer, "/api/v1/queries")
    for query in catalogue["queries"]:
        params = {"month_day": "01-01", "date": "2026-01-01", "year": "2026", "text": setting.surname}
        given = []
        for f in query["filters"]:
            if f["kind"] == "choice" and f["required"]:
                given.append(f"{f['key']}={f['choices'][0]['value']}")
            elif f["kind"] in params and (f["required"] or f["kind"] == "text"):
                given.append(f"{f['key']}={params[f['kind']]}")
        found = await _run(api, viewer, f"/api/v1/queries/{query['id']}?{'&'.join(given)}&size=200")
        named = [row for row in found["items"] if str(row.get("name", "")).startswith(setting.surname)]
        assert named == [], (query["id"], named[:3])
