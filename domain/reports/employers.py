"""Reports per employer (section 7): 7.1 the business done for each employer's retirees in a period, 7.6 each
employer's head counts as of a date, 7.7 each employer's people registered by the scope's institutions as of a date.

Rows are employers (``Axis.GIVEN``: code and name). Scope (1.3) follows the queries of employers (6.1): a retiree is
seen by the subtree of the community they are registered at (as of the date), else of their insuring agency; an
entry of the status log by the subtree of its institution; a hand-over by the subtree of the receiving agency.
Whether an archive was handed over by a date is read from the received batches (their receipt date), so it holds
as of any past date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.handover.models import HandoverState
from domain.queries.employers import EMPLOYER
from domain.queries.service import invalid_filter
from domain.queries.spec import FilterKind, QueryFilter, Statement
from domain.queries.sql import PersonState, like_prefix, whole_city
from domain.reports.distribution import MANAGED
from domain.reports.spec import Axis, ChartKind, Measure, ReportContext, ReportSpec
from domain.reports.work import _ENTRY_SCOPE, _LIVE, INSTITUTION
from domain.retirees.lifecycle import Status

_MANAGED = [s.value for s in MANAGED]

# Per retiree, the agency keeping the archive on :on: the latest batch received by then (a later batch replaces it).
CUSTODY_ON = f"""
    SELECT DISTINCT ON (hp.retiree_id) hp.retiree_id, h.agency_id
    FROM archive_handover_person hp JOIN archive_handover h ON h.id = hp.handover_id
    WHERE h.state = '{HandoverState.RECEIVED.value}' AND h.received_on <= :on
    ORDER BY hp.retiree_id, h.received_on DESC, h.id DESC
"""

# The retiree's scope as of the date: the institution managing them then, else their insuring agency.
# (One join on the chosen id, so that the planner estimates the scope from the institutions' paths.)
PERSON_SCOPE = """
    LEFT JOIN institution ag ON ag.code = r.insuring_agency_code
    JOIN institution i ON i.id = COALESCE({institution}, ag.id)
"""
PERSON_PATH = "i.path"


def _employers(ctx: ReportContext, alias: str = "e") -> tuple[str, dict[str, Any]]:
    """The employer filter (its code, or the start of its name) as a condition on ``alias``."""
    value = ctx.filters.get("employer")
    if not value:
        return "TRUE", {}
    return (
        f"({alias}.code = :employer OR {alias}.name LIKE :employer_name)",
        {"employer": value, "employer_name": like_prefix(value)},
    )


def _per_employer(ctx: ReportContext, counts: str, keys: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """``counts`` (a SELECT of ``r.employer_code AS code`` and the figures, ending with its WHERE conditions) grouped
    by the employer's code first — a hash aggregate over the retirees — then named from the employer table."""
    chosen, params = _employers(ctx, "ee")
    if chosen != "TRUE":
        counts += f" AND r.employer_code IN (SELECT ee.code FROM employer ee WHERE {chosen})"
    figures = ", ".join(f"n.{k}" for k in keys)
    sql = f"""
        WITH n AS ({counts} GROUP BY 1)
        SELECT e.code AS unit, e.name AS unit_name, {figures}
        FROM n JOIN employer e ON e.code = n.code
        ORDER BY e.code
        """
    return sql, params


def _period(ctx: ReportContext) -> tuple[date, date]:
    start: date = ctx.filters.get("from") or ctx.today.replace(month=1, day=1)
    end: date = ctx.filters.get("to") or ctx.today
    if end < start:
        raise invalid_filter("to", "截止日期不能早于起始日期")
    return start, end


_KINDS = ("registered", "transferred_in", "transferred_out", "deceased", "suspended", "resumed")


