"""The set-based comparison of a committed suspicious list with the whole registry (function point 2.8).

The committer of a ``suspicious_list`` import (:func:`compare_import`) runs in the import's commit transaction:

1. the name keys: every written name of the registry and of the list not yet in ``suspicious_name_key`` gets its
   :func:`~domain.suspicious.names.normalise_name` (computed in Python, chunk by chunk, for the distinct new names
   only: a few tens of thousands the first time for a million people, none afterwards);
2. the candidates, into a temporary table by two statements over the list's keys (a temporary table, analysed): the
   people with the row's 18-character number (``id_number_18``, already 15→18 upgraded by staging), and the people
   with the same normalised name and the birth date the row's number carries (hash joins, never one query per row);
3. the plain cases decided in SQL for the whole list by one INSERT … SELECT (hash joins): the person with the row's
   number and the name written identically (EXACT_ID, or UPGRADED_ID when the list wrote the legacy 15-character
   number), or no candidate at all (NO_MATCH); their explanations filled in from
   :func:`~domain.suspicious.matching.plain_template` passed as parameters, so the texts are matching.py's;
4. the few rows left (name variants, homophones, a different name, same name and birth date, odd writings) with
   their candidates into a temporary table, read back range by range: :func:`~domain.suspicious.matching.best_match`
   on those pairs only (the rules and the Chinese explanations stay in matching.py), the results inserted with one
   statement per range. A row already compared keeps its result and its review (re-running changes nothing).

Memory stays bounded by the chunk; the database does the joins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import trail
from domain.shared import calendar
from domain.shared.actor import system_actor
from domain.shared.uow import UnitOfWork
from domain.suspicious.matching import ListEntry, MatchKind, RegistryPerson, best_match, plain_template
from domain.suspicious.names import normalise_name

log = logging.getLogger(__name__)
COMPARE_ACTOR = system_actor("suspicious-compare")
DEFAULT_CHUNK = 20_000
# Memory for each sort and hash of the comparison's transaction (the server's default is 16 MB): the hash of a million
# registry people or list rows then fits in one batch instead of four spilled to temporary files. Restored after.
COMPARE_WORK_MEM = "128MB"
COMPARED_OUTCOMES = ["valid", "applied"]  # the rows staging accepted (ministry_import_row.outcome)

# The payment status as the file sent back shows it: a stopped or ended payment whatever the payment code says.
PAYMENT_STATUS_SQL = """
    CASE r.status
        WHEN 'suspended' THEN '暂停发放'
        WHEN 'deceased' THEN '终止发放（死亡）'
        WHEN 'moved_away' THEN '终止发放（转出本市）'
        ELSE coalesce(d.label, r.payment_status)
    END
