"""Every retiree's state as of any past date (issue 18; the counts of 7.x), read from ``retiree_state_period``:
periods kept by the database from the status-change log in the transaction that writes it (migration
0022_state_periods). One join, set-based, whatever the scope: a retiree with history has exactly one period
covering any date; a retiree without has been as they are since approval.

Use :data:`STATE_ON_JOIN` after ``FROM retiree r`` (it binds ``:on``), then :data:`STATUS_ON` and
:data:`INSTITUTION_ON` wherever the query reads ``r.status`` and ``r.institution_id``, and :data:`IN_REGISTRY_ON`
to leave out people approved after the date. The open period reads the retiree's own row (the same state, the log
and the row being written together), so a current query and an as-of-today query agree by construction.

The join reads only the *closed* period covering the date (``valid_to > :on``): periods cover all of time once a
retiree has history, so when none of the closed ones covers the date the open one does, and that is the row. A
year back that is a few percent of the periods, read index-only (``ix_retiree_state_period_closed``, migration
0026) and hashed, instead of every period of every retiree (EXPLAIN ANALYZE on 1,000,000 retirees: the city-wide
count 2.4 s to 0.95 s). :data:`SCOPE_CANDIDATES_ON` narrows a district's or a community's as-of list to the people
who may have been there (domain/queries/sql.py ``PersonState(scoped=True)``). A query
that needs two dates at once (a month's start and end, 7.15) builds the pieces with its own bind and alias.
"""

from __future__ import annotations


def closed_period_covering(on: str = ":on", alias: str = "sp") -> str:
    """The condition keeping the closed state period ``alias`` that covers ``on`` (at most one a retiree)."""
    return f"{alias}.valid_to > {on} AND ({alias}.valid_from IS NULL OR {alias}.valid_from <= {on})"


def state_on_join(on: str = ":on", alias: str = "sp", retiree: str = "r") -> str:
    return f"""
    LEFT JOIN retiree_state_period {alias} ON {alias}.retiree_id = {retiree}.id
         AND {closed_period_covering(on, alias)}
"""


def _from_row(alias: str) -> str:
    return f"{alias}.retiree_id IS NULL"


def status_on(alias: str = "sp", retiree: str = "r") -> str:
    return f"(CASE WHEN {_from_row(alias)} THEN {retiree}.status ELSE {alias}.status END)"


def institution_on(alias: str = "sp", retiree: str = "r") -> str:
    return f"(CASE WHEN {_from_row(alias)} THEN {retiree}.institution_id ELSE {alias}.institution_id END)"


def in_registry_on(on: str = ":on", retiree: str = "r") -> str:
    return f"({retiree}.approval_date IS NULL OR {retiree}.approval_date <= {on})"


STATE_ON_JOIN = state_on_join()
STATUS_ON = status_on()
INSTITUTION_ON = institution_on()
SUSPENSION_REASON_ON = f"(CASE WHEN {_from_row('sp')} THEN r.suspension_reason ELSE sp.suspension_reason END)"
IN_REGISTRY_ON = in_registry_on()


def scope_candidates_on(on: str = ":on", prefix: str = ":prefix", retiree: str = "r") -> str:
    """A condition on ``retiree`` keeping those who may have been managed in the subtree ``prefix`` on ``on``: in it
    today (their open period, if it covers the date) or with a closed period in it covering the date. A superset of
    the exact answer (``institution_on`` decides), each side an array computed once, so the planner reads the
    retirees through a BitmapOr of ``retiree.institution_id`` and ``retiree.id`` instead of the whole registry."""
    return f"""({retiree}.institution_id = ANY(ARRAY(SELECT ci.id FROM institution ci WHERE ci.path LIKE {prefix}))
        OR {retiree}.id = ANY(ARRAY(
            SELECT p.retiree_id FROM retiree_state_period p
            WHERE p.institution_id = ANY(ARRAY(SELECT pi.id FROM institution pi WHERE pi.path LIKE {prefix}))
              AND p.valid_to > {on} AND (p.valid_from IS NULL OR p.valid_from <= {on}))))"""


SCOPE_CANDIDATES_ON = scope_candidates_on()
