"""6.4 历史人员: everyone ever registered in a community of the scope, whatever their state now — read from the state
periods (domain/status_log/periods.py), not from the current institution, so people who moved away, died, were
suspended or transferred to another community are still listed where they once were.

A person appears once. Still managed in the scope: their community and registration date today (their row, as the
open period reads it). No longer: their last community in the scope, since when they were managed in the scope (the
first such period) and when they left it. Two parts in one UNION ALL, so the people still here (most of a city-wide
list) are read from the retiree rows in the list's order and only the closed periods are grouped. Managed means
registered, suspended or transferring out (the statuses that keep a person on a community's books)."""

from __future__ import annotations

from domain.queries.people import INSTITUTION, NAME, SEX, _person_filters
from domain.queries.spec import Choice, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import CITY_DEPTH, PERSON_COLUMNS, SEX_LABELS, STATUS_LABEL_SQL, labels
from domain.retirees.lifecycle import STATUS_LABELS, Status

MANAGED = [Status.REGISTERED.value, Status.SUSPENDED.value, Status.TRANSFERRING_OUT.value]
STILL = "still"
LEFT = "left"


def _history(ctx: QueryContext) -> Statement:
    more, params = _person_filters(ctx)
    if ctx.filters.get("status"):
        more += " AND r.status = :status"
        params["status"] = ctx.filters["status"]
    presence = ctx.filters.get("presence")
    person = f"""r.id AS retiree_id, r.personal_number, r.name, {labels("r.sex", SEX_LABELS)} AS sex, r.id_number,
               r.birth_date, {labels("r.status", STATUS_LABEL_SQL)} AS status"""
    # Below the city, the people here are read through their communities (ix_retiree_institution_status), not by
    # walking the registry: the communities of the scope as an array computed once, a superset the path decides.
    here_scope = left_scope = ""
    below_city = ctx.prefix.count("/") > CITY_DEPTH
    if below_city:
        communities = "ANY(ARRAY(SELECT hi.id FROM institution hi WHERE hi.path LIKE :prefix))"
        here_scope = f" AND r.institution_id = {communities}"
        left_scope = f" AND p.institution_id = {communities}"  # ix_retiree_state_period_institution
    # Still here: managed in the scope today (their row, as the open period is); cheap, and in the list's order.
    here = f"""
        SELECT {person}, i.name AS institution, r.registered_on AS since_date, NULL::date AS left_on,
               i.name AS current_institution, r.death_date
        FROM retiree r
        JOIN institution i ON i.id = r.institution_id
        WHERE i.path LIKE :prefix AND r.status = ANY(:managed){here_scope}{more}
    """
    # Left: a closed period managed in the scope, and not managed in the scope today.
    left = f"""
        SELECT {person}, i.name AS institution, e.since_date, e.left_on, now_i.name AS current_institution,
               r.death_date
        FROM (
            SELECT p.retiree_id,
                   CASE WHEN bool_or(p.valid_from IS NULL) THEN NULL ELSE min(p.valid_from) END AS since_date,
                   max(p.valid_to) AS left_on,
                   (array_agg(p.institution_id ORDER BY p.seq DESC))[1] AS institution_id
            FROM retiree_state_period p
            JOIN institution pi ON pi.id = p.institution_id
            WHERE pi.path LIKE :prefix AND p.status = ANY(:managed) AND p.valid_to IS NOT NULL{left_scope}
            GROUP BY p.retiree_id
        ) e
        JOIN retiree r ON r.id = e.retiree_id
        JOIN institution i ON i.id = e.institution_id
        LEFT JOIN institution now_i ON now_i.id = r.institution_id
        WHERE NOT coalesce(r.status = ANY(:managed) AND now_i.path LIKE :prefix, FALSE){more}
    """
    parts = {STILL: [here], LEFT: [left]}.get(presence or "", [here, left])
    # The total: the people still here counted from their rows, the people who left from their closed periods
    # without grouping them (the UNION's grouping and the last community of each are for the rows shown).
    here_count = f"""SELECT count(*) FROM retiree r JOIN institution i ON i.id = r.institution_id
        WHERE i.path LIKE :prefix AND r.status = ANY(:managed){here_scope}{more}"""
    left_count = f"""SELECT count(*) FROM retiree r LEFT JOIN institution now_i ON now_i.id = r.institution_id
        WHERE r.id IN (
            SELECT p.retiree_id FROM retiree_state_period p JOIN institution pi ON pi.id = p.institution_id
            WHERE pi.path LIKE :prefix AND p.status = ANY(:managed) AND p.valid_to IS NOT NULL{left_scope})
          AND NOT coalesce(r.status = ANY(:managed) AND now_i.path LIKE :prefix, FALSE){more}"""
    counts = {STILL: [here_count], LEFT: [left_count]}.get(presence or "", [here_count, left_count])
    return Statement(
        " UNION ALL ".join(parts),
        {"managed": MANAGED, **params},
        count_sql="SELECT " + " + ".join(f"({c})" for c in counts),
        # The whole city's first pages in personal-number order: the registry walked in that order (its unique
        # index), each person's closed periods in the scope looked up as they come, so a page reads its 20 people
        # instead of sorting 850,000 (below the city the UNION's index reads of the scope's communities are faster).
        page_sql=None if below_city or presence else _city_page(person, more),
        page_sorts=frozenset() if below_city or presence else frozenset({"personal_number"}),
    )


