"""Issue 17, the migration of the 2007 system: a generated export with its dirt staged, validated and reported per
table, per status and per reason (the clean rows kept); the import killed half-way (a real SIGKILL of ``hub legacy
import``) and run again gives the registry one run gives; the old history as of its own dates (the state periods and
6.3 as of a past date see it) and nothing of it in the outbox; the report API for the city level only."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.cli.legacy import CHUNK_PAUSE_ENV
from connectors.legacy.generator import Dirt, GeneratedExport, generate, identity
from connectors.legacy.mapping import load_mapping
from connectors.legacy.pipeline import RunOutcome, run_import
from domain.legacy import service
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import system_actor
from hub.bootstrap import Hub
from hub.settings import Settings
from tests import factories
from tests.support.api import Api
from tests.support.harness import PROJECT_ROOT, wait_until
from tests.support.processes import hub_env

pytestmark = pytest.mark.integration

RUNS = "/api/v1/legacy-runs"
# Tibet's divisions: neither the seed (Hebei) nor the factories (Xinjiang) give people numbers there. Two sets of the
# same length give two exports identical but for the people's numbers.
AREAS_A = ("540102", "540121", "540122", "540123")
AREAS_B = ("540124", "540125", "540126", "540127")
DIRTY = {
    Dirt.OLD_ID_NUMBER: 0.06,
    Dirt.WRONG_CHECK: 0.04,
    Dirt.DUPLICATE: 0.04,
    Dirt.UNKNOWN_CODE: 0.04,
    Dirt.BAD_DATE: 0.04,
    Dirt.TEXT_DATE: 0.3,
}


@dataclass
class World:
    tree: factories.Tree
    city_operator: str
    district_operator: str


async def _world(hub: Hub) -> World:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        city = await factories.account(session, tree.city, "operator")
        district = await factories.account(session, tree.district, "operator")
    return World(tree, city.username, district.username)


def _export(
    world: World, directory: Path, people: int, *, areas: tuple[str, ...] = AREAS_A, offset: int, seed: int = 17
) -> tuple[GeneratedExport, str]:
    prefix = f"T{uuid.uuid4().hex[:6].upper()}"
    result = generate(
        directory,
        people,
        seed=seed,
        prefix=prefix,
        districts=[world.tree.district.code],
        areas=areas,
        id_offset=offset,
        as_of=calendar.today() - timedelta(days=1),
        rates=DIRTY,
    )
    return result, prefix


async def _run(hub: Hub, directory: Path, *, dry_run: bool, chunk: int = 10_000) -> RunOutcome:
    return await run_import(
        hub.sessions,
        system_actor("test-legacy"),
        directory,
        load_mapping(),
        dry_run=dry_run,
        today=calendar.today(),
        chunk_size=chunk,
    )


async def _scalar(hub: Hub, sql: str, **params: Any) -> Any:
    async with hub.sessions() as session:
        return await session.scalar(text(sql), params)


async def test_17_a_dry_run_reports_each_kind_of_dirt_with_its_reason_and_changes_nothing(
    registry_hub: Hub, tmp_path: Path
) -> None:
    world = await _world(registry_hub)
    offset = random.randrange(10**6)
    export, prefix = _export(world, tmp_path, 300, offset=offset)
    assert all(export.dirt[d] > 0 for d in Dirt), export.dirt
    # Person 0 is already in the registry, synced from the province (approved, not registered) under another name.
    clean = next(i for i in range(300) if all(f"{prefix}{i:09d}" not in export.examples[d] for d in DIRTY))
    id_number, birth, sex = identity(offset + clean, AREAS_A)
    async with registry_hub.sessions() as session, session.begin():
        synced = Retiree(
            personal_number=f"{prefix}{clean:09d}",
            id_number=id_number,
            name="省平台名",
            sex=sex,
            birth_date=birth,
            insuring_agency_code="130100",
        )
        session.add(synced)
        await session.flush()
    outcome = await _run(registry_hub, tmp_path, dry_run=True)

    assert (
        await _scalar(registry_hub, "SELECT count(*) FROM retiree WHERE personal_number LIKE :p", p=f"{prefix}%") == 1
    )
    assert await _scalar(registry_hub, "SELECT count(*) FROM institution WHERE code LIKE :p", p=f"{prefix}%") == 0
    async with registry_hub.sessions() as session:
        report = await service.report(session, outcome.run_id)
        _, refused = await service.refusals(
            session, system_actor("t"), outcome.run_id, table=None, offset=0, limit=10_000
        )
    tables = {t.table_code: t for t in report.tables}
    assert tables["AC01"].rows_read == export.rows["AC01"] and tables["AC60"].rows_read == export.rows["AC60"]
    assert tables["AC01"].would_merge == 1
    by_number: dict[str, list[service.Refusal]] = {}
    for r in refused:
        number = r.message.split("第")[0]
        by_number.setdefault(number, []).append(r)
    codes = {g.code for g in report.refusals}
    assert {"BAD_ID_NUMBER", "DUPLICATE_PERSON", "UNKNOWN_CODE", "BAD_DATE", "PERSON_REFUSED"} <= codes
    messages = [r.message for r in refused]
    # Each kind of dirt with its reason, naming file, row and column.
    assert any("校验位错误" in m and "aac002" in m for m in messages)
    assert any("身份证号码相同，为同一人重复录入" in m for m in messages)
    assert any("不在字典中" in m for m in messages)
    assert any("不是有效日期" in m and "aae036" in m for m in messages)
    # The clean kinds of dirt are kept: 15-digit numbers upgraded, dates spelt as text read.
    old = export.examples[Dirt.OLD_ID_NUMBER][0]
    async with registry_hub.sessions() as session:
        staged = (
            await session.execute(
                text(
                    "SELECT id_number, id_upgraded, problem_code FROM legacy_stage_person"
                    " WHERE run_id = :r AND personal_number = :n"
                ),
                {"r": outcome.run_id, "n": old},
            )
        ).one()
        textual = [
            n
            for n in export.examples[Dirt.TEXT_DATE]
            if all(n not in export.examples[d] for d in DIRTY if d is not Dirt.TEXT_DATE)
        ]
        kept = await session.scalar(
            text(
                "SELECT count(*) FROM legacy_stage_archive"
                " WHERE run_id = :r AND personal_number = ANY(:n) AND problem_code IS NULL"
            ),
            {"r": outcome.run_id, "n": textual},
        )
    assert staged.problem_code is None and staged.id_upgraded and len(staged.id_number) == 18
    assert kept == len(textual) > 0
    statuses = {s.status: s.people for s in report.statuses}
    assert sum(statuses.values()) == tables["IC10"].would_import + tables["IC10"].would_merge
    assert report.differences >= 2  # the merged person: name and status (approved here, registered there)
    async with registry_hub.sessions() as session:
        _, diffs = await service.differences(session, system_actor("t"), outcome.run_id, offset=0, limit=100)
    fields = {d.field: d for d in diffs if d.retiree_id == synced.id}
    assert fields["name"].registry_value == "省平台名" and fields["status"].registry_value == "approved"


async def _snapshot(hub: Hub, prefix: str) -> list[tuple[Any, ...]]:
    """The registry's people of one export and their history, with the export's own codes taken out."""
    async with hub.sessions() as session:
        people = (
            await session.execute(
                text("""
            SELECT substr(r.personal_number, 8), substr(r.id_number, 7, 11), r.name, r.status, substr(i.code, 8),
                   r.registered_on, r.status_since, r.death_date, r.last_certified_on, r.suspension_reason, r.version,
                   (SELECT array_agg(s.kind || s.from_status || s.to_status || s.effective_date || s.sync_state
                                     ORDER BY s.effective_date, s.id)
                    FROM status_change s WHERE s.retiree_id = r.id)
            FROM retiree r JOIN institution i ON i.id = r.institution_id
            WHERE r.personal_number LIKE :p ORDER BY r.personal_number
        """),
                {"p": f"{prefix}%"},
            )
        ).all()
    return [tuple(row) for row in people]


async def test_17_an_import_killed_half_way_and_run_again_gives_the_registry_of_one_run(
    registry_hub: Hub, settings: Settings, tmp_path: Path
) -> None:
    world = await _world(registry_hub)
    offset = random.randrange(10**6)
    _, killed_prefix = _export(world, tmp_path / "a", 240, offset=offset)
    _, once_prefix = _export(world, tmp_path / "b", 240, areas=AREAS_B, offset=offset)
    env = hub_env(settings, **{CHUNK_PAUSE_ENV: "0.5"})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "legacy",
        "import",
        str(tmp_path / "a"),
        "--chunk",
        "40",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    source = str(tmp_path / "a")

    async def half_way() -> bool:
        done = await _scalar(registry_hub, "SELECT max(chunks_done) FROM legacy_run WHERE source = :s", s=source)
        return bool(done and done >= 2)

    await wait_until(half_way, 120, "two chunks imported")
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()
    run_id = await _scalar(registry_hub, "SELECT max(id) FROM legacy_run WHERE source = :s", s=source)
    async with registry_hub.sessions() as session:
        run = await service.get_run(session, run_id)
    assert 2 <= run.chunks_done < run.chunks_total  # really killed half-way

    resumed = await _run(registry_hub, tmp_path / "a", dry_run=False, chunk=40)
    assert resumed.resumed and resumed.run_id == run_id
    await _run(registry_hub, tmp_path / "b", dry_run=False, chunk=40)
    killed, once = await _snapshot(registry_hub, killed_prefix), await _snapshot(registry_hub, once_prefix)
    assert len(killed) > 200 and killed == once
    # One audit entry per chunk, none repeated by the resumed run.
    audited = await _scalar(
        registry_hub,
        "SELECT count(*) FROM audit_entry WHERE action = 'legacy.import' AND (detail ->> 'run_id')::bigint = :r",
        r=run_id,
    )
    assert audited == run.chunks_total
    # The same export imported again changes nothing.
    await _run(registry_hub, tmp_path / "a", dry_run=False, chunk=40)
    assert await _snapshot(registry_hub, killed_prefix) == killed


async def test_17_history_is_imported_as_of_its_own_dates_and_nothing_is_pushed_to_the_province(
    registry_hub: Hub, api: Api, tmp_path: Path
) -> None:
    world = await _world(registry_hub)
    _, prefix = _export(world, tmp_path, 200, offset=random.randrange(10**6))
    await _run(registry_hub, tmp_path, dry_run=False)
    async with registry_hub.sessions() as session:
        suspended = (
            await session.execute(
                text("""
            SELECT r.id, r.personal_number, r.institution_id, r.registered_on, s.effective_date AS suspended_on
            FROM retiree r JOIN status_change s ON s.retiree_id = r.id AND s.kind = 'suspended'
            WHERE r.personal_number LIKE :p AND r.status = 'suspended' ORDER BY r.id LIMIT 1
        """),
                {"p": f"{prefix}%"},
            )
        ).one()
        entries = (
            await session.execute(
                text("SELECT cause_type, sync_state, event_id FROM status_change WHERE personal_number LIKE :p"),
                {"p": f"{prefix}%"},
            )
        ).all()
        outbox = await session.scalar(text("SELECT count(*) FROM hub_outbox WHERE key LIKE :p"), {"p": f"{prefix}%"})

        async def state_on(day: date) -> str | None:
            status: str | None = await session.scalar(
                text("""
                SELECT status FROM retiree_state_period WHERE retiree_id = :r
                  AND (valid_from IS NULL OR valid_from <= :d) AND (valid_to IS NULL OR valid_to > :d)
            """),
                {"r": suspended.id, "d": day},
            )
            return status

        assert await state_on(suspended.registered_on - timedelta(days=1)) == "approved"
        assert await state_on(suspended.registered_on) == "registered"
        assert await state_on(suspended.suspended_on - timedelta(days=1)) == "registered"
        assert await state_on(suspended.suspended_on) == "suspended"
    assert entries and all(
        e.cause_type == "import" and e.sync_state == "not_sent" and e.event_id is None for e in entries
    )
    assert outbox == 0
    # 6.3 as of the day before the suspension lists the person as registered at their community; today it does not.
    token = await api.token(world.city_operator)
    path = f"/api/v1/queries/6.3?institution_id={suspended.institution_id}&size=100"
    before = (await api.call("GET", f"{path}&on={suspended.suspended_on - timedelta(days=1)}", token)).json()
    now = (await api.call("GET", path, token)).json()
    assert suspended.personal_number in {row["personal_number"] for row in before["items"]}
    assert suspended.personal_number not in {row["personal_number"] for row in now["items"]}


async def test_17_the_report_api_is_for_the_city_level_only(registry_hub: Hub, api: Api, tmp_path: Path) -> None:
    world = await _world(registry_hub)
    _export(world, tmp_path, 120, offset=random.randrange(10**6))
    outcome = await _run(registry_hub, tmp_path, dry_run=True)
    city, district = await api.token(world.city_operator), await api.token(world.district_operator)
    paths = [
        RUNS,
        f"{RUNS}/{outcome.run_id}",
        f"{RUNS}/{outcome.run_id}/refusals",
        f"{RUNS}/{outcome.run_id}/differences",
    ]
    for path in paths:
        assert (await api.call("GET", path, city)).status_code == 200, path
        refused = await api.call("GET", path, district)
        assert refused.status_code == 403 and refused.json()["code"] == "CITY_LEVEL_ONLY", path
    report = (await api.call("GET", f"{RUNS}/{outcome.run_id}", city)).json()
    assert report["run"]["dry_run"] is True and {t["table_code"] for t in report["tables"]} >= {"AC01", "IC10", "AEF1"}
    page = (await api.call("GET", f"{RUNS}/{outcome.run_id}/refusals?table=AC01&size=5", city)).json()
    assert page["total"] > 0 and all(r["table_code"] == "AC01" for r in page["items"])
    assert all("*" in r["message"] for r in page["items"] if r["code"] == "BAD_ID_NUMBER")  # ID numbers masked
    missing = await api.call("GET", f"{RUNS}/999999999", city)
    assert missing.status_code == 404 and missing.json()["code"] == "LEGACY_RUN_NOT_FOUND"
    audited = await _scalar(
        registry_hub,
        "SELECT count(*) FROM audit_entry WHERE action = 'legacy.report' AND target = :t",
        t=f"legacy_run:{outcome.run_id}",
    )
    assert audited >= 1


async def test_17_only_a_finished_import_marks_the_migration_complete(registry_hub: Hub, tmp_path: Path) -> None:
    from domain.legacy import state
    from domain.shared.errors import Conflict

    world = await _world(registry_hub)
    export, prefix = _export(world, tmp_path, 60, offset=random.randrange(10**6))
    dry = await _run(registry_hub, tmp_path, dry_run=True)
    async with registry_hub.sessions() as session, session.begin():
        with pytest.raises(Conflict) as refused:
            await state.mark_complete(session, system_actor("t"), run_id=dry.run_id)
    assert refused.value.code == "LEGACY_RUN_NOT_IMPORTED"
    # The import after the dry run starts from its staged rows (not read again) and imports the clean people.
    imported = await _run(registry_hub, tmp_path, dry_run=False)
    async with registry_hub.sessions() as session:
        dry_report, import_report = (
            await service.report(session, dry.run_id),
            await service.report(session, imported.run_id),
        )
    assert [(t.table_code, t.rows_read, t.refused) for t in import_report.tables] == [
        (t.table_code, t.rows_read, t.refused) for t in dry_report.tables
    ]
    people = await _scalar(registry_hub, "SELECT count(*) FROM retiree WHERE personal_number LIKE :p", p=f"{prefix}%")
    assert people == sum(s.people for s in dry_report.statuses) > 0
    assert export.rows["AC01"] > people
    async with registry_hub.sessions() as session, session.begin():
        await state.mark_complete(session, system_actor("t"), run_id=imported.run_id)
        await state.mark_complete(session, system_actor("t"), run_id=imported.run_id)  # twice: one mark
        assert await state.migration_complete(session)