"""

# A name Python's str.strip() leaves as it is and no replace() placeholder can hide in: the plain cases only take
# names starting and ending with a CJK unified ideograph (others go through best_match, which handles any writing).
PLAIN_NAME = "^[\u4e00-\u9fff](.*[\u4e00-\u9fff])?$"

_NEW_NAMES = text(
    """
    INSERT INTO suspicious_new_name (name)
    SELECT s.name FROM (
        SELECT DISTINCT name FROM retiree
        UNION
        SELECT DISTINCT name FROM ministry_import_row WHERE import_id = :import AND name IS NOT NULL
    ) AS s
    WHERE NOT EXISTS (SELECT 1 FROM suspicious_name_key k WHERE k.name = s.name)
    """
)

_ANY_LEFT = text(
    """
    SELECT 1 FROM ministry_import_row l
    WHERE l.import_id = :import AND l.outcome = ANY(:outcomes)
      AND NOT EXISTS (SELECT 1 FROM suspicious_match m WHERE m.import_id = l.import_id AND m.row_number = l.row_number)
    LIMIT 1
    """
)

_LIST_KEYS = text(
    """
    INSERT INTO suspicious_list_key (row_number, id18, name_key, birth_date)
    SELECT l.row_number, l.id_number_18, lk.name_key, to_date(substr(l.id_number_18, 7, 8), 'YYYYMMDD')
    FROM ministry_import_row l LEFT JOIN suspicious_name_key lk ON lk.name = l.name
    WHERE l.import_id = :import AND l.outcome = ANY(:outcomes) AND l.id_number_18 IS NOT NULL
    """
)

_BY_ID = text(
    """
    INSERT INTO suspicious_candidate (row_number, retiree_id, by_id)
    SELECT k.row_number, r.id, true FROM suspicious_list_key k JOIN retiree r ON r.id_number = k.id18
    """
)

_BY_NAME_AND_BIRTH = text(
    """
    INSERT INTO suspicious_candidate (row_number, retiree_id, by_id)
    SELECT k.row_number, p.id, false
    FROM suspicious_list_key k
    JOIN (SELECT r.id, r.id_number, r.birth_date, rk.name_key
          FROM retiree r JOIN suspicious_name_key rk ON rk.name = r.name) AS p
      ON p.name_key = k.name_key AND p.birth_date = k.birth_date
    WHERE k.name_key <> '' AND p.id_number <> k.id18
    """
)

# The plain cases, decided and explained set-based for the whole list at once (see the module docstring): the row's
# candidate by number (numbers are unique in the registry) with the name written identically, the number as given
# (EXACT_ID) or 15 digits upgraded (UPGRADED_ID) — a person by number outranks every other candidate; or no candidate
# at all (NO_MATCH). Hash joins over the list, never a pass over the registry per chunk. '{listed}' is filled last so
# a name cannot inject a placeholder. A row compared before keeps its result (ON CONFLICT).
_PLAIN = text(
    f"""
    WITH decided AS (
    INSERT INTO suspicious_match (import_id, row_number, retiree_id, match_kind, flagged, explanation, employer_code,
                                  employer_name, payment_status)
    SELECT :import, p.row_number, p.retiree_id, p.kind, p.kind = ANY(CAST(:flagged AS text[])),
           replace(replace(replace(replace(
               CASE p.kind WHEN :exact THEN :exact_text WHEN :upgraded THEN :upgraded_text ELSE :no_match_text END,
               '{{raw}}', p.raw), '{{id18}}', p.id18), '{{birth_date}}', p.birth_date), '{{listed}}', p.listed),
           p.employer_code, p.employer_name, p.payment_status
    FROM (
        SELECT l.row_number, r.id AS retiree_id, l.name AS listed, l.id_number AS raw, l.id_number_18 AS id18,
               to_char(to_date(substr(l.id_number_18, 7, 8), 'YYYYMMDD'), 'YYYY-MM-DD') AS birth_date,
               CASE WHEN c.row_number IS NULL THEN :no_match WHEN l.id_number = l.id_number_18 THEN :exact
                    ELSE :upgraded END AS kind,
               r.employer_code, e.name AS employer_name,
               CASE WHEN r.id IS NOT NULL THEN {PAYMENT_STATUS_SQL} END AS payment_status
        FROM ministry_import_row l
        LEFT JOIN suspicious_row_candidates c ON c.row_number = l.row_number
        LEFT JOIN retiree r ON r.id = c.by_id
        LEFT JOIN employer e ON e.code = r.employer_code
        LEFT JOIN dictionary_code d ON d.category = 'payment_status' AND d.code = r.payment_status
        WHERE l.import_id = :import AND l.outcome = ANY(:outcomes)
          AND l.id_number_18 IS NOT NULL AND l.name ~ :plain_name
          AND (c.row_number IS NULL
               OR (r.name = l.name AND (l.id_number = l.id_number_18 OR l.id_number ~ '^[0-9]{{15}}$')))
    ) AS p
    ON CONFLICT (import_id, row_number) DO NOTHING
    RETURNING match_kind
    )
    SELECT match_kind, count(*) AS n FROM decided GROUP BY match_kind
    """
)

# The rows the plain step left (a few percent), each with its candidates (none: one line with a NULL person), into a
# temporary table read back range by range: best_match decides them.
_LEFT = text(
    f"""
    CREATE TEMP TABLE suspicious_left ON COMMIT DROP AS
    SELECT l.row_number, coalesce(l.name, '') AS listed_name, coalesce(l.id_number, '') AS listed_id_number,
           r.id, r.personal_number, r.name, r.id_number, r.birth_date, r.employer_code,
           e.name AS employer_name, {PAYMENT_STATUS_SQL} AS payment_status
    FROM ministry_import_row l
    LEFT JOIN suspicious_candidate c ON c.row_number = l.row_number
    LEFT JOIN retiree r ON r.id = c.retiree_id
    LEFT JOIN employer e ON e.code = r.employer_code
    LEFT JOIN dictionary_code d ON d.category = 'payment_status' AND d.code = r.payment_status
    WHERE l.import_id = :import AND l.outcome = ANY(:outcomes)
      AND NOT EXISTS (SELECT 1 FROM suspicious_match m WHERE m.import_id = l.import_id AND m.row_number = l.row_number)
    """
)

_LEFT_RANGE = text(
    """
    SELECT row_number, listed_name, listed_id_number, id, personal_number, name, id_number, birth_date, employer_code,
           employer_name, payment_status
    FROM suspicious_left WHERE row_number BETWEEN :first AND :last
    ORDER BY row_number, personal_number
    """
)

_INSERT = text(
    """
    INSERT INTO suspicious_match (import_id, row_number, retiree_id, match_kind, flagged, explanation, employer_code,
                                  employer_name, payment_status)
    SELECT :import, m.row_number, m.retiree_id, m.kind, m.flagged, m.explanation, m.employer_code, m.employer_name,
           m.payment_status
    FROM unnest(CAST(:rows AS integer[]), CAST(:retirees AS bigint[]), CAST(:kinds AS text[]),
                CAST(:flags AS boolean[]), CAST(:explanations AS text[]), CAST(:codes AS text[]),
                CAST(:employers AS text[]), CAST(:statuses AS text[]))
         AS m(row_number, retiree_id, kind, flagged, explanation, employer_code, employer_name, payment_status)
    ON CONFLICT (import_id, row_number) DO NOTHING
    """
)


@dataclass(frozen=True)
class _Person:
    id: int
    employer_code: str | None
    employer_name: str | None
    payment_status: str | None
    registry: RegistryPerson


Progress = Callable[[int], Awaitable[None]]


async def refresh_name_keys(session: AsyncSession, import_id: int, *, chunk: int = DEFAULT_CHUNK) -> int:
    """Give every name of the registry and of the import's list its comparison key; returns how many were new."""
    await session.execute(text("DROP TABLE IF EXISTS pg_temp.suspicious_new_name"))
    await session.execute(
        text("CREATE TEMP TABLE suspicious_new_name (id serial PRIMARY KEY, name text NOT NULL) ON COMMIT DROP")
    )
    await session.execute(_NEW_NAMES, {"import": import_id})
    added, after = 0, 0
    while True:
        rows = (
            await session.execute(
                text("SELECT id, name FROM suspicious_new_name WHERE id > :after ORDER BY id LIMIT :size"),
                {"after": after, "size": chunk},
            )
        ).all()
        if not rows:
            if added:  # fresh statistics, or the planner joins the list to a table it believes empty row by row
                await session.execute(text("ANALYZE suspicious_name_key"))
            return added
        after = rows[-1].id
        names = [r.name for r in rows]
        await session.execute(
            text(
                "INSERT INTO suspicious_name_key (name, name_key)"
                " SELECT * FROM unnest(CAST(:names AS text[]), CAST(:keys AS text[]))"
                " ON CONFLICT (name) DO NOTHING"
            ),
            {"names": names, "keys": [normalise_name(n) for n in names]},
        )
        added += len(names)


