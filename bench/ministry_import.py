"""Ministry import benchmark (2.7, issue 16): a 100,000-row cross-region certification file of retirees of the
benchmarks' database (1,000,000 retirees) staged — read, validated row by row, COPied in chunks, then the set-based
registry lookup, duplicates and counts — and applied (a ``certification.recorded`` event per row through the outbox,
chunk by chunk), through the same code the worker runs. Prints the time of each phase, rows per second and this
process's peak memory (ru_maxrss). Targets: staged in under 30 s, applied in under 60 s.

    python -m bench.ministry_import [--rows 100000] [--chunk 5000] [--format csv|xlsx]

The import and the events it put in the outbox are deleted at the end (no audit entry is written: the import is
stored and its commit asked for directly), so the benchmarks' database stays as it was. Needs the database migrated
to 0020 (``make bench-ministry-import`` does it).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import resource
import time
import uuid
from datetime import timedelta

from sqlalchemy import text
from xlsxwriter import Workbook

import domain.tables  # noqa: F401  (every table mapped, for the import's foreign keys)
from app.imports import commit_import
from connectors.ministry_import import staging
from domain.ministry_imports.models import ImportKind, ImportState, MinistryImport, MinistryImportFile
from domain.shared import calendar
from hub.bootstrap import bootstrap
from hub.settings import Settings

DEFAULT_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"
HEADER = ["姓名", "身份证号", "个人编号", "认证日期", "认证方式", "认证地点"]
_EVENTS_SINCE = "SELECT count(*) FROM hub_outbox WHERE id > :id AND event_type = 'certification.recorded'"
METHODS = ["异地认证", "人脸识别", "现场认证", "视频认证"]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _file(people: list[tuple[str, str, str]], fmt: str, tag: str) -> bytes:
    today = calendar.today()
    rows = [
        [name, id_number, personal, (today - timedelta(days=i % 300)).isoformat(), METHODS[i % 4], f"海南省{tag}"]
        for i, (name, id_number, personal) in enumerate(people)
    ]
    if fmt == "csv":
        return ("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n").encode()
    out = io.BytesIO()
    workbook = Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("认证结果")
    for index, row in enumerate([HEADER, *rows]):
        sheet.write_row(index, 0, row)
    workbook.close()
    return out.getvalue()


async def main(rows: int, chunk: int, fmt: str) -> None:
    settings = Settings(database_url=os.environ.get("HUB_DATABASE_URL", DEFAULT_URL))
    hub = bootstrap(settings, consumer_groups=())
    tag = uuid.uuid4().hex[:8]
    try:
        async with hub.sessions() as session:
            people = [
                (r.name, r.id_number, r.personal_number)
                for r in await session.execute(
                    text("SELECT name, id_number, personal_number FROM retiree ORDER BY id LIMIT :n"), {"n": rows}
                )
            ]
            root = (
                await session.execute(text("SELECT id FROM institution WHERE parent_id IS NULL LIMIT 1"))
            ).scalar_one()
            outbox_before = (await session.execute(text("SELECT coalesce(max(id), 0) FROM hub_outbox"))).scalar_one()
        content = _file(people, fmt, tag)
        del people
        rss_before = _rss_mib()
        async with hub.sessions() as session, session.begin():
            item = MinistryImport(
                kind=ImportKind.CROSS_REGION_CERTIFICATIONS,
                file_name=f"bench-{tag}.{fmt}",
                file_digest=hashlib.sha256(content).hexdigest(),
                file_size=len(content),
                uploaded_by="bench",
                institution_id=root,
            )
            session.add(item)
            await session.flush()
            assert item.id is not None
            import_id = item.id
            session.add(MinistryImportFile(import_id=import_id, content=content))
        size_mib = len(content) / 2**20
        del content
        try:
            started = time.perf_counter()
            result = await staging.stage(hub.sessions, import_id, today=calendar.today(), chunk=chunk)
            stage_s = time.perf_counter() - started
            async with hub.sessions() as session, session.begin():
                staged = await session.get(MinistryImport, import_id)
                assert staged is not None and staged.state is ImportState.STAGED, (result, staged)
                counts = (staged.total_rows, staged.valid_rows, staged.exception_rows, staged.duplicate_rows)
                staged.state = ImportState.COMMITTING
                staged.processed_rows = 0
            started = time.perf_counter()
            await commit_import(hub, import_id, chunk=chunk)
            apply_s = time.perf_counter() - started
            async with hub.sessions() as session:
                done = await session.get(MinistryImport, import_id)
                assert done is not None
                applied = done.applied_rows
                events = (
                    await session.execute(
                        text(
                            "SELECT count(*) FROM hub_outbox WHERE id > :id AND event_type = 'certification.recorded'"
                        ),
                        {"id": outbox_before},
                    )
                ).scalar_one()
        finally:
            async with hub.sessions() as session, session.begin():
                await session.execute(
                    text("DELETE FROM hub_outbox WHERE id > :id AND event_type = 'certification.recorded'"),
                    {"id": outbox_before},
                )
                await session.execute(text("DELETE FROM ministry_import WHERE id = :id"), {"id": import_id})
    finally:
        await hub.engine.dispose()

    total, valid, exceptions, duplicates = counts
    print(f"file: {rows:,} rows, {fmt}, {size_mib:.1f} MiB; chunk {chunk}")
    print(
        f"staged: {total:,} rows (valid {valid:,}, exceptions {exceptions:,}, duplicates {duplicates:,}) in"
        f" {stage_s:.2f} s = {total / stage_s:,.0f} rows/s (target < 30 s)"
    )
    print(
        f"applied: {applied:,} rows, {events:,} certification.recorded events in the outbox, in {apply_s:.2f} s ="
        f" {applied / apply_s:,.0f} rows/s (target < 60 s)"
    )
    print(f"peak memory: ru_maxrss {_rss_mib():.0f} MiB (before staging {rss_before:.0f} MiB)")
    print("cleaned up: the import and its outbox events deleted")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=staging.DEFAULT_CHUNK)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.chunk, arguments.format))
