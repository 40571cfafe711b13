"""Community move benchmark (4.8, issue 15): on the benchmarks' database (1,000,000 retirees), split the largest
community's people to a sibling community of the same street — the move recorded with its member snapshot, then
applied chunk by chunk through the same code ``hub moves run`` runs — and print the time of each phase, rows per
second and this worker's peak memory (ru_maxrss, and tracemalloc's peak of Python allocations while applying).

    python -m bench.community_move [--chunk 2000]

Everything runs in one transaction that is rolled back at the end (each chunk in its own savepoint, as a runner's
chunk is its own transaction), so the benchmarks' database stays as it was. Needs the database migrated to 0015
(``make bench-moves`` does it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time
import tracemalloc
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.community_moves import apply as applying
from domain.community_moves import service as moves
from domain.community_moves.models import AccountHandling, MoveKind
from domain.community_moves.rules import Selection
from domain.shared import calendar
from domain.shared.actor import system_actor
from hub.bootstrap import bootstrap
from hub.settings import Settings

DEFAULT_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"
ACTOR = system_actor("bench-community-move")

_LARGEST = text(
    """
    SELECT r.institution_id, count(*) FROM retiree r
    WHERE r.status IN ('registered', 'suspended', 'transferring_out') AND r.institution_id IS NOT NULL
    GROUP BY 1 ORDER BY 2 DESC LIMIT 1
    """
)
_SIBLING = text(
    """
    SELECT s.id FROM institution c JOIN institution s ON s.parent_id = c.parent_id
    WHERE c.id = :id AND s.id <> c.id AND s.active AND s.level = 'community' ORDER BY s.id LIMIT 1
    """
)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(chunk: int) -> None:
    hub = bootstrap(Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL)), consumer_groups=())
    try:
        async with hub.sessions() as session:
            await session.begin()
            source, people = (await session.execute(_LARGEST)).one()
            target = (await session.execute(_SIBLING, {"id": source})).scalar_one()
            print(f"largest community {source}: {people} people under management; target sibling {target}")
            rss_before = _rss_mib()

            started = time.perf_counter()
            preview = await moves.preview(
                session, ACTOR, kind=MoveKind.MERGE, source_id=source, target_id=target, selection=Selection()
            )
            preview_s = time.perf_counter() - started

            started = time.perf_counter()
            move = await moves.create(session, ACTOR, await _request(session, source, target, preview))
            create_s = time.perf_counter() - started
            assert move.id is not None

            tracemalloc.start()
            started = time.perf_counter()
            chunks = moved = 0
            slowest = 0.0
            while True:
                chunk_started = time.perf_counter()
                async with session.begin_nested():
                    result = await applying.apply_chunk(hub.unit_of_work(session, "bench"), move.id, size=chunk)
                slowest = max(slowest, time.perf_counter() - chunk_started)
                chunks += 1
                moved += result.moved
                session.expunge_all()
                if result.completed:
                    break
            apply_s = time.perf_counter() - started
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            await session.rollback()
    finally:
        await hub.engine.dispose()

    print(f"preview (count + first page + exclusions): {preview_s:.2f} s; movable {preview.movable}")
    print(f"create (checks + member snapshot INSERT … SELECT of {move.total}): {create_s:.2f} s")
    print(
        f"apply: {moved} moved in {chunks} chunks of {chunk} in {apply_s:.2f} s = {moved / apply_s:,.0f} rows/s;"
        f" slowest chunk {slowest:.2f} s"
    )
    print(f"total: {preview_s + create_s + apply_s:.2f} s")
    print(
        f"worker peak memory: ru_maxrss {_rss_mib():.0f} MiB (before the move {rss_before:.0f} MiB);"
        f" tracemalloc peak while applying {traced_peak / 2**20:.1f} MiB"
    )
    print("rolled back: the benchmarks' database is as it was")


async def _request(session: AsyncSession, source: int, target: int, preview: moves.Preview) -> moves.MoveRequest:
    """A merge of the whole community; if some of its people are in an open transfer (a merge is refused then), a
    split by list of everybody who may move — the same people a merge would move."""
    effective = max(preview.latest_registration or calendar.today(), calendar.today())
    request = moves.MoveRequest(
        kind=MoveKind.MERGE,
        source_id=source,
        target_id=target,
        effective_date=effective,
        reason="bench: the largest community merged",
        account_handling=AccountHandling.MOVE,
    )
    if preview.excluded_count == 0:
        print("a merge (nobody of the community in an open transfer)")
        return request
    ids = await session.execute(text(f"SELECT r.id FROM retiree r WHERE {moves.MOVABLE}"), {"source": source})
    chosen = tuple(row[0] for row in ids)
    print(f"a split by list of {len(chosen)} ({preview.excluded_count} in an open transfer would block a merge)")
    return replace(request, kind=MoveKind.SPLIT, selection=Selection(retiree_ids=chosen), account_handling=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunk", type=int, default=applying.DEFAULT_CHUNK)
    asyncio.run(run(parser.parse_args().chunk))


if __name__ == "__main__":
    main()
