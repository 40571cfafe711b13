"""2.8 suspicious-record comparison: every match kind found set-based against the registry with its explanation, the
re-run that changes nothing, the result file read back, the worklist's scope, and each review action (checked, a
suspension the province hears of, a death record) with its refusals."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlmodel import col

from domain.institutions.models import Institution
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.suspicious.compare import compare_import
from domain.suspicious.idnumbers import candidate_keys
from domain.suspicious.matching import ListEntry, MatchKind, RegistryPerson, best_match
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

MATCHES = "/api/v1/suspicious-matches"


def _unique_name(surname: str = "欧阳") -> str:
    """A name no other test's retiree has: a rare compound surname and two random given-name characters."""
    pool = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
    digits = uuid.uuid4().int
    return surname + pool[digits % len(pool)] + pool[(digits // 97) % len(pool)] + pool[(digits // 9973) % len(pool)]


def _legacy(id18: str) -> str:
    """The 15-character number of an 18-character one born in the 1900s."""
    return id18[:6] + id18[8:17]


async def staged_import(session: Any, institution: Institution, rows: Sequence[tuple[str, str, str | None]]) -> int:
    """A committed suspicious_list import with rows (name, id as written, id_number_18), inserted directly."""
    assert institution.id is not None
    import_id = (
        await session.execute(
            text(
                "INSERT INTO ministry_import (kind, file_name, file_digest, state, uploaded_by, institution_id,"
                " total_rows, valid_rows) VALUES ('suspicious_list', :name, :digest, 'committed', 'tester', :inst,"
                " :n, :n) RETURNING id"
            ),
            {"name": "疑似名单.xlsx", "digest": uuid.uuid4().hex, "inst": institution.id, "n": len(rows)},
        )
    ).scalar_one()
    for number, (name, written, id18) in enumerate(rows, start=2):
        await session.execute(
            text(
                "INSERT INTO ministry_import_row (import_id, row_number, name, id_number, id_number_18, fields,"
                " problems, outcome) VALUES (:i, :r, :name, :written, :id18, '{}'::jsonb, '[]'::jsonb, :outcome)"
            ),
            {
                "i": import_id,
                "r": number,
                "name": name,
                "written": written,
                "id18": id18,
                "outcome": "valid" if id18 else "exception",
            },
        )
    return int(import_id)


@dataclass
class World:
    import_id: int
    people: dict[str, Retiree]
    rows: dict[str, int]  # case -> row number
    district_operator: str
    community_operator: str  # communities[0]: where every matched person lives, except "outside"
    other_community_operator: str  # communities[2] (the other street)
    viewer: str
    outside: Retiree


async def _world(hub: Hub) -> World:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        home = tree.communities[0]
        district = await factories.account(session, tree.district, "operator")
        community = await factories.account(session, home, "operator")
        other = await factories.account(session, tree.communities[2], "operator")
        viewer = await factories.account(session, home, "viewer")
        people: dict[str, Retiree] = {}
        names = {
            "exact": _unique_name(),
            "upgraded": _unique_name(),
            "differs": _unique_name(),
            "traditional": _unique_name("张") + "伟",
            "fullwidth": "ＡＢ" + _unique_name("诸葛"),
            "spaces": _unique_name("司马"),
            "homophone_shan": "善" + _unique_name("")[:2],
            "homophone_zeng": "增" + _unique_name("")[:2],
            "duplicate": _unique_name("上官"),
            "dead": _unique_name(),
        }
        for case, name in names.items():
            birth = date(1950, 1, 1) + timedelta(days=uuid.uuid4().int % 7000)
            registered = name.replace("ＡＢ", "AB")
            people[case] = await factories.retiree(session, home, name=registered, birth=birth)
        people["traditional"].name = "張" + people["traditional"].name[1:]
        outside = await factories.retiree(session, tree.communities[2], name=_unique_name())
        await session.flush()
        dup_id = factories.id_number(people["duplicate"].birth_date)
        unknown = factories.id_number(date(1944, 4, 4))
        rows = [
            ("exact", people["exact"].name, people["exact"].id_number, people["exact"].id_number),
            (
                "upgraded",
                people["upgraded"].name,
                _legacy(people["upgraded"].id_number),
                people["upgraded"].id_number,
            ),
            ("differs", "李四", people["differs"].id_number, people["differs"].id_number),
            (
                "traditional",
                "张" + people["traditional"].name[1:],
                people["traditional"].id_number,
                people["traditional"].id_number,
            ),
            ("fullwidth", names["fullwidth"], people["fullwidth"].id_number, people["fullwidth"].id_number),
            ("spaces", " ".join(people["spaces"].name), people["spaces"].id_number, people["spaces"].id_number),
            (
                "homophone_shan",
                "单" + people["homophone_shan"].name[1:],
                people["homophone_shan"].id_number,
                people["homophone_shan"].id_number,
            ),
            (
                "homophone_zeng",
                "曾" + people["homophone_zeng"].name[1:],
                people["homophone_zeng"].id_number,
                people["homophone_zeng"].id_number,
            ),
            ("duplicate", people["duplicate"].name, dup_id, dup_id),
            ("unknown", _unique_name(), unknown, unknown),
            ("dead", people["dead"].name, people["dead"].id_number, people["dead"].id_number),
            ("outside", outside.name, outside.id_number, outside.id_number),
        ]
        import_id = await staged_import(session, tree.district, [(n, w, i) for _, n, w, i in rows])
        for person in [*people.values(), outside]:
            session.expunge(person)
        return World(
            import_id,
            people,
            {case: number for number, (case, *_rest) in enumerate(rows, start=2)},
            district.username,
            community.username,
            other.username,
            viewer.username,
            outside,
        )


async def _compare(hub: Hub, import_id: int) -> int:
    async with hub.sessions() as session, session.begin():
        return await compare_import(hub.unit_of_work(session, "test"), import_id, chunk=5)


async def _matches(hub: Hub, import_id: int) -> dict[int, Any]:
    async with hub.sessions() as session:
        rows = await session.execute(
            text("SELECT * FROM suspicious_match WHERE import_id = :i ORDER BY row_number"), {"i": import_id}
        )
        return {r.row_number: r for r in rows}


async def test_2_8_every_match_kind_found_set_based_with_its_explanation(registry_hub: Hub) -> None:
    world = await _world(registry_hub)
    assert await _compare(registry_hub, world.import_id) == 12
    found = await _matches(registry_hub, world.import_id)
    kind = {case: found[row].match_kind for case, row in world.rows.items()}
    assert kind == {
        "exact": "exact_id",
        "upgraded": "upgraded_id",
        "differs": "id_name_differs",
        "traditional": "name_variant",
        "fullwidth": "name_variant",
        "spaces": "name_variant",
        "homophone_shan": "homophone",
        "homophone_zeng": "homophone",
        "duplicate": "same_name_and_birth_date",
        "unknown": "no_match",
        "dead": "exact_id",
        "outside": "exact_id",
    }
    text_of = {case: found[row].explanation for case, row in world.rows.items()}
    assert "姓名一致" in text_of["exact"] and "身份证号一致" in text_of["exact"]
    assert "15位身份证号" in text_of["upgraded"] and "升级为18位" in text_of["upgraded"]
    assert "姓名不同" in text_of["differs"] and found[world.rows["differs"]].flagged
    assert "繁体字" in text_of["traditional"]
    assert "全角字符" in text_of["fullwidth"]
    assert "空格" in text_of["spaces"]
    assert "shan" in text_of["homophone_shan"] and "疑似录入错误" in text_of["homophone_shan"]
    assert "zeng" in text_of["homophone_zeng"]
    assert "疑似重复人员" in text_of["duplicate"] and found[world.rows["duplicate"]].flagged
    assert text_of["unknown"].startswith("未匹配")
    assert found[world.rows["unknown"]].retiree_id is None
    exact = found[world.rows["exact"]]
    assert exact.retiree_id == world.people["exact"].id and not exact.flagged
    assert exact.payment_status == "正常发放"
    # Comparing again changes nothing.
    assert await _compare(registry_hub, world.import_id) == 0
    assert await _matches(registry_hub, world.import_id) == found


async def test_2_8_result_file_and_worklist_in_scope(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub)
    await _compare(registry_hub, world.import_id)
    district = await api.token(world.district_operator)
    answer = await api.call("GET", f"/api/v1/ministry-imports/{world.import_id}/comparison.xlsx", district)
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("单位编码", "单位名称", "姓名", "身份证号", "发放状态", "匹配方式", "说明")
    assert len(lines) == 13
    by_id = {line[3]: line for line in lines[1:]}
    exact = by_id[world.people["exact"].id_number]
    assert exact[4] == "正常发放" and exact[5] == "身份证号完全一致"

    listing = await api.call("GET", MATCHES, district, params={"import_id": world.import_id, "size": 50})
    assert listing.status_code == 200, listing.text
    assert listing.json()["total"] == 12
    first = listing.json()["items"][0]
    assert first["flagged"] and "*" in (first["listed_id_number"] or "")
    flagged = await api.call(
        "GET", MATCHES, district, params={"import_id": world.import_id, "flagged": "true", "review_state": "pending"}
    )
    assert flagged.json()["total"] == 4  # differs, two homophones, duplicate

    community = await api.call(
        "GET", MATCHES, await api.token(world.community_operator), params={"import_id": world.import_id, "size": 50}
    )
    assert community.json()["total"] == 10  # everyone matched at home; neither the unknown row nor the outsider
    other = await api.call(
        "GET",
        MATCHES,
        await api.token(world.other_community_operator),
        params={"import_id": world.import_id, "size": 50},
    )
    assert [i["row_number"] for i in other.json()["items"]] == [world.rows["outside"]]
    other_file = await api.call(
        "GET",
        f"/api/v1/ministry-imports/{world.import_id}/comparison.xlsx",
        await api.token(world.other_community_operator),
    )
    assert other_file.status_code == 200
    assert len(list(load_workbook(io.BytesIO(other_file.content)).worksheets[0].iter_rows())) == 2


async def _told_province(hub: Hub, personal_number: str) -> list[tuple[str, str]]:
    async with hub.sessions() as session:
        payloads = (
            await session.execute(
                select(col(OutboxMessage.payload))
                .where(col(OutboxMessage.key) == personal_number)
                .where(col(OutboxMessage.event_type) == "person_status.changed")
                .order_by(col(OutboxMessage.id))
            )
        ).scalars()
        return [(e["change_kind"], e["reason_code"]) for e in map(json.loads, payloads)]


async def _status(hub: Hub, retiree_id: int | None) -> str:
    async with hub.sessions() as session:
        person = await session.get(Retiree, retiree_id)
        assert person is not None
        return str(person.status)


async def test_2_8_review_actions_and_refusals(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub)
    await _compare(registry_hub, world.import_id)
    operator = await api.token(world.community_operator)

    def path(case: str) -> str:
        return f"{MATCHES}/{world.import_id}/{world.rows[case]}/review"

    no_note = await api.call("POST", path("exact"), operator, json={"action": "checked"})
    assert no_note.status_code == 422 and no_note.json()["code"] == "REVIEW_NOTE_REQUIRED"
    checked = await api.call("POST", path("exact"), operator, json={"action": "checked", "note": "已电话核实本人健在"})
    assert checked.status_code == 200, checked.text
    assert checked.json()["review_state"] == "checked" and checked.json()["reviewed_by"]
    again = await api.call("POST", path("exact"), operator, json={"action": "checked", "note": "已电话核实本人健在"})
    assert again.status_code == 200 and again.json() == checked.json()
    other_way = await api.call("POST", path("exact"), operator, json={"action": "suspend"})
    assert other_way.status_code == 409 and other_way.json()["code"] == "SUSPICIOUS_ALREADY_REVIEWED"
    assert await _status(registry_hub, world.people["exact"].id) == "registered"

    suspended = await api.call("POST", path("differs"), operator, json={"action": "suspend", "note": "待本人到场"})
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["review_state"] == "suspension_started"
    assert await _status(registry_hub, world.people["differs"].id) == "suspended"
    assert await _told_province(registry_hub, world.people["differs"].personal_number) == [("suspended", "S04")]

    death = await api.call(
        "POST",
        path("dead"),
        operator,
        json={
            "action": "record_death",
            "death_date": (calendar.today() - timedelta(days=40)).isoformat(),
            "evidence": "cremation_record",
            "note": "民政火化信息",
        },
    )
    assert death.status_code == 200, death.text
    assert await _status(registry_hub, world.people["dead"].id) == "deceased"
    assert death.json()["review_state"] == "death_recorded"
    twice = await api.call("POST", path("dead"), operator, json={"action": "suspend"})
    assert twice.status_code == 409

    nobody = await api.call(
        "POST", path("unknown"), await api.token(world.district_operator), json={"action": "suspend"}
    )
    assert nobody.status_code == 422 and nobody.json()["code"] == "SUSPICIOUS_NO_PERSON"
    # Out of scope: the same answer as a row that does not exist; nothing changed.
    outsider = await api.call("POST", path("outside"), operator, json={"action": "suspend"})
    assert outsider.status_code == 404 and outsider.json()["code"] == "SUSPICIOUS_MATCH_NOT_FOUND"
    assert await _status(registry_hub, world.outside.id) == "registered"
    other = await api.token(world.other_community_operator)
    foreign = await api.call("POST", path("upgraded"), other, json={"action": "checked", "note": "核实"})
    assert foreign.status_code == 404
    foreign_file = await api.call("GET", "/api/v1/ministry-imports/999999999/comparison.xlsx", other)
    assert foreign_file.status_code == 404 and foreign_file.json()["code"] == "IMPORT_NOT_FOUND"
    viewer = await api.call(
        "POST", path("upgraded"), await api.token(world.viewer), json={"action": "checked", "note": "核实"}
    )
    assert viewer.status_code == 403
    # A death that the command refuses leaves the row pending (never half-applied).
    bad_date = await api.call(
        "POST",
        path("upgraded"),
        operator,
        json={"action": "record_death", "death_date": "1800-01-01", "evidence": "other"},
    )
    assert bad_date.status_code == 422
    row = (await _matches(registry_hub, world.import_id))[world.rows["upgraded"]]
    assert row.review_state == "pending"
    assert await _status(registry_hub, world.people["upgraded"].id) == "registered"


_SURNAMES = ["张", "单", "曾", "陈", "欧阳", "王"]
_GIVEN = "伟军红东华国建明丽芳"
_TRADITIONAL = str.maketrans("张陈华国东军红伟", "張陳華國東軍紅偉")
_HOMOPHONE = {"张": "章", "单": "善", "曾": "增", "陈": "沉"}


def _variants(person: Retiree, twin_id: str) -> list[tuple[str, str, str]]:
    """The rows (name as written, number as written, number upgraded) a list could carry for one registered person:
    every kind, plain and odd writings of each."""
    name, number = person.name, person.id_number
    legacy = _legacy(number)
    rows = [
        (name, number, number),  # exact
        (name, legacy, number),  # upgraded
        (" ".join(name), legacy, number),  # upgraded, the name spaced
        (f" {name} ", number, number),  # exact, the name padded (best_match strips it)
        (" ".join(name), number, number),  # variant: spaces
        (name.translate(_TRADITIONAL), number, number),  # variant (traditional) or exact
        (_HOMOPHONE.get(name[0], "李") + name[1:], number, number),  # homophone or a different name
        ("李四", number, number),  # a different name
        (name, twin_id, twin_id),  # same name and birth date, another number
        (" ".join(name), twin_id, twin_id),  # the same, the name spaced
        ("ZHANG WEI", twin_id, twin_id),  # no match, a Latin name
    ]
    if number.endswith("X"):
        rows.append((name, number.lower(), number))  # exact, written with a small x
    return rows


async def test_2_8_set_based_decisions_equal_best_match_row_by_row(registry_hub: Hub) -> None:
    """Differential: a few thousand rows of every kind compared set-based (plain cases in SQL, the rest by
    best_match) give, row by row, what best_match gives on every registered person sharing the row's number or birth
    date (kind, flagged, explanation, person)."""
    today = calendar.today()
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        people: list[Retiree] = []
        for index in range(240):
            digits = uuid.uuid4().int
            name = _SURNAMES[index % len(_SURNAMES)] + _GIVEN[digits % 10] + _GIVEN[(digits // 10) % 10]
            birth = date(1940, 1, 1) + timedelta(days=digits % 9000)
            people.append(await factories.retiree(session, tree.communities[0], name=name, birth=birth))
            if index % 8 == 0:  # a registered namesake born the same day: best_match keeps the first by number
                people.append(await factories.retiree(session, tree.communities[1], name=name, birth=birth))
        rows: list[tuple[str, str, str]] = []
        for person in people:
            rows += _variants(person, factories.id_number(person.birth_date))
            unknown = factories.id_number()
            rows.append((_unique_name("司徒"), unknown, unknown))  # no match at all
        import_id = await staged_import(session, tree.district, rows)

    async with registry_hub.sessions() as session, session.begin():
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        assert await compare_import(registry_hub.unit_of_work(session, "test"), import_id, chunk=700, today=today) == (
            len(rows)
        )
        found = {
            r.row_number: (r.match_kind, r.flagged, r.explanation, r.retiree_id)
            for r in await session.execute(
                text("SELECT * FROM suspicious_match WHERE import_id = :i"), {"i": import_id}
            )
        }
        keys = [candidate_keys(written, today=today) for _, written, _ in rows]
        registry = (
            (
                await session.execute(
                    select(Retiree)
                    .where(
                        col(Retiree.id_number).in_([k.id18 for k in keys if k.id18])
                        | col(Retiree.birth_date).in_({k.birth_date for k in keys if k.birth_date})
                    )
                    .order_by(col(Retiree.personal_number))
                )
            )
            .scalars()
            .all()
        )
        ids = {p.personal_number: p.id for p in registry}
        by_id_number = {p.id_number: p for p in registry}
        by_birth: dict[date, list[Retiree]] = {}
        for p in registry:  # in personal-number order, as the set-based step orders a row's candidates
            by_birth.setdefault(p.birth_date, []).append(p)
        expected: dict[int, tuple[str, bool, str, int | None]] = {}
        for number, ((name, written, _), key) in enumerate(zip(rows, keys, strict=True), start=2):
            same_day = by_birth.get(key.birth_date, []) if key.birth_date else []
            holder = by_id_number.get(key.id18 or "")
            by_number = [holder] if holder is not None and holder.birth_date != key.birth_date else []
            candidates = [
                RegistryPerson(p.personal_number, p.name, p.id_number, p.birth_date)
                for p in sorted([*same_day, *by_number], key=lambda p: p.personal_number)
            ]
            match = best_match(ListEntry(name, written), candidates, today=today)
            found_id = ids[match.candidate.personal_number] if match.candidate else None
            expected[number] = (match.kind.value, match.kind.flagged, match.explanation, found_id)
    assert {kind for kind, *_ in expected.values()} == {kind.value for kind in MatchKind}
    differences = {n: (found.get(n), want) for n, want in expected.items() if found.get(n) != want}
    assert not differences, list(differences.items())[:5]


async def test_2_8_result_file_lists_every_list_row_in_order_with_its_match_kind(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub)
    await _compare(registry_hub, world.import_id)
    found = await _matches(registry_hub, world.import_id)
    async with registry_hub.sessions() as session:
        listed = (
            await session.execute(
                text("SELECT row_number, name, id_number FROM ministry_import_row WHERE import_id = :i"),
                {"i": world.import_id},
            )
        ).all()
    answer = await api.call(
        "GET", f"/api/v1/ministry-imports/{world.import_id}/comparison.xlsx", await api.token(world.district_operator)
    )
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
    lines = [tuple(cell or "" for cell in line) for line in sheet.iter_rows(values_only=True)]
    expected = [
        tuple(
            value or ""
            for value in (
                found[r.row_number].employer_code,
                found[r.row_number].employer_name,
                r.name,
                r.id_number,
                found[r.row_number].payment_status,
                MatchKind(found[r.row_number].match_kind).label,
                found[r.row_number].explanation,
            )
        )
        for r in sorted(listed, key=lambda r: r.row_number)
    ]
    assert len(expected) == len(world.rows) == 12
    by_row = {r.row_number: (r.name, r.id_number) for r in listed}
    listed_of = {case: by_row[row] for case, row in world.rows.items()}
    assert lines[1:] == expected
    kinds = {line[5] for line in lines[1:]}
    assert {MatchKind.EXACT_ID.label, MatchKind.UPGRADED_ID.label, MatchKind.NO_MATCH.label} <= kinds
    exact = lines[world.rows["exact"] - 1]
    assert exact[0] == (world.people["exact"].employer_code or "") and exact[4] == "正常发放"
    assert lines[world.rows["unknown"] - 1][:5] == ("", "", *listed_of["unknown"], "")  # nobody found: no employer
