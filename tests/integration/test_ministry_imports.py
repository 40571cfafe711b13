"""Ministry imports (2.7 跨地区认证数据) through the staff API and the import worker: upload → stage → preview →
commit for a good file; every file problem kept to its rows (a broken row among good ones, a header-only file, a
missing column, a GBK CSV); the same file twice changes nothing; the same record in two files counts once; a worker
stopped mid-staging resumes without doubles; scope and permission refusals on every endpoint; and an imported
certification resumes an S01-suspended retiree and the province is told."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select, text
from sqlmodel import col

from app.imports import run_pending_imports
from connectors.ministry_import import staging
from domain.audit.models import AuditEntry
from domain.dictionary.codes import ReasonCode
from domain.ministry_imports import service
from domain.ministry_imports.models import ImportKind, ImportState, MinistryImport
from domain.retirees.lifecycle import Status, Suspend
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import system_actor
from domain.shared.errors import DomainError
from domain.staff.models import StaffAccount
from domain.status_log import service as status_log
from domain.status_log.models import CauseType, StatusChange
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories
from tests.support.api import Api
from tests.support.harness import wait_until

pytestmark = pytest.mark.integration

IMPORTS = "/api/v1/ministry-imports"
HEADER = "姓名,身份证号,个人编号,认证日期,认证方式,认证地点"
KIND = "cross_region_certifications"


@dataclass
class World:
    district_operator: str
    city_operator: str
    community_operator: str
    viewer: str
    other_district_operator: str
    people: list[Retiree]


async def _world(hub: Hub, count: int = 3, *, suspended: bool = False) -> World:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        other = await factories.tree(session)
        district = await factories.account(session, tree.district, "operator")
        city = await factories.account(session, tree.city, "operator")
        community = await factories.account(session, tree.communities[0], "operator")
        viewer = await factories.account(session, tree.district, "viewer")
        stranger = await factories.account(session, other.district, "operator")
        people = [
            await factories.retiree(session, tree.communities[0], name=f"张{'三四五六七八九十'[i % 8]}")
            for i in range(count)
        ]
        if suspended:
            for person in people:
                assert person.id is not None
                locked = await status_log.locked_retiree(session, person.id)
                locked.last_certified_on = date.today() - timedelta(days=200)
                await status_log.apply(
                    hub.unit_of_work(session, "test"),
                    factories.SETUP,
                    locked,
                    Suspend(ReasonCode.CERTIFICATION_OVERDUE),
                    effective_date=date.today() - timedelta(days=10),
                    cause=status_log.Cause(CauseType.RULE, "test"),
                )
        for person in people:
            session.expunge(person)
        return World(district.username, city.username, community.username, viewer.username, stranger.username, people)


def _line(person: Retiree, day: date | None = None, method: str = "异地认证", place: str = "海南省三亚市") -> str:
    day_text = (day or calendar.today()).isoformat()
    return f"{person.name},{person.id_number},{person.personal_number},{day_text},{method},{place}"


def _csv(lines: list[str], *, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    # A unique trailing comment line keeps every test file's digest its own on the shared test database.
    return ("\n".join([header, *lines]) + "\n").encode(encoding)


_TOKENS: dict[tuple[int, str], dict[str, str]] = {}


async def _token(api: Api, who: str) -> dict[str, str]:
    """One login per account and test (logins are rate-limited per account)."""
    key = (id(api), who)
    if key not in _TOKENS:
        _TOKENS[key] = await api.token(who)
    return _TOKENS[key]


def _tag() -> str:
    return f"海南省三亚市社保中心{uuid.uuid4().hex[:8]}"


async def _upload(api: Api, who: str, content: bytes, name: str = "跨地区认证.csv", kind: str = KIND) -> Any:
    return await api.call(
        "POST", IMPORTS, await _token(api, who), files={"file": (name, content, "text/csv")}, data={"kind": kind}
    )


async def _detail(api: Api, who: str, import_id: int) -> dict[str, Any]:
    answer = await api.call("GET", f"{IMPORTS}/{import_id}", await _token(api, who))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _rows(api: Api, who: str, import_id: int, outcome: str) -> list[dict[str, Any]]:
    answer = await api.call(
        "GET", f"{IMPORTS}/{import_id}/rows", await _token(api, who), params={"outcome": outcome, "size": 200}
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def _certification_events(hub: Hub, numbers: list[str]) -> list[dict[str, Any]]:
    async with hub.sessions() as session:
        payloads = (
            await session.execute(
                select(col(OutboxMessage.payload))
                .where(col(OutboxMessage.key).in_(numbers))
                .where(col(OutboxMessage.event_type) == "certification.recorded")
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        return [json.loads(p) for p in payloads]


async def _audit(hub: Hub, import_id: int) -> list[str]:
    async with hub.sessions() as session:
        actions = await session.execute(
            select(col(AuditEntry.action))
            .where(col(AuditEntry.target) == f"ministry_import:{import_id}")
            .order_by(col(AuditEntry.id))
        )
        return list(actions.scalars())


async def test_2_7_a_good_file_is_uploaded_staged_previewed_committed_and_audited(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub, 3)
    place = _tag()
    content = _csv([_line(p, place=place) for p in world.people])
    uploaded = await _upload(api, world.district_operator, content)
    assert uploaded.status_code == 202, uploaded.text
    import_id = uploaded.json()["id"]
    assert uploaded.json()["state"] == "uploaded"

    await run_pending_imports(registry_hub)
    staged = await _detail(api, world.district_operator, import_id)
    assert (staged["state"], staged["total_rows"], staged["valid_rows"], staged["exception_rows"]) == (
        "staged",
        3,
        3,
        0,
    )
    assert staged["progress"] == 100
    valid = await _rows(api, world.district_operator, import_id, "valid")
    assert [r["row_number"] for r in valid] == [2, 3, 4]
    assert all("*" in r["id_number"] for r in valid)  # masked
    assert all("id_number" not in r["fields"] for r in valid)
    assert await _certification_events(registry_hub, [p.personal_number for p in world.people]) == []

    token = await _token(api, world.district_operator)
    committed = await api.call("POST", f"{IMPORTS}/{import_id}/commit", token)
    assert committed.status_code == 200 and committed.json()["state"] == "committing", committed.text
    again = await api.call("POST", f"{IMPORTS}/{import_id}/commit", token)
    assert again.status_code == 200 and again.json()["state"] == "committing"
    await run_pending_imports(registry_hub)
    await run_pending_imports(registry_hub)  # again: nothing more
    done = await _detail(api, world.district_operator, import_id)
    assert (done["state"], done["applied_rows"], done["valid_rows"]) == ("committed", 3, 3)
    events = await _certification_events(registry_hub, [p.personal_number for p in world.people])
    assert len(events) == 3
    assert {e["source"] for e in events} == {"ministry_import"}
    assert {e["method"] for e in events} == {"cross_region"}
    assert {e["certified_by"] for e in events} == {place}
    assert len({e["certification_id"] for e in events}) == 3
    assert (await api.call("POST", f"{IMPORTS}/{import_id}/commit", token)).json()["state"] == "committed"
    assert len(await _certification_events(registry_hub, [p.personal_number for p in world.people])) == 3
    assert await _audit(registry_hub, import_id) == ["ministry_import.upload", "ministry_import.commit"]
    listed = await api.call("GET", IMPORTS, token)
    assert listed.json()["items"][0]["id"] == import_id


async def test_2_7_each_problem_is_kept_to_its_row_and_the_exceptions_download_can_be_uploaded_again(
    registry_hub: Hub, api: Api
) -> None:
    world = await _world(registry_hub, 4)
    a, b, c, d = world.people
    bad_check = a.id_number[:17] + ("0" if a.id_number[17] != "0" else "1")
    stranger = factories.id_number(date(1950, 3, 4))
    lines = [
        _line(a),  # row 2: good
        _line(b, calendar.today() + timedelta(days=3)),  # row 3: a date in the future
        _line(c, method="飞鸽传书"),  # row 4: an unknown method
        f"{a.name},{bad_check},,{calendar.today().isoformat()},异地认证,海南",  # row 5: wrong check character
        f"李四,{stranger},,{calendar.today().isoformat()},异地认证,海南",  # row 6: not in the registry
        _line(a),  # row 7: the same record as row 2
        f",{d.id_number},,2026-13-45,人脸识别,{_tag()}",  # row 8: no name, a date that is no date
        _line(d, method="人脸识别"),  # row 9: good
    ]
    uploaded = await _upload(api, world.district_operator, _csv(lines))
    import_id = uploaded.json()["id"]
    await run_pending_imports(registry_hub)
    staged = await _detail(api, world.district_operator, import_id)
    assert (staged["state"], staged["total_rows"], staged["valid_rows"]) == ("staged", 8, 2)
    assert (staged["exception_rows"], staged["duplicate_rows"]) == (5, 1)
    exceptions = {r["row_number"]: r for r in await _rows(api, world.district_operator, import_id, "exception")}
    assert sorted(exceptions) == [3, 4, 5, 6, 8]

    def reasons(row: int) -> str:
        return "；".join(p["message"] for p in exceptions[row]["problems"])

    assert "第3行“认证日期”列（D列）" in reasons(3) and "晚于今天" in reasons(3)
    assert "“认证方式”列（E列）" in reasons(4) and "飞鸽传书" in reasons(4)
    assert "“身份证号”列（B列）" in reasons(5) and "校验位" in reasons(5)
    assert "该人员不在本市退休人员库中" in reasons(6)
    assert "姓名" in reasons(8) and "不是有效日期" in reasons(8)
    assert {p["column"] for p in exceptions[3]["problems"]} == {"认证日期"}
    duplicates = await _rows(api, world.district_operator, import_id, "duplicate")
    assert [r["row_number"] for r in duplicates] == [7]
    assert "与第2行是同一条记录" in duplicates[0]["problems"][0]["message"]

    download = await api.call(
        "GET", f"{IMPORTS}/{import_id}/exceptions.xlsx", await _token(api, world.district_operator)
    )
    assert download.status_code == 200, download.text
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(download.content)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["姓名", "身份证号", "个人编号", "认证日期", "认证方式", "认证地点", "原行号", "错误原因"]
    assert [int(float(str(r[6]))) for r in sheet[1:]] == [3, 4, 5, 6, 8]
    assert "晚于今天" in str(sheet[1][7])

    again = await _upload(api, world.district_operator, download.content, name="异常数据-更正.xlsx")
    assert again.status_code == 202, again.text
    await run_pending_imports(registry_hub)
    corrected = await _detail(api, world.district_operator, again.json()["id"])
    assert (corrected["state"], corrected["total_rows"]) == ("staged", 5)
    assert {w["code"] for w in corrected["warnings"]} == {"UNKNOWN_COLUMNS"}


async def test_2_7_whole_file_problems_fail_with_the_readers_message_and_a_gbk_file_is_read(
    registry_hub: Hub, api: Api
) -> None:
    world = await _world(registry_hub, 1)
    who = world.district_operator
    header_only = await _upload(api, who, _csv([], header=HEADER + f",备注{uuid.uuid4().hex[:6]}"))
    missing = await _upload(
        api, who, _csv([f"张三,{world.people[0].id_number},{_tag()}"], header="姓名,身份证号,认证地点")
    )
    gbk = await _upload(api, who, _csv([_line(world.people[0], place=_tag())], encoding="gbk"), name="gbk.csv")
    for answer in (header_only, missing, gbk):
        assert answer.status_code == 202, answer.text
    await run_pending_imports(registry_hub)
    failed = await _detail(api, who, header_only.json()["id"])
    assert failed["state"] == "failed" and "没有数据行" in failed["error"]
    failed = await _detail(api, who, missing.json()["id"])
    assert failed["state"] == "failed" and "认证日期" in failed["error"] and "认证方式" in failed["error"]
    read = await _detail(api, who, gbk.json()["id"])
    assert (read["state"], read["valid_rows"]) == ("staged", 1)
    assert (await _rows(api, who, gbk.json()["id"], "valid"))[0]["name"] == world.people[0].name

    empty = await _upload(api, who, b"")
    assert (empty.status_code, empty.json()["code"]) == (422, "IMPORT_FILE_INVALID")
    word = await _upload(api, who, b"\xd0\xcf\x11\xe0 not a csv", name="名单.doc")
    assert (word.status_code, word.json()["code"]) == (422, "IMPORT_FILE_INVALID")
    renamed = await _upload(api, who, b"just text, not a workbook", name="名单.xlsx")
    assert (renamed.status_code, renamed.json()["code"]) == (422, "IMPORT_FILE_INVALID")


async def test_2_7_the_same_file_twice_changes_nothing_and_the_same_record_in_two_files_counts_once(
    registry_hub: Hub, api: Api
) -> None:
    world = await _world(registry_hub, 2)
    who = world.district_operator
    content = _csv([_line(p, place=_tag()) for p in world.people])
    first = await _upload(api, who, content)
    second = await _upload(api, who, content, name="again.csv")
    assert first.status_code == 202 and second.status_code == 200, second.text
    assert second.json()["id"] == first.json()["id"] == second.json()["duplicate_of"]
    assert "此文件已于" in second.json()["message"]
    import_id = first.json()["id"]
    await run_pending_imports(registry_hub)
    await api.call("POST", f"{IMPORTS}/{import_id}/commit", await _token(api, who))
    await run_pending_imports(registry_hub)
    assert (await _detail(api, who, import_id))["applied_rows"] == 2
    assert (await _upload(api, who, content)).json()["duplicate_of"] == import_id

    # The same records in another file (another place written, so another digest): duplicates, applied nowhere.
    other = await _upload(api, who, _csv([_line(p, place=_tag()) for p in world.people]))
    await run_pending_imports(registry_hub)
    staged = await _detail(api, who, other.json()["id"])
    assert (staged["valid_rows"], staged["duplicate_rows"]) == (0, 2)
    duplicates = await _rows(api, who, other.json()["id"], "duplicate")
    assert all(f"已由批次 {import_id} 导入" in r["problems"][0]["message"] for r in duplicates)
    assert len(await _certification_events(registry_hub, [p.personal_number for p in world.people])) == 2

    # Abandoned, the file's digest is free again: the same content starts a new import.
    extra = _csv([_line(world.people[0], place=_tag())])
    dropped = await _upload(api, who, extra)
    await run_pending_imports(registry_hub)
    abandoned = await api.call("POST", f"{IMPORTS}/{dropped.json()['id']}/abandon", await _token(api, who))
    assert abandoned.json()["state"] == "abandoned"
    refused = await api.call("POST", f"{IMPORTS}/{dropped.json()['id']}/commit", await _token(api, who))
    assert (refused.status_code, refused.json()["code"]) == (409, "IMPORT_STATE")
    fresh = await _upload(api, who, extra)
    assert fresh.status_code == 202 and fresh.json()["id"] != dropped.json()["id"]
    assert await _audit(registry_hub, dropped.json()["id"]) == ["ministry_import.upload", "ministry_import.abandon"]


async def test_2_7_a_worker_stopped_mid_staging_is_resumed_without_doubles(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub, 1)
    person = world.people[0]
    lines = [_line(person, calendar.today() - timedelta(days=i), place=_tag()) for i in range(25)]
    uploaded = await _upload(api, world.district_operator, _csv(lines))
    import_id = uploaded.json()["id"]

    class Killed(Exception):
        pass

    def kill_after_first_chunk(done: int, expected: int) -> None:
        assert expected == 25
        raise Killed

    with pytest.raises(Killed):
        await staging.stage(
            registry_hub.sessions, import_id, today=calendar.today(), chunk=10, progress=kill_after_first_chunk
        )
    async with registry_hub.sessions() as session:
        item = await session.get(MinistryImport, import_id)
        assert item is not None and (item.state, item.processed_rows) == (ImportState.STAGING, 10)

    # While another worker holds it (its file row locked), a pass skips it: no row staged twice.
    async with registry_hub.sessions() as other, other.begin():
        await other.execute(
            text("SELECT import_id FROM ministry_import_file WHERE import_id = :id FOR UPDATE"), {"id": import_id}
        )
        skipped = await run_pending_imports(registry_hub, chunk=10)
        assert import_id not in skipped.staged and import_id not in skipped.failed
    report = await run_pending_imports(registry_hub, chunk=10)
    assert import_id in report.staged
    staged = await _detail(api, world.district_operator, import_id)
    assert (staged["state"], staged["total_rows"], staged["valid_rows"]) == ("staged", 25, 25)
    async with registry_hub.sessions() as session:
        numbers = (
            await session.execute(
                text("SELECT array_agg(row_number ORDER BY row_number) FROM ministry_import_row WHERE import_id = :id"),
                {"id": import_id},
            )
        ).scalar_one()
    assert numbers == list(range(2, 27))


async def test_2_7_scope_and_permissions_are_checked_on_every_endpoint(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub, 1)
    content = _csv([_line(world.people[0], place=_tag())])
    for who, status, code in (
        (world.community_operator, 403, "IMPORT_LEVEL_ONLY"),
        (world.viewer, 403, "PERMISSION_DENIED"),
    ):
        refused = await _upload(api, who, content)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    uploaded = await _upload(api, world.district_operator, content)
    import_id = uploaded.json()["id"]
    await run_pending_imports(registry_hub)
    stranger = await _token(api, world.other_district_operator)
    for method, path in (
        ("GET", f"{IMPORTS}/{import_id}"),
        ("GET", f"{IMPORTS}/{import_id}/rows"),
        ("GET", f"{IMPORTS}/{import_id}/exceptions.xlsx"),
        ("POST", f"{IMPORTS}/{import_id}/commit"),
        ("POST", f"{IMPORTS}/{import_id}/abandon"),
    ):
        answer = await api.call(method, path, stranger)
        assert (answer.status_code, answer.json()["code"]) == (404, "IMPORT_NOT_FOUND"), (path, answer.text)
    listed = await api.call("GET", IMPORTS, stranger)
    assert import_id not in [i["id"] for i in listed.json()["items"]]
    community = await _token(api, world.community_operator)
    assert (await api.call("POST", f"{IMPORTS}/{import_id}/commit", community)).json()["code"] == "IMPORT_LEVEL_ONLY"
    viewer = await _token(api, world.viewer)
    assert (await api.call("GET", f"{IMPORTS}/{import_id}", viewer)).status_code == 200
    assert (await api.call("POST", f"{IMPORTS}/{import_id}/abandon", viewer)).json()["code"] == "PERMISSION_DENIED"
    # The city sees every district's imports.
    assert (await _detail(api, world.city_operator, import_id))["state"] == "staged"
    # A kind with no committer wired cannot be committed.
    async with registry_hub.sessions() as session, session.begin():
        with pytest.raises(DomainError) as refused_kind:
            await service.request_commit(session, system_actor("test"), import_id, ready=frozenset())
    assert refused_kind.value.code == "IMPORT_KIND_NOT_READY"
    assert ImportKind.CROSS_REGION_CERTIFICATIONS.value == KIND


async def test_2_7_an_imported_certification_resumes_an_s01_suspended_retiree_and_the_province_is_told(
    registry_hub: Hub, api: Api, registry_worker: Any
) -> None:
    _, publisher = registry_worker
    world = await _world(registry_hub, 1, suspended=True)
    person = world.people[0]
    uploaded = await _upload(api, world.district_operator, _csv([_line(person, place=_tag())]))
    import_id = uploaded.json()["id"]
    await run_pending_imports(registry_hub)
    await api.call("POST", f"{IMPORTS}/{import_id}/commit", await _token(api, world.district_operator))
    await run_pending_imports(registry_hub)
    assert (await _detail(api, world.district_operator, import_id))["applied_rows"] == 1

    async def resumed() -> bool:
        await publisher.outbox_relay().drain()
        async with registry_hub.sessions() as session:
            current = await session.get(Retiree, person.id)
            return current is not None and current.status == Status.REGISTERED.value

    await wait_until(resumed, 40, "the suspended retiree resumed by the imported certification")
    async with registry_hub.sessions() as session:
        current = await session.get(Retiree, person.id)
        assert current is not None and current.last_certified_on == calendar.today()
        log = (
            (
                await session.execute(
                    select(StatusChange).where(col(StatusChange.retiree_id) == person.id).order_by(col(StatusChange.id))
                )
            )
            .scalars()
            .all()
        )
        told = (
            await session.execute(
                select(col(OutboxMessage.payload))
                .where(col(OutboxMessage.key) == person.personal_number)
                .where(col(OutboxMessage.event_type) == "person_status.changed")
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        to_province = [(event["change_kind"], event["reason_code"]) for event in map(json.loads, told)]
        resumes = await session.scalar(
            select(func.count()).where(col(StatusChange.retiree_id) == person.id, col(StatusChange.kind) == "resumed")
        )
    expected = [("suspended", ReasonCode.CERTIFICATION_OVERDUE.value), ("resumed", "R01")]
    assert [(entry.kind, entry.reason_code) for entry in log][-2:] == expected
    assert to_province[-2:] == expected
    assert resumes == 1


async def test_2_7_the_exceptions_of_an_import_without_a_stored_file_are_still_downloaded(
    registry_hub: Hub, api: Api
) -> None:
    """Found by the API fuzz: an import recorded without its file (as the 2.8 tests record staged lists) answered
    the exceptions download with a server error; the columns are then the file kind's own labels."""
    world = await _world(registry_hub, 1)
    async with registry_hub.sessions() as session, session.begin():
        account = (
            await session.execute(select(StaffAccount).where(col(StaffAccount.username) == world.district_operator))
        ).scalar_one()
        item = MinistryImport(
            kind=ImportKind.CROSS_REGION_CERTIFICATIONS,
            file_name="无文件.csv",
            file_digest=uuid.uuid4().hex,
            state=ImportState.STAGED,
            uploaded_by=world.district_operator,
            institution_id=account.institution_id,
        )
        session.add(item)
        await session.flush()
        import_id = item.id
    answer = await api.call("GET", f"{IMPORTS}/{import_id}/exceptions.xlsx", await _token(api, world.district_operator))
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    header = next(sheet.iter_rows(values_only=True))
    assert "身份证号" in header and "错误原因" in header