async def compare_import(
    uow: UnitOfWork,
    import_id: int,
    *,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    today: date | None = None,
) -> int:
    """Compare the import's accepted rows with the registry (see the module docstring); returns the rows compared
    by this call (0 when all were compared before)."""
    session = uow.session
    today = today or calendar.today()
    if (await session.execute(_ANY_LEFT, {"import": import_id, "outcomes": COMPARED_OUTCOMES})).first() is None:
        return 0  # every accepted row compared already (the committer is called until it answers 0)
    previous = (await session.execute(text("SELECT current_setting('work_mem')"))).scalar_one()
    await session.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": COMPARE_WORK_MEM})
    compared = await _compare(session, import_id, chunk=chunk, progress=progress, today=today)
    # Restored for the rest of the transaction (a failure rolls the setting back with everything else).
    await session.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": previous})
    return compared


async def _compare(session: AsyncSession, import_id: int, *, chunk: int, progress: Progress | None, today: date) -> int:
    started = time.perf_counter()
    await refresh_name_keys(session, import_id, chunk=chunk)
    log.info("import %s: name keys in %.1f s", import_id, time.perf_counter() - started)
    await session.execute(text("DROP TABLE IF EXISTS pg_temp.suspicious_candidate"))
    await session.execute(
        text(
            "CREATE TEMP TABLE suspicious_candidate (row_number integer, retiree_id bigint, by_id boolean NOT NULL)"
            " ON COMMIT DROP"
        )
    )
    await session.execute(text("DROP TABLE IF EXISTS pg_temp.suspicious_list_key"))
    await session.execute(
        text(
            "CREATE TEMP TABLE suspicious_list_key (row_number integer, id18 text, name_key text, birth_date date)"
            " ON COMMIT DROP"
        )
    )
    await session.execute(_LIST_KEYS, {"import": import_id, "outcomes": COMPARED_OUTCOMES})
    await session.execute(text("ANALYZE suspicious_list_key"))
    log.info("import %s: list keys in %.1f s", import_id, time.perf_counter() - started)
    await session.execute(_BY_ID)
    log.info("import %s: candidates by number in %.1f s", import_id, time.perf_counter() - started)
    await session.execute(_BY_NAME_AND_BIRTH)
    log.info("import %s: candidates by name and birth date in %.1f s", import_id, time.perf_counter() - started)
    await session.execute(text("CREATE INDEX ON suspicious_candidate (row_number)"))
    await session.execute(text("ANALYZE suspicious_candidate"))
    # One line per row with candidates, analysed, for the plain step (a grouped subquery there misleads the planner
    # into re-grouping per list row).
    await session.execute(text("DROP TABLE IF EXISTS pg_temp.suspicious_row_candidates"))
    await session.execute(
        text(
            "CREATE TEMP TABLE suspicious_row_candidates ON COMMIT DROP AS"
            " SELECT row_number, max(retiree_id) FILTER (WHERE by_id) AS by_id"
            " FROM suspicious_candidate GROUP BY row_number"
        )
    )
    await session.execute(text("ALTER TABLE suspicious_row_candidates ADD PRIMARY KEY (row_number)"))
    await session.execute(text("ANALYZE suspicious_row_candidates"))
    compared = 0
    counts: dict[str, int] = {}
    plain = {
        "import": import_id,
        "outcomes": COMPARED_OUTCOMES,
        "plain_name": PLAIN_NAME,
        "flagged": [kind.value for kind in MatchKind if kind.flagged],
        "exact": MatchKind.EXACT_ID.value,
        "upgraded": MatchKind.UPGRADED_ID.value,
        "no_match": MatchKind.NO_MATCH.value,
        "exact_text": plain_template(MatchKind.EXACT_ID),
        "upgraded_text": plain_template(MatchKind.UPGRADED_ID),
        "no_match_text": plain_template(MatchKind.NO_MATCH),
    }
    for kind, count in await _hash_joined(session, _PLAIN, plain):
        counts[kind] = count
        compared += count
    log.info("import %s: %s plain rows decided set-based in %.1f s", import_id, compared, time.perf_counter() - started)
    if progress is not None:
        await progress(compared)
    await session.execute(text("DROP TABLE IF EXISTS pg_temp.suspicious_left"))
    await _hash_joined(session, _LEFT, {"import": import_id, "outcomes": COMPARED_OUTCOMES}, fetch=False)
    await session.execute(text("CREATE INDEX ON suspicious_left (row_number)"))
    await session.execute(text("ANALYZE suspicious_left"))
    bounds = (await session.execute(text("SELECT min(row_number), max(row_number) FROM suspicious_left"))).one()
    in_python = 0
    first = bounds[0]
    while first is not None and first <= bounds[1]:
        last = first + chunk - 1
        rows, people = await _left(session, first, last)
        if rows:
            await _insert(session, import_id, rows, people, today, counts)
            compared += len(rows)
            in_python += len(rows)
            if progress is not None:
                await progress(compared)
        first = last + 1
    log.info(
        "import %s: %s rows compared in %.1f s (%s by best_match, the rest set-based)",
        import_id,
        compared,
        time.perf_counter() - started,
        in_python,
    )
    await trail.record(
        session,
        COMPARE_ACTOR,
        "suspicious.compared",
        target=f"ministry_import:{import_id}",
        detail={"import": import_id, "compared": compared, "kinds": counts},
    )
    return compared