def _city_page(person: str, more: str) -> str:
    """The rows of :func:`_history` for the whole city (no presence filter), one per person, for a page in the
    registry's order: still here (managed in the scope today, from their row) or else their closed periods."""
    here = "(r.status = ANY(:managed) AND now_i.path LIKE :prefix)"
    return f"""
        SELECT {person},
               CASE WHEN {here} THEN now_i.name ELSE ei.name END AS institution,
               CASE WHEN {here} THEN r.registered_on ELSE e.since_date END AS since_date,
               CASE WHEN {here} THEN NULL::date ELSE e.left_on END AS left_on,
               now_i.name AS current_institution, r.death_date
        FROM retiree r
        LEFT JOIN institution now_i ON now_i.id = r.institution_id
        LEFT JOIN LATERAL (
            SELECT CASE WHEN bool_or(p.valid_from IS NULL) THEN NULL ELSE min(p.valid_from) END AS since_date,
                   max(p.valid_to) AS left_on,
                   (array_agg(p.institution_id ORDER BY p.seq DESC))[1] AS institution_id
            FROM retiree_state_period p
            JOIN institution pi ON pi.id = p.institution_id
            WHERE p.retiree_id = r.id AND pi.path LIKE :prefix AND p.status = ANY(:managed)
              AND p.valid_to IS NOT NULL
            HAVING count(*) > 0
        ) e ON TRUE
        LEFT JOIN institution ei ON ei.id = e.institution_id
        WHERE ({here} OR e.institution_id IS NOT NULL){more}
    """


HISTORY = QuerySpec(
    id="6.4",
    title="历史人员查询",
    description="曾在本辖区社区登记管理的全部退休人员，不论现在的状态（含已转出、已死亡、暂停发放、已转到其他社区的人员），"
    "按状态变更历史查询，而不是按现在的所属社区。",
    columns=(
        *PERSON_COLUMNS,
        ResultColumn("status", "当前状态", width=20, sortable=True),
        ResultColumn("institution", "曾登记社区", width=40, sortable=True),
        ResultColumn("since_date", "登记管理自", K.DATE, width=22, sortable=True),
        ResultColumn("left_on", "离开日期", K.DATE, width=22, sortable=True),
        ResultColumn("current_institution", "现所属社区", width=40),
        ResultColumn("death_date", "死亡日期", K.DATE, width=22),
    ),
    filters=(
        INSTITUTION,
        NAME,
        SEX,
        QueryFilter(
            "status", "当前状态", FilterKind.CHOICE, tuple(Choice(s.value, label) for s, label in STATUS_LABELS.items())
        ),
        QueryFilter(
            "presence",
            "是否仍在本辖区",
            FilterKind.CHOICE,
            (Choice(STILL, "仍在本辖区管理"), Choice(LEFT, "已离开本辖区")),
        ),
    ),
    build=_history,
    default_sort="personal_number",
    tiebreak="retiree_id",
)
