"""Suspicious-list comparison benchmark (2.8): a list of N rows compared with the whole registry of the benchmarks'
database (1,000,000 seeded retirees) by domain/suspicious/compare.compare_import, the committer of a
``suspicious_list`` import.

The list is made from the registry itself, set-based, as staging would leave it (``ministry_import_row``, outcome
valid): per 100 rows 50 exact, 10 written as the legacy 15-character number, 5 with a space inside the name, 3 with
traditional characters, 2 with the surname 张 typed as 章 (a homophone when the surname is 张), 5 the same name and
birth date under another (valid) number, 25 unknown people. Building the list is timed apart; the comparison is the
figure (target under 60 s for 1,000,000 rows). Everything runs in one transaction that is rolled back, so the
database stays as it was (and the name-key cache starts cold each run: the figure includes filling it). With
``--warm`` the name-key cache is filled first and timed apart, as a real second comparison finds it (the cache is
committed with the first import; a later list only adds its own new names): the figure is then the warm case.

    python -m bench.suspicious_compare [--rows 1000000] [--chunk 20000] [--warm]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import time

from sqlalchemy import text

from domain.suspicious import compare
from hub.bootstrap import bootstrap
from hub.settings import Settings

DEFAULT_URL = "postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench"

_CHECK = text(
    """
    CREATE FUNCTION pg_temp.id_check(body text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT substr('10X98765432', (sum(substr(body, i, 1)::int * ((2 ^ (18 - i))::bigint % 11)) % 11)::int + 1, 1)
        FROM generate_series(1, 17) AS i
    $$
    """
)

_LIST = text(
    """
    INSERT INTO ministry_import_row (import_id, row_number, name, id_number, id_number_18, fields, problems, outcome)
    SELECT :import, s.n + 1, s.listed_name, s.written, s.id18, '{}'::jsonb, '[]'::jsonb, 'valid'
    FROM (
        SELECT p.n,
               CASE
                   WHEN p.k < 60 THEN p.name
                   WHEN p.k < 65 THEN substr(p.name, 1, 1) || ' ' || substr(p.name, 2)
                   WHEN p.k < 68 THEN translate(p.name, '张陈刘杨赵华国伟军红东', '張陳劉楊趙華國偉軍紅東')
                   WHEN p.k < 70 THEN CASE WHEN p.name LIKE '张%' THEN '章' || substr(p.name, 2) ELSE p.name END
                   WHEN p.k < 75 THEN p.name
                   ELSE '测' || p.name
               END AS listed_name,
               CASE
                   WHEN p.k >= 50 AND p.k < 60 THEN substr(p.id_number, 1, 6) || substr(p.id_number, 9, 9)
                   WHEN p.k >= 70 THEN p.other
                   ELSE p.id_number
               END AS written,
               CASE WHEN p.k >= 70 THEN p.other ELSE p.id_number END AS id18
        FROM (
            SELECT q.n, q.k, q.name, q.id_number,
                   q.body || pg_temp.id_check(q.body) AS other
            FROM (
                SELECT row_number() OVER (ORDER BY r.id) AS n, (row_number() OVER (ORDER BY r.id)) % 100 AS k,
                       r.name, r.id_number,
                       '659001' || to_char(r.birth_date, 'YYYYMMDD') || lpad((900 + r.id % 100)::text, 3, '0') AS body
                FROM retiree r
                ORDER BY r.id
                LIMIT :rows
            ) AS q
        ) AS p
    ) AS s
    """
)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(rows: int, chunk: int, warm: bool = False) -> None:
    hub = bootstrap(Settings(database_url=os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL)), consumer_groups=())
    try:
        async with hub.sessions() as session:
            await session.begin()
            registry = (await session.execute(text("SELECT count(*) FROM retiree"))).scalar_one()
            root = (
                await session.execute(text("SELECT id FROM institution WHERE parent_id IS NULL ORDER BY id LIMIT 1"))
            ).scalar_one()
            import_id = (
                await session.execute(
                    text(
                        "INSERT INTO ministry_import (kind, file_name, file_digest, state, uploaded_by, institution_id)"
                        " VALUES ('suspicious_list', 'bench.xlsx', md5(random()::text), 'committing', 'bench', :root)"
                        " RETURNING id"
                    ),
                    {"root": root},
                )
            ).scalar_one()
            started = time.perf_counter()
            await session.execute(_CHECK)
            await session.execute(_LIST, {"import": import_id, "rows": rows})
            await session.execute(text("ANALYZE ministry_import_row"))
            build_s = time.perf_counter() - started
            print(f"registry: {registry:,} retirees; list of {rows:,} rows built in {build_s:.1f} s (not timed below)")

            if warm:
                started = time.perf_counter()
                added = await compare.refresh_name_keys(session, import_id, chunk=chunk)
                print(f"name-key cache filled first (cold): {added:,} names in {time.perf_counter() - started:.1f} s")
            rss_before = _rss_mib()
            started = time.perf_counter()
            compared = await compare.compare_import(hub.unit_of_work(session, "bench"), import_id, chunk=chunk)
            compare_s = time.perf_counter() - started
            kinds = (
                await session.execute(
                    text(
                        "SELECT match_kind, count(*), count(*) FILTER (WHERE flagged) FROM suspicious_match"
                        " WHERE import_id = :i GROUP BY 1 ORDER BY 2 DESC"
                    ),
                    {"i": import_id},
                )
            ).all()
            await session.rollback()
    finally:
        await hub.engine.dispose()

    print(
        f"compare: {compared:,} rows in {compare_s:.1f} s = {compared / compare_s:,.0f} rows/s "
        f"(target < 60 s for 1,000,000); {compare_s / compared * 100_000:.1f} s per 100,000 rows; chunk {chunk:,}; "
        f"name-key cache {'warm' if warm else 'cold'}; work_mem {compare.COMPARE_WORK_MEM}"
    )
    for kind, count, flagged in kinds:
        print(f"  {kind:<26} {count:>9,}  flagged {flagged:,}")
    print(f"peak RSS: {_rss_mib():.0f} MiB (before comparing {rss_before:.0f} MiB)")
    print("rolled back: the benchmarks' database is as it was")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=compare.DEFAULT_CHUNK)
    parser.add_argument("--warm", action="store_true", help="fill the name-key cache first, timed apart")
    parser.add_argument(
        "--work-mem", default=compare.COMPARE_WORK_MEM, help="work_mem of the comparison (to measure another setting)"
    )
    args = parser.parse_args()
    compare.COMPARE_WORK_MEM = args.work_mem
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    asyncio.run(run(args.rows, args.chunk, args.warm))


if __name__ == "__main__":
    main()