async def _hash_joined(
    session: AsyncSession, statement: Any, params: dict[str, Any], *, fetch: bool = True
) -> list[Any]:
    """Run a statement over the whole list without nested loops: the planner underestimates the rows of these joins
    (an OR of conditions, a result table whose statistics are stale or bloated by rolled-back comparisons) and a
    nested loop over a million list rows never ends; hash joins take seconds. The setting is restored after."""
    previous = (await session.execute(text("SELECT current_setting('enable_nestloop')"))).scalar_one()
    await session.execute(text("SELECT set_config('enable_nestloop', 'off', true)"))
    try:
        result = await session.execute(statement, params)
        return list(result.all()) if fetch else []
    finally:
        await session.execute(text("SELECT set_config('enable_nestloop', :value, true)"), {"value": previous})


@dataclass(frozen=True)
class _Row:
    row_number: int
    name: str
    id_number: str


async def _left(session: AsyncSession, first: int, last: int) -> tuple[list[_Row], dict[int, list[_Person]]]:
    """The rows left in ``first``..``last`` and their candidates ordered by personal number."""
    rows: list[_Row] = []
    found: dict[int, list[_Person]] = {}
    for r in await session.execute(_LEFT_RANGE, {"first": first, "last": last}):
        if not rows or rows[-1].row_number != r.row_number:
            rows.append(_Row(r.row_number, r.listed_name, r.listed_id_number))
        if r.id is not None:
            found.setdefault(r.row_number, []).append(
                _Person(
                    r.id,
                    r.employer_code,
                    r.employer_name,
                    r.payment_status,
                    RegistryPerson(r.personal_number, r.name, r.id_number, r.birth_date),
                )
            )
    return rows, found


async def _insert(
    session: AsyncSession,
    import_id: int,
    rows: Sequence[Any],
    people: dict[int, list[_Person]],
    today: date,
    counts: dict[str, int],
) -> None:
    columns: dict[str, list[Any]] = {
        k: [] for k in ("rows", "retirees", "kinds", "flags", "explanations", "codes", "employers", "statuses")
    }
    for row in rows:
        candidates = people.get(row.row_number, [])
        match = best_match(ListEntry(row.name, row.id_number), [p.registry for p in candidates], today=today)
        person = next((p for p in candidates if p.registry is match.candidate), None)
        columns["rows"].append(row.row_number)
        columns["retirees"].append(person.id if person else None)
        columns["kinds"].append(match.kind.value)
        columns["flags"].append(match.kind.flagged)
        columns["explanations"].append(match.explanation)
        columns["codes"].append(person.employer_code if person else None)
        columns["employers"].append(person.employer_name if person else None)
        columns["statuses"].append(person.payment_status if person else None)
        counts[match.kind.value] = counts.get(match.kind.value, 0) + 1
    await session.execute(_INSERT, {"import": import_id, **columns})


def kind_label(kind: str) -> str:
    return MatchKind(kind).label
