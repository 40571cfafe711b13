"""7.2 retiree distribution (退休人员分布情况统计), through the staff API over real PostgreSQL: figures per managing
institution and per insuring agency, split city-insured / county-insured, by status, sex and age band; limited to
the caller's subtree (1.3); printable as an XLSX sheet."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.dictionary import service as dictionary
from domain.dictionary.codes import ReasonCode
from domain.institutions import service as institutions
from domain.retirees.lifecycle import Status, Suspend
from domain.shared.errors import DomainError
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

ON = "2026-11-22"
REPORT = f"/api/v1/reports/retiree-distribution?on={ON}"


@pytest.fixture
async def district(registry_hub: Hub) -> dict[str, Any]:
    """A district of two streets: street 0 manages three people, street 1 one (and one who died, not counted)."""
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        first, other = tree.communities[0], tree.communities[3]
        people = [
            (first, Status.REGISTERED, "1", date(1950, 3, 1), "130100"),  # 76: 70—79, city-insured
            (first, Status.REGISTERED, "2", date(1960, 5, 5), "130102"),  # 66: 60—69
            (first, Status.SUSPENDED, "1", date(1935, 1, 1), "130102"),  # 91: 90 and over
            (other, Status.TRANSFERRING_OUT, "2", date(1970, 6, 1), "130104"),  # 56: under 60
            (other, Status.DECEASED, "1", date(1940, 1, 1), "130104"),
        ]
        for community, status, sex, birth, agency in people:
            await factories.retiree(session, community, status=status, sex=sex, birth=birth, agency=agency)
        await factories.retiree(session, None, agency="130102")  # approved, not registered anywhere
        return {
            "tree": tree,
            "district_operator": (await factories.account(session, tree.district, "operator")).username,
            "community_viewer": (await factories.account(session, other, "viewer")).username,
            "city_operator": (await factories.account(session, tree.city, "operator")).username,
            "auditor": (await factories.account(session, tree.district, "auditor")).username,
        }


def _figures(counts: dict[str, Any]) -> tuple[Any, ...]:
    return (
        counts["total"],
        counts["city_insured"],
        counts["county_insured"],
        counts["by_status"],
        counts["male"],
        counts["female"],
        counts["by_age_band"],
    )


async def test_7_2_counts_each_street_by_insurance_level_status_sex_and_age(api: Api, district: dict[str, Any]) -> None:
    tree = district["tree"]
    answer = await api.call("GET", REPORT, await api.token(district["district_operator"]))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["title"] == "退休人员分布情况统计表"
    assert report["scope_name"] == tree.district.name
    assert report["age_bands"] == ["60岁以下", "60—69岁", "70—79岁", "80—89岁", "90岁及以上"]
    rows = {row["name"]: row["counts"] for row in report["by_institution"]}
    assert sorted(rows) == sorted(street.name for street in tree.streets)  # every street, none from elsewhere
    street0 = {"registered": 2, "suspended": 1, "transferring_out": 0}
    assert _figures(rows[tree.streets[0].name]) == (3, 1, 2, street0, 2, 1, [0, 1, 1, 0, 1])
    street1 = {"registered": 0, "suspended": 0, "transferring_out": 1}
    assert _figures(rows[tree.streets[1].name]) == (1, 0, 1, street1, 0, 1, [1, 0, 0, 0, 0])
    total = {"registered": 2, "suspended": 1, "transferring_out": 1}
    assert _figures(report["total"]) == (4, 1, 3, total, 2, 2, [1, 1, 1, 0, 1])
    agencies = [(row["code"], row["name"], row["counts"]["total"]) for row in report["by_agency"]]
    assert agencies == [("130100", "石家庄市本级", 1), ("130102", "长安区", 2), ("130104", "桥西区", 1)]


async def test_7_2_a_community_sees_only_its_own_people(api: Api, district: dict[str, Any]) -> None:
    """1.3: a community has no institutions below it; its own people form the one row 本级直管."""
    answer = await api.call("GET", REPORT, await api.token(district["community_viewer"]))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert [(row["name"], row["counts"]["total"]) for row in report["by_institution"]] == [("本级直管", 1)]
    assert report["total"]["total"] == 1


async def test_7_2_the_city_sees_each_district_and_the_people_not_yet_registered(
    api: Api, district: dict[str, Any]
) -> None:
    tree = district["tree"]
    report = (await api.call("GET", REPORT, await api.token(district["city_operator"]))).json()
    rows = {row["code"] or row["name"]: row["counts"] for row in report["by_institution"]}
    assert rows[tree.district.code]["total"] == 4
    unregistered = rows["已核准未登记（尚无所属机构）"]
    assert unregistered["by_status"]["approved"] == unregistered["total"] >= 1
    assert report["total"]["total"] == sum(row["total"] for row in rows.values())
    assert report["total"]["total"] == report["total"]["city_insured"] + report["total"]["county_insured"]
    assert report["total"]["total"] == sum(row["counts"]["total"] for row in report["by_agency"])


async def test_7_2_which_agencies_count_as_city_insured_is_a_parameter(
    api: Api, registry_hub: Hub, district: dict[str, Any]
) -> None:
    """1.4: the city-level agency codes are a business parameter, not code."""
    headers = await api.token(district["district_operator"])
    async with registry_hub.sessions() as session, session.begin():
        await dictionary.set_parameter(session, factories.SETUP, "city_insuring_agency_codes", "130100,130102")
    try:
        report = (await api.call("GET", REPORT, headers)).json()
    finally:
        async with registry_hub.sessions() as session, session.begin():
            await dictionary.set_parameter(session, factories.SETUP, "city_insuring_agency_codes", "130100")
    assert (report["total"]["city_insured"], report["total"]["county_insured"]) == (3, 1)


async def test_1_4_the_city_agency_parameter_takes_only_a_list_of_codes(registry_hub: Hub) -> None:
    async with registry_hub.sessions() as session, session.begin():
        with pytest.raises(DomainError, match="应为以英文逗号分隔的编码"):
            await dictionary.set_parameter(session, factories.SETUP, "city_insuring_agency_codes", "130100;市本级")


async def test_7_2_prints_as_a_spreadsheet_with_the_same_figures(api: Api, district: dict[str, Any]) -> None:
    tree = district["tree"]
    answer = await api.call(
        "GET", f"/api/v1/reports/retiree-distribution.xlsx?on={ON}", await api.token(district["district_operator"])
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert f"retiree-distribution-{ON}.xlsx" in answer.headers["content-disposition"]
    book = load_workbook(BytesIO(answer.content))
    assert book.sheetnames == ["按管理机构", "按参保机构"]
    sheet = book["按管理机构"]
    assert sheet["A1"].value == "退休人员分布情况统计表"
    assert sheet["A2"].value == f"统计范围：{tree.district.name}"
    header = [cell.value for cell in sheet[3]]
    assert header[:5] == ["编码", "管理机构", "合计", "市本级参保", "县（市、区）参保"]
    values = {row[1]: row[2:5] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert values[tree.streets[0].name] == (3, 1, 2)
    assert values[tree.streets[1].name] == (1, 0, 1)
    assert values["合计"] == (4, 1, 3)
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$3:$3"


async def test_7_2_needs_the_right_to_read_the_registry(api: Api, district: dict[str, Any]) -> None:
    answer = await api.call("GET", REPORT, await api.token(district["auditor"]))
    assert answer.status_code == 403
    assert answer.json()["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize("on", ["0001-01-01", "1949-12-31", "2999-01-01"])
async def test_7_2_a_date_out_of_range_is_refused_with_a_reason(api: Api, district: dict[str, Any], on: str) -> None:
    answer = await api.call(
        "GET", f"/api/v1/reports/retiree-distribution?on={on}", await api.token(district["district_operator"])
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "REPORT_DATE_OUT_OF_RANGE"
    assert "统计日期" in answer.json()["message"]


async def test_7_2_a_name_with_a_control_character_still_prints(api: Api, registry_hub: Hub) -> None:
    """XLSX cells cannot hold control characters: a community named with one (old data, a paste) prints without it."""
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        street = tree.streets[0]
        assert street.id is not None
        await institutions.create(
            session, factories.SETUP, parent_id=street.id, code=factories.code("C"), name="响铃\x07社区"
        )
        viewer = (await factories.account(session, street, "viewer")).username
    answer = await api.call("GET", f"/api/v1/reports/retiree-distribution.xlsx?on={ON}", await api.token(viewer))
    assert answer.status_code == 200, answer.text
    names = [
        row[1] for row in load_workbook(BytesIO(answer.content))["按管理机构"].iter_rows(min_row=4, values_only=True)
    ]
    assert "响铃社区" in names


async def test_7_2_as_of_a_past_date_counts_each_status_as_it_was_then(api: Api, registry_hub: Hub) -> None:
    """A true as-of count (issue 18/19): a retiree suspended on 1 October counts as registered in a report as of
    30 September and as suspended as of 1 October; one approved only in November is not counted in October."""
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community = tree.communities[0]
        suspended = await factories.retiree(session, community, birth=date(1955, 1, 1))
        await factories.retiree(session, community, birth=date(1955, 1, 1))
        late = await factories.retiree(session, community, birth=date(1955, 1, 1))
        late.approval_date = date(2026, 11, 2)
        uow = registry_hub.unit_of_work(session, "test")
        await status_log.apply(
            uow,
            factories.SETUP,
            suspended,
            Suspend(ReasonCode.SUSPENDED_BY_STAFF),
            effective_date=date(2026, 10, 1),
            cause=status_log.Cause(CauseType.STAFF, "test"),
        )
        viewer = (await factories.account(session, community, "viewer")).username
    headers = await api.token(viewer)

    async def by_status(on: str) -> dict[str, int]:
        answer = await api.call("GET", f"/api/v1/reports/retiree-distribution?on={on}", headers)
        assert answer.status_code == 200, answer.text
        figures: dict[str, int] = answer.json()["total"]["by_status"]
        return {status: people for status, people in figures.items() if people}

    assert await by_status("2026-09-30") == {"registered": 2}
    assert await by_status("2026-10-01") == {"registered": 1, "suspended": 1}
    assert await by_status("2026-11-02") == {"registered": 2, "suspended": 1}
