"""Issue 18, item 1: "as of a date D" read from the state periods the database keeps from the status-change log
equals a naive recomputation from the log itself, for random histories — retroactive entries (a later entry taking
effect earlier), several entries on one day, entries restored as errors, entries written one per statement or many
in one statement (the nightly rules' set-based writer) — on every day around them; and each retiree with history has
exactly one period covering any date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Resume, Status, Suspend
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from domain.status_log.periods import IN_REGISTRY_ON, INSTITUTION_ON, SCOPE_CANDIDATES_ON, STATE_ON_JOIN, STATUS_ON
from hub.bootstrap import Hub
from tests import factories
from tests.integration.differential import rolled_back

pytestmark = pytest.mark.integration

BASE = date(2024, 3, 1)
DAYS = 40
STATUSES = [Status.APPROVED, Status.REGISTERED, Status.SUSPENDED, Status.MOVED_AWAY, Status.DECEASED]


@dataclass(frozen=True)
class Entry:
    person: int
    day: int  # effective date: BASE + day
    status: Status
    institution: int  # index into the tree's communities
    restores: int | None = None  # an "error_restored" entry undoing the entry written at this position


@dataclass(frozen=True)
class History:
    people: int
    entries: list[Entry]
    one_statement: bool  # all entries in one INSERT, as the set-based writers do


@st.composite
def histories(draw: st.DrawFn) -> History:
    people = draw(st.integers(1, 3))
    entries: list[Entry] = []
    for _ in range(draw(st.integers(0, 12))):
        person = draw(st.integers(0, people - 1))
        mine = [i for i, e in enumerate(entries) if e.person == person and e.restores is None]
        restored = {e.restores for e in entries if e.restores is not None}
        undoable = [i for i in mine if i not in restored]
        if undoable and draw(st.integers(0, 4)) == 0:
            target = draw(st.sampled_from(undoable))
            entries.append(Entry(person, draw(st.integers(0, DAYS)), Status.REGISTERED, 0, restores=target))
        else:
            status = draw(st.sampled_from(STATUSES))
            entries.append(Entry(person, draw(st.integers(0, DAYS)), status, draw(st.integers(0, 2))))
    return History(people, entries, draw(st.booleans()))


def _state(status: Status, institution_id: int) -> str:
    return json.dumps({"status": status.value, "institution_id": institution_id, "suspension_reason": None})


_INSERT = text(
    """
    INSERT INTO status_change (retiree_id, personal_number, kind, reason_code, from_status, to_status, before_state,
                               after_state, effective_date, cause_type, reverses_id, sync_state)
    SELECT x.retiree_id, x.personal_number, x.kind, 'TEST', x.from_status, x.to_status, CAST(x.before_state AS jsonb),
           CAST(x.after_state AS jsonb), x.effective_date, 'rule', x.reverses_id, 'not_sent'
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(retiree_id bigint, personal_number text, kind text,
         from_status text, to_status text, before_state text, after_state text, effective_date date,
         reverses_id bigint)
    RETURNING id
    """
)


async def _write(session: AsyncSession, history: History, people: list[Any], institutions: list[int]) -> list[int]:
    """Write the entries (in their order: the log's ids follow it); returns each entry's log id."""
    ids: list[int] = []
    rows: list[dict[str, Any]] = []
    previous = {n: (Status.APPROVED, institutions[0]) for n in range(history.people)}
    for entry in history.entries:
        person = people[entry.person]
        before = previous[entry.person]
        after = (entry.status, institutions[entry.institution])
        rows.append(
            {
                "retiree_id": person.id,
                "personal_number": person.personal_number,
                "kind": "error_restored" if entry.restores is not None else "test_change",
                "from_status": before[0].value,
                "to_status": after[0].value,
                "before_state": _state(*before),
                "after_state": _state(*after),
                "effective_date": (BASE + timedelta(days=entry.day)).isoformat(),
                "reverses_id": None,
                "restores": entry.restores,
            }
        )
        previous[entry.person] = after
    if history.one_statement:
        # reverses_id must name a log id: one statement for the entries, then one for the restorations
        plain = [r for r in rows if r["restores"] is None]
        plain_ids = list((await session.execute(_INSERT, {"rows": json.dumps(plain)})).scalars())
        by_position = dict(zip([i for i, r in enumerate(rows) if r["restores"] is None], plain_ids, strict=True))
        restoring = [dict(r, reverses_id=by_position[r["restores"]]) for r in rows if r["restores"] is not None]
        restoring_ids = list((await session.execute(_INSERT, {"rows": json.dumps(restoring)})).scalars())
        later = iter(restoring_ids)
        ids = [by_position[i] if r["restores"] is None else next(later) for i, r in enumerate(rows)]
    else:
        for row in rows:
            if row["restores"] is not None:
                row = dict(row, reverses_id=ids[row["restores"]])
            ids.extend((await session.execute(_INSERT, {"rows": json.dumps([row])})).scalars())
    return ids


def _naive(history: History, ids: list[int], person: int, on: date, current: tuple[str, int]) -> tuple[str, int]:
    """The state on ``on`` recomputed from the log: the latest live entry in effect (by effective date, then log
    order); before the first, the first's state before; no live entry at all, the retiree's row."""
    restored = {e.restores for e in history.entries if e.restores is not None}
    live = [
        (BASE + timedelta(days=e.day), ids[i], i)
        for i, e in enumerate(history.entries)
        if e.person == person and e.restores is None and i not in restored
    ]
    if not live:
        return current
    live.sort()
    in_effect = [x for x in live if x[0] <= on]
    if not in_effect:
        first = live[0][2]
        earlier = [i for i, e in enumerate(history.entries[:first]) if e.person == person]
        return (Status.APPROVED.value, 0) if not earlier else _after(history, earlier[-1])
    return _after(history, in_effect[-1][2])


def _after(history: History, position: int) -> tuple[str, int]:
    entry = history.entries[position]
    return entry.status.value, entry.institution


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories())
async def test_18_state_as_of_any_date_equals_a_naive_recomputation_from_the_log(
    registry_hub: Hub, history: History
) -> None:
    async with rolled_back(registry_hub) as session:
        tree = await factories.tree(session)
        institutions = [c.id for c in tree.communities[:3]]
        paths = [c.path for c in tree.communities[:3]]
        assert all(i is not None for i in institutions)
        people = [await factories.retiree(session) for _ in range(history.people)]
        ids = await _write(session, history, people, institutions)  # type: ignore[arg-type]
        # The application writes the retiree's row with the log: its current state is the latest live entry's.
        last_day = BASE + timedelta(days=DAYS + 1)
        current: dict[int, tuple[str, int]] = {}
        for n, person in enumerate(people):
            status, where = _naive(history, ids, n, last_day, (Status.APPROVED.value, -1))
            institution_id = institutions[where] if where >= 0 else None
            await session.execute(
                text("UPDATE retiree SET status = :s, institution_id = :i WHERE id = :id"),
                {"s": status, "i": institution_id, "id": person.id},
            )
            current[n] = (status, where)
        by_id = {person.id: n for n, person in enumerate(people)}
        # A period lasts while the state lasts (migration 0032): no two consecutive periods of a retiree are alike.
        alike = text(
            """SELECT count(*) FROM (
                   SELECT (status, institution_id, suspension_reason)
                          IS NOT DISTINCT FROM lag((status, institution_id, suspension_reason)) OVER w AS same,
                          lag(seq) OVER w IS NOT NULL AS later
                   FROM retiree_state_period WHERE retiree_id = ANY(:ids)
                   WINDOW w AS (PARTITION BY retiree_id ORDER BY seq)
               ) p WHERE same AND later"""
        )
        assert (await session.execute(alike, {"ids": list(by_id)})).scalar_one() == 0
        query = text(
            f"SELECT r.id, {STATUS_ON}, {INSTITUTION_ON}, count(*) OVER (PARTITION BY r.id) "
            f"FROM retiree r {STATE_ON_JOIN} WHERE r.id = ANY(:ids) AND {IN_REGISTRY_ON}"
        )
        for day in range(-1, DAYS + 2):
            on = BASE + timedelta(days=day)
            rows = (await session.execute(query, {"on": on, "ids": list(by_id)})).all()
            assert len(rows) == history.people
            for retiree_id, status, institution_id, periods in rows:
                n = by_id[retiree_id]
                want_status, want_where = _naive(history, ids, n, on, current[n])
                want_institution = institutions[want_where] if want_where >= 0 else None
                assert periods == 1, f"{periods} periods cover {on} for person {n}: {history}"
                assert (status, institution_id) == (want_status, want_institution), f"on {on}, person {n}"
            # The scope candidates (domain/queries/sql.py PersonState(scoped=True)) hold everyone managed in a
            # community on the date: a superset, never missing anyone.
            for community, path in zip(institutions, paths, strict=True):
                exact = {r for r, _, i, _ in rows if i == community}
                candidates = set(
                    (
                        await session.execute(
                            text(f"SELECT r.id FROM retiree r WHERE r.id = ANY(:ids) AND {SCOPE_CANDIDATES_ON}"),
                            {"on": on, "ids": list(by_id), "prefix": f"{path}%"},
                        )
                    ).scalars()
                )
                assert exact <= candidates, f"on {on}, community {community}: {exact - candidates} missed"


async def test_18_the_command_path_keeps_the_periods_as_of_the_legal_effective_dates(registry_hub: Hub) -> None:
    """Written by the real command path (status_log.apply), in its own transaction: a suspension effective on a
    past date, a resumption ten days later, then the resumption restored as an error. Each as-of date reads what
    was in force then (the property test above covers retroactive entries and same-day entries)."""
    async with rolled_back(registry_hub) as session:
        tree = await factories.tree(session)
        person = await factories.retiree(session, tree.communities[0])
        assert person.id is not None and person.status == Status.REGISTERED
        uow = registry_hub.unit_of_work(session, "test")
        cause = status_log.Cause(CauseType.STAFF, "test")
        await status_log.apply(
            uow, factories.SETUP, person, Suspend(ReasonCode.CERTIFICATION_OVERDUE), effective_date=BASE, cause=cause
        )
        resumed = await status_log.apply(
            uow,
            factories.SETUP,
            person,
            Resume(ReasonCode.RESUMED_BY_CERTIFICATION),
            effective_date=BASE + timedelta(days=10),
            cause=cause,
        )
        await session.flush()

        async def status_on(day: int) -> str:
            query = text(f"SELECT {STATUS_ON} FROM retiree r {STATE_ON_JOIN} WHERE r.id = :id")
            return str((await session.execute(query, {"id": person.id, "on": BASE + timedelta(days=day)})).scalar())

        assert [await status_on(d) for d in (-1, 0, 9, 10, 30)] == [
            Status.REGISTERED,
            Status.SUSPENDED,
            Status.SUSPENDED,
            Status.REGISTERED,
            Status.REGISTERED,
        ]
        assert resumed.id is not None
        await status_log.restore_in_error(uow, factories.SETUP, resumed.id, retiree_id=person.id)
        await session.flush()
        assert [await status_on(d) for d in (-1, 0, 10, 30)] == [
            Status.REGISTERED,
            Status.SUSPENDED,
            Status.SUSPENDED,
            Status.SUSPENDED,
        ]


async def test_18_a_retiree_without_history_is_read_from_their_row_from_approval_on(registry_hub: Hub) -> None:
    """Two retirees without a single log entry — one registered in a community, one newly approved and not yet
    registered: no period covers them, so as of any date since approval they are as their row says, before approval
    they are not in the registry; the registered one is a candidate of their community's scope, not of another."""
    async with rolled_back(registry_hub) as session:
        tree = await factories.tree(session)
        here, elsewhere = tree.communities[0], tree.communities[1]
        registered = await factories.retiree(session, here)
        approved = await factories.retiree(session)
        for person, day in ((registered, BASE), (approved, BASE + timedelta(days=5))):
            await session.execute(
                text("UPDATE retiree SET approval_date = :d WHERE id = :id"), {"d": day, "id": person.id}
            )
        periods = await session.execute(
            text("SELECT count(*) FROM retiree_state_period WHERE retiree_id = ANY(:ids)"),
            {"ids": [registered.id, approved.id]},
        )
        assert periods.scalar_one() == 0

        async def state(person_id: int | None, day: int) -> tuple[str, int | None] | None:
            query = text(
                f"SELECT {STATUS_ON}, {INSTITUTION_ON} FROM retiree r {STATE_ON_JOIN} "
                f"WHERE r.id = :id AND {IN_REGISTRY_ON}"
            )
            found = (await session.execute(query, {"id": person_id, "on": BASE + timedelta(days=day)})).one_or_none()
            return None if found is None else (str(found[0]), found[1])

        assert [await state(registered.id, d) for d in (-1, 0, 30)] == [
            None,
            (Status.REGISTERED, here.id),
            (Status.REGISTERED, here.id),
        ]
        assert [await state(approved.id, d) for d in (4, 5, 30)] == [
            None,
            (Status.APPROVED, None),
            (Status.APPROVED, None),
        ]

        async def candidate(path: str) -> bool:
            query = text(f"SELECT count(*) FROM retiree r WHERE r.id = :id AND {SCOPE_CANDIDATES_ON}")
            found = await session.execute(query, {"id": registered.id, "on": BASE, "prefix": f"{path}%"})
            return bool(found.scalar_one() == 1)

        assert await candidate(here.path) and not await candidate(elsewhere.path)