def _business(ctx: ReportContext) -> Statement:
    start, end = _period(ctx)
    chosen, params = _employers(ctx)
    counts = ", ".join(f"count(*) FILTER (WHERE sc.kind = '{kind}') AS {kind}" for kind in _KINDS)
    figures = ", ".join(f"coalesce(ch.{k}, 0) AS {k}" for k in _KINDS)
    return Statement(
        f"""
        WITH changes AS (
            SELECT r.employer_code AS code, {counts}
            FROM status_change sc
            JOIN retiree r ON r.id = sc.retiree_id
            LEFT JOIN institution i ON i.id = sc.institution_id
            WHERE sc.kind IN ({", ".join(f"'{k}'" for k in _KINDS)}) AND sc.effective_date BETWEEN :start AND :end
              AND r.employer_code IS NOT NULL AND {_ENTRY_SCOPE} AND {_LIVE}
            GROUP BY 1
        ), handed AS (
            SELECT he.code, count(*) AS handed_over
            FROM archive_handover h
            JOIN institution a ON a.id = h.agency_id
            JOIN employer he ON he.id = h.employer_id
            JOIN archive_handover_person hp ON hp.handover_id = h.id
            WHERE h.state = '{HandoverState.RECEIVED.value}' AND h.received_on BETWEEN :start AND :end
              AND a.path LIKE :prefix
            GROUP BY 1
        ), certified AS (
            SELECT r.employer_code AS code, count(DISTINCT c.retiree_id) AS certified
            FROM certification c
            JOIN retiree r ON r.id = c.retiree_id
            JOIN institution i ON i.id = r.institution_id
            WHERE c.certified_on BETWEEN :start AND :end AND i.path LIKE :prefix AND r.employer_code IS NOT NULL
            GROUP BY 1
        ), codes AS (
            SELECT code FROM changes UNION SELECT code FROM handed UNION SELECT code FROM certified
        )
        SELECT e.code AS unit, e.name AS unit_name, {figures},
               coalesce(hd.handed_over, 0) AS handed_over, coalesce(ce.certified, 0) AS certified
        FROM codes u
        JOIN employer e ON e.code = u.code
        LEFT JOIN changes ch ON ch.code = u.code
        LEFT JOIN handed hd ON hd.code = u.code
        LEFT JOIN certified ce ON ce.code = u.code
        WHERE {chosen}
        ORDER BY e.code
        """,
        {**params, "start": start, "end": end, "whole_city": whole_city(ctx)},
    )


def _period_text(ctx: ReportContext) -> str:
    start, end = _period(ctx)
    return f"统计期间：{start.isoformat()} 至 {end.isoformat()}"


PERIOD_FILTERS = (
    QueryFilter("from", "起始日期", FilterKind.DATE, description="默认本年1月1日"),
    QueryFilter("to", "截止日期", FilterKind.DATE, description="默认今天"),
)

BUSINESS = ReportSpec(
    id="7.1",
    title="单位业务统计",
    description=(
        "统计期间内为各单位退休人员办理的业务：新登记、档案移交接收人数、转入、转出、死亡减员、暂停发放、恢复发放、"
        "资格认证人数；只列期间内有业务的单位。登记、转移、死亡、暂停和恢复按变更生效日期（差错恢复的记录不计），"
        "档案移交按接收日期，资格认证按认证日期；默认为本年至今。"
    ),
    measures=(
        Measure("registered", "新登记", width=16),
        Measure("handed_over", "档案移交接收", width=22),
        Measure("transferred_in", "转入", width=14),
        Measure("transferred_out", "转出", width=14),
        Measure("deceased", "死亡减员", width=18),
        Measure("suspended", "暂停发放", width=18),
        Measure("resumed", "恢复发放", width=18),
        Measure("certified", "资格认证", width=18),
    ),
    build=_business,
    filters=(*PERIOD_FILTERS, EMPLOYER, INSTITUTION),
    axis=Axis.GIVEN,
    unit_label="单位",
    chart=ChartKind.STACKED_BAR,
    subtitle=_period_text,
)


def _head_counts(ctx: ReportContext) -> Statement:
    state = PersonState(ctx)
    counts = f"""
        SELECT r.employer_code AS code,
               count(*) AS total,
               count(*) FILTER (WHERE {state.status} = ANY(:managed)) AS managed,
               count(*) FILTER (WHERE {state.status} = :approved) AS approved,
               count(*) FILTER (WHERE {state.status} = :deceased) AS deceased,
               count(*) FILTER (WHERE {state.status} = :deceased AND r.death_date >= :year_start) AS died_this_year,
               count(*) FILTER (WHERE {state.status} = :moved_away) AS moved_away,
               count(c.retiree_id) AS handed_over,
               count(*) FILTER (WHERE c.retiree_id IS NULL AND {state.status} <> :moved_away) AS not_handed_over
        FROM retiree r {state.join}
        {PERSON_SCOPE.format(institution=state.institution)}
        LEFT JOIN custody c ON c.retiree_id = r.id
        WHERE {PERSON_PATH} LIKE :prefix AND {state.where} AND r.employer_code IS NOT NULL"""
    keys = tuple(m.key for m in HEAD_COUNT_MEASURES)
    sql, params = _per_employer(ctx, counts, keys)
    return Statement(
        f"WITH custody AS ({CUSTODY_ON}), {sql.strip().removeprefix('WITH ')}",
        {
            **params,
            "managed": _MANAGED,
            "approved": Status.APPROVED.value,
            "deceased": Status.DECEASED.value,
            "moved_away": Status.MOVED_AWAY.value,
            "year_start": ctx.on.replace(month=1, day=1),
        },
    )


