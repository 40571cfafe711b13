"""Issue 17, the legacy migration's three gaps closed: the old system's certification dates (AC60) become this
system's certification history (source ``legacy``, 历史系统迁移, as of their own dates, seen by 6.13) without reaching
the province; the staging rows are purged once no longer needed while the report stays; and no two runs of the
same export at once (two real ``hub legacy import`` processes: one proceeds, the other is told why; a killed run does
not block the next)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app import jobs
from app.cli.legacy import CHUNK_PAUSE_ENV
from connectors.legacy.mapping import load_mapping
from connectors.legacy.pipeline import export_digest
from domain.certifications.rules import CertificationSource
from domain.certifications.service import Report as CertificationReport
from domain.certifications.service import record
from domain.dictionary.codes import PARAMETER_RANGES, PARAMETERS
from domain.dictionary.service import set_parameter
from domain.legacy import guard, purge, service
from domain.legacy.models import RunState
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import system_actor
from domain.shared.errors import DomainError
from hub.bootstrap import Hub
from hub.consumer import OutboxUnitOfWork
from hub.settings import Settings
from tests.integration.test_legacy import _export, _run, _scalar, _world
from tests.support.api import Api
from tests.support.harness import PROJECT_ROOT, wait_until
from tests.support.processes import hub_env

pytestmark = pytest.mark.integration

_STAGED = """
SELECT (SELECT count(*) FROM legacy_stage_person WHERE run_id = :r) + (SELECT count(*) FROM legacy_stage_archive
WHERE run_id = :r) + (SELECT count(*) FROM legacy_stage_unit WHERE run_id = :r) + (SELECT count(*)
FROM legacy_stage_event WHERE run_id = :r)
"""


async def _staged(hub: Hub, run_id: int) -> int:
    return int(await _scalar(hub, _STAGED, r=run_id))


async def test_17_old_certifications_become_history_without_reaching_the_province(
    registry_hub: Hub, api: Api, tmp_path: Path
) -> None:
    world = await _world(registry_hub)
    export, prefix = _export(world, tmp_path, 150, offset=random.randrange(10**6))
    assert export.rows["AC60"] > 0
    await _run(registry_hub, tmp_path, dry_run=False)

    people = {"p": f"{prefix}%"}
    async with registry_hub.sessions() as session:
        certifications = (
            await session.execute(
                text("""
            SELECT r.id, r.personal_number, r.status, r.institution_id, r.last_certified_on,
                   array_agg(c.certified_on ORDER BY c.certified_on) AS days,
                   bool_and(c.source = 'legacy' AND c.method = 'legacy') AS all_legacy
            FROM retiree r JOIN certification c ON c.retiree_id = r.id
            WHERE r.personal_number LIKE :p GROUP BY r.id
        """),
                people,
            )
        ).all()
        reports = (
            await session.execute(
                text("""
            SELECT cr.source, cr.source_id, cr.result, cr.certified_on, cr.certification_id, c.certified_on AS day
            FROM certification_report cr JOIN retiree r ON r.id = cr.retiree_id
            LEFT JOIN certification c ON c.id = cr.certification_id
            WHERE r.personal_number LIKE :p
        """),
                people,
            )
        ).all()
    assert len(certifications) > 50
    assert all(c.all_legacy for c in certifications)
    assert all(c.last_certified_on == c.days[-1] for c in certifications)  # the latest
    assert len(reports) == sum(len(c.days) for c in certifications)
    assert all(
        r.source == "legacy" and r.result == "passed" and r.source_id.startswith("AC60:") and r.day == r.certified_on
        for r in reports
    )
    # The same as the export: a dry run of it counts the clean AC60 rows of the people it would import.
    dry = await _run(registry_hub, tmp_path, dry_run=True)
    expected = await _scalar(
        registry_hub,
        """
        SELECT count(DISTINCT (e.personal_number, e.on_date)) FROM legacy_stage_event e
        JOIN legacy_stage_person p ON p.run_id = e.run_id AND p.personal_number = e.personal_number
             AND p.problem_code IS NULL
        JOIN legacy_stage_archive a ON a.run_id = e.run_id AND a.personal_number = e.personal_number
             AND a.problem_code IS NULL
        WHERE e.run_id = :r AND e.table_code = 'AC60' AND e.problem_code IS NULL
        """,
        r=dry.run_id,
    )
    assert expected == len(reports)
    # Nothing pushed to the province: no outbox event for these people (the certification events are keyed by them).
    assert await _scalar(registry_hub, "SELECT count(*) FROM hub_outbox WHERE key LIKE :p", **people) == 0

    # Imported again (a new run of the same export): not one more certification or report.
    await _run(registry_hub, tmp_path, dry_run=False)
    again = await _scalar(
        registry_hub,
        "SELECT count(*) FROM certification_report cr JOIN retiree r ON r.id = cr.retiree_id WHERE r.personal_number "
        "LIKE :p",
        **people,
    )
    assert again == len(reports)

    # 6.13 lists an old certification on its own date, as 历史系统迁移.
    person = next(c for c in certifications if c.status == "registered" and len(c.days) >= 2)
    day = person.days[0]
    token = await api.token(world.city_operator)
    answer = await api.call(
        "GET",
        f"/api/v1/queries/6.13?list=certified&from={day}&to={day}&institution_id={person.institution_id}&size=200",
        token,
    )
    assert answer.status_code == 200, answer.text
    rows = [row for row in answer.json()["items"] if row["personal_number"] == person.personal_number]
    assert len(rows) == 1 and rows[0]["source"] == "历史系统迁移"
    assert str(rows[0]["certified_on"]).startswith(day.isoformat())


async def test_17_an_old_certification_on_a_day_another_source_reported_joins_that_certification(
    registry_hub: Hub, tmp_path: Path
) -> None:
    world = await _world(registry_hub)
    _export(world, tmp_path, 60, offset=random.randrange(10**6))
    dry = await _run(registry_hub, tmp_path, dry_run=True)
    async with registry_hub.sessions() as session:
        person = (
            await session.execute(
                text("""
            SELECT p.personal_number, p.id_number, p.sex, p.birth_date, min(e.on_date) AS day, count(*) AS dates
            FROM legacy_stage_person p
            JOIN legacy_stage_archive a ON a.run_id = p.run_id AND a.personal_number = p.personal_number
                 AND a.problem_code IS NULL
            JOIN legacy_stage_event e ON e.run_id = p.run_id AND e.table_code = 'AC60'
                 AND e.personal_number = p.personal_number AND e.problem_code IS NULL
            WHERE p.run_id = :r AND p.problem_code IS NULL
            GROUP BY p.personal_number, p.id_number, p.sex, p.birth_date HAVING count(*) >= 2
            ORDER BY p.personal_number LIMIT 1
        """),
                {"r": dry.run_id},
            )
        ).one()
    # The province synced the person and the platform's face result of that day arrived, before the migration.
    async with registry_hub.sessions() as session, session.begin():
        synced = Retiree(
            personal_number=person.personal_number,
            id_number=person.id_number,
            name="省平台名",
            sex=person.sex,
            birth_date=person.birth_date,
            insuring_agency_code="130100",
        )
        session.add(synced)
        await session.flush()
        assert synced.id is not None
        uow = OutboxUnitOfWork(session, registry_hub.outbox, source=registry_hub.settings.event_source)
        face = CertificationReport(
            synced.id, CertificationSource.FACE_RECOGNITION, f"F-{person.personal_number}", "face", person.day, True
        )
        await record(uow, system_actor("t"), face, today=calendar.today())
    await _run(registry_hub, tmp_path, dry_run=False)
    async with registry_hub.sessions() as session:
        days = (
            await session.execute(
                text("SELECT id, certified_on, source FROM certification WHERE retiree_id = :r ORDER BY certified_on"),
                {"r": synced.id},
            )
        ).all()
        reports = (
            await session.execute(
                text(
                    "SELECT source, certification_id FROM certification_report"
                    " WHERE retiree_id = :r AND certified_on = :d"
                ),
                {"r": synced.id, "d": person.day},
            )
        ).all()
        last = await session.scalar(text("SELECT last_certified_on FROM retiree WHERE id = :r"), {"r": synced.id})
    assert len(days) == person.dates and last == days[-1].certified_on
    that_day = next(d for d in days if d.certified_on == person.day)
    assert that_day.source == "face_recognition"  # kept: it outranks the old system's record
    assert sorted(r.source for r in reports) == ["face_recognition", "legacy"]
    assert all(r.certification_id == that_day.id for r in reports)  # one certification that day, both reports on it
    assert all(d.source == "legacy" for d in days if d.certified_on != person.day)


async def test_17_staging_is_purged_once_imported_and_the_report_stays(registry_hub: Hub, tmp_path: Path) -> None:
    world = await _world(registry_hub)
    _export(world, tmp_path, 120, offset=random.randrange(10**6))
    actor = system_actor("t")
    first = await _run(registry_hub, tmp_path, dry_run=True)
    assert await _staged(registry_hub, first.run_id) > 0
    async with registry_hub.sessions() as session:
        before = await service.report(session, first.run_id)
        refused_before = await service.refusals(session, actor, first.run_id, table=None, offset=0, limit=10_000)
    assert before.refusals and refused_before[0] > 0

    # A newer dry run of the same export supersedes the first: its staging goes, its report stays whole.
    second = await _run(registry_hub, tmp_path, dry_run=True)
    assert await _staged(registry_hub, first.run_id) == 0 and await _staged(registry_hub, second.run_id) > 0
    async with registry_hub.sessions() as session:
        after = await service.report(session, first.run_id)
        refused_after = await service.refusals(session, actor, first.run_id, table=None, offset=0, limit=10_000)
        assert (await service.get_run(session, first.run_id)).staging_purged_at is not None
    assert [(t.table_code, t.rows_read, t.would_import, t.refused) for t in after.tables] == [
        (t.table_code, t.rows_read, t.would_import, t.refused) for t in before.tables
    ]
    assert [(s.status, s.people) for s in after.statuses] == [(s.status, s.people) for s in before.statuses]
    assert after.refusals == before.refusals and after.differences == before.differences
    assert refused_after == refused_before

    # The import (from the second dry run's rows) once imported: its staging and the dry run's are gone.
    imported = await _run(registry_hub, tmp_path, dry_run=False)
    assert imported.state is RunState.IMPORTED
    assert await _staged(registry_hub, imported.run_id) == 0 and await _staged(registry_hub, second.run_id) == 0
    async with registry_hub.sessions() as session:
        report = await service.report(session, imported.run_id)
        total, _ = await service.refusals(session, actor, imported.run_id, table=None, offset=0, limit=10)
    assert [(t.table_code, t.rows_read, t.refused) for t in report.tables] == [
        (t.table_code, t.rows_read, t.refused) for t in before.tables
    ]
    assert total == refused_before[0] and sum(s.people for s in report.statuses) > 0

    # A dry run left alone goes after the retention period (the 1.4 parameter, 1 to 365 days).
    assert PARAMETER_RANGES[purge.RETENTION_PARAMETER] == (1, 365)
    assert 1 <= int(PARAMETERS[purge.RETENTION_PARAMETER][0]) <= 365
    async with registry_hub.sessions() as session, session.begin():
        admin = system_actor("t-admin")
        for wrong in ("0", "366"):
            with pytest.raises(DomainError) as refused:
                await set_parameter(session, admin, purge.RETENTION_PARAMETER, wrong)
            assert refused.value.code == "PARAMETER_OUT_OF_RANGE"
    other = tmp_path / "other"
    _export(world, other, 40, offset=random.randrange(10**6))
    lone = await _run(registry_hub, other, dry_run=True)
    async with registry_hub.sessions() as session, session.begin():
        assert lone.run_id not in await purge.purge_expired(session, datetime.now(UTC))  # still within retention
    assert await _staged(registry_hub, lone.run_id) > 0
    later = datetime.now(UTC) + timedelta(days=int(PARAMETERS[purge.RETENTION_PARAMETER][0]) + 1)
    assert lone.run_id in await jobs.purge_legacy_staging(registry_hub, later)  # the nightly job
    assert await _staged(registry_hub, lone.run_id) == 0
    async with registry_hub.sessions() as session:
        assert (await service.report(session, lone.run_id)).tables  # the report stays


async def _import_process(settings: Settings, directory: Path, pause: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "legacy",
        "import",
        str(directory),
        "--chunk",
        "40",
        cwd=PROJECT_ROOT,
        env=hub_env(settings, **{CHUNK_PAUSE_ENV: pause}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_17_no_two_imports_of_the_same_export_at_once_and_a_killed_one_blocks_nothing(
    registry_hub: Hub, settings: Settings, tmp_path: Path
) -> None:
    world = await _world(registry_hub)
    _export(world, tmp_path, 240, offset=random.randrange(10**6))
    # Two `hub legacy import` processes of the same export started together: exactly one proceeds.
    first, second = await asyncio.gather(
        _import_process(settings, tmp_path, "0.6"), _import_process(settings, tmp_path, "0.6")
    )
    outcomes: list[tuple[int, bytes, bytes]] = []
    for process in (first, second):
        out, err = await process.communicate()
        assert process.returncode is not None
        outcomes.append((process.returncode, out, err))
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 3], outcomes
    refused = next(err.decode() for code, _, err in outcomes if code == 3)
    assert "LEGACY_IMPORT_RUNNING" in refused and "another run of this export" in refused and "in progress" in refused
    runs = await _scalar(registry_hub, "SELECT count(*) FROM legacy_run WHERE source = :s", s=str(tmp_path))
    assert runs == 1  # the refused one started no run of its own

    # In process (as the API and console would meet it): the ErrorCode and the Chinese message naming the run.
    mapping = load_mapping()
    engine: Any = registry_hub.engine
    again = tmp_path / "again"
    _export(world, again, 60, offset=random.randrange(10**6))
    async with guard.exclusive(engine, export_digest(again, mapping)):
        with pytest.raises(guard.ImportRunning) as told:
            await _run(registry_hub, again, dry_run=False)
    assert told.value.code == "LEGACY_IMPORT_RUNNING" and told.value.status == 409
    assert "正在另一进程中进行" in told.value.message and "不能同时再次导入" in told.value.message
    assert (await _run(registry_hub, again, dry_run=True)).state is RunState.VALIDATED  # free once released

    # A run killed half-way (its process gone) holds nothing: the next import proceeds at once and resumes it.
    killed = tmp_path / "killed"
    _export(world, killed, 240, offset=random.randrange(10**6))
    process = await _import_process(settings, killed, "0.5")

    async def half_way() -> bool:
        done = await _scalar(registry_hub, "SELECT max(chunks_done) FROM legacy_run WHERE source = :s", s=str(killed))
        return bool(done and done >= 2)

    await wait_until(half_way, 120, "two chunks imported")
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()
    resumed = await asyncio.wait_for(_run(registry_hub, killed, dry_run=False, chunk=40), timeout=120)
    assert resumed.resumed and resumed.state is RunState.IMPORTED