def on_text(ctx: ReportContext) -> str:
    return f"统计日期：{ctx.on.isoformat()}"


HEAD_COUNT_MEASURES = (
    Measure("total", "总人数", width=16, charted=False),
    Measure("managed", "在管", width=14),
    Measure("approved", "已核准未登记", width=22),
    Measure("deceased", "已死亡", width=16),
    Measure("died_this_year", "其中本年死亡", width=22, charted=False),
    Measure("moved_away", "已转出市外", width=20),
    Measure("handed_over", "档案已移交", width=20, charted=False),
    Measure("not_handed_over", "档案未移交", width=20, charted=False),
)

HEAD_COUNTS = ReportSpec(
    id="7.6",
    title="单位人数情况统计",
    description=(
        "各单位退休人员在统计日的人数：总人数，其中在管（已登记、暂停发放、转出待转入）、已核准未登记、已死亡（其中本年死亡）、"
        "已转出市外；档案已移交（统计日前已接收）和未移交（不含转出市外）人数。人员按统计日所属社区，未登记的按参保经办机构"
        "归入统计范围；可按历史日期统计。"
    ),
    measures=HEAD_COUNT_MEASURES,
    build=_head_counts,
    filters=(EMPLOYER, INSTITUTION),
    axis=Axis.GIVEN,
    unit_label="单位",
    chart=ChartKind.STACKED_BAR,
    as_of=True,
    subtitle=on_text,
)


def _registered(ctx: ReportContext) -> Statement:
    state = PersonState(ctx)
    counts = f"""
        SELECT r.employer_code AS code,
               count(*) FILTER (WHERE r.management_form = '1') AS community,
               count(*) FILTER (WHERE r.management_form = '2') AS agency,
               count(*) FILTER (WHERE r.management_form = '3') AS employer,
               count(*) FILTER (WHERE {state.status} = :registered) AS registered,
               count(*) FILTER (WHERE {state.status} = :suspended) AS suspended,
               count(*) FILTER (WHERE {state.status} = :transferring_out) AS transferring_out,
               count(*) AS total
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        WHERE i.path LIKE :prefix AND {state.status} = ANY(:managed) AND {state.where}
          AND r.employer_code IS NOT NULL"""
    sql, params = _per_employer(ctx, counts, tuple(m.key for m in REGISTERED_MEASURES))
    return Statement(
        sql,
        {
            **params,
            "managed": _MANAGED,
            "registered": Status.REGISTERED.value,
            "suspended": Status.SUSPENDED.value,
            "transferring_out": Status.TRANSFERRING_OUT.value,
        },
    )


REGISTERED_MEASURES = (
    Measure("community", "社区管理", width=18),
    Measure("agency", "社保经办机构管理", width=30),
    Measure("employer", "委托原单位管理", width=26),
    Measure("registered", "已登记", width=16, charted=False),
    Measure("suspended", "暂停发放", width=18, charted=False),
    Measure("transferring_out", "转出待转入", width=20, charted=False),
    Measure("total", "合计", width=16, charted=False),
)

REGISTERED = ReportSpec(
    id="7.7",
    title="单位登记人数统计",
    description=(
        "各单位在统计范围内机构登记在管（已登记、暂停发放、转出待转入）的退休人员人数，按管理形式（社区管理、社保经办机构管理、"
        "委托原单位管理）和按状态分列；可按历史日期统计（状态和所属机构取当日，管理形式取当前值）。"
    ),
    measures=REGISTERED_MEASURES,
    build=_registered,
    filters=(EMPLOYER, INSTITUTION),
    axis=Axis.GIVEN,
    unit_label="单位",
    chart=ChartKind.STACKED_BAR,
    as_of=True,
    subtitle=on_text,
)
