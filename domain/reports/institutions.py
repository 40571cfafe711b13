"""7.4 机构基本情况统计 (institutions): per institution one level below the caller's scope, how many institutions of
each level lie in its subtree (itself included: a district row counts its own agency), how many were deactivated
(merged away, 4.8), the active staff accounts working there and the retirees it manages.

Institutions and accounts keep no history of their own (an institution's deactivation has no date), so the report is
of the present only; the people under management come from the registry as the other counts do."""

from __future__ import annotations

from domain.institutions.models import LEVEL_LABELS, Level
from domain.queries.spec import Statement
from domain.reports.distribution import MANAGED
from domain.reports.spec import ChartKind, Measure, ReportContext, ReportSpec, unit_of
from domain.reports.work import INSTITUTION

_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)


def _institutions(ctx: ReportContext) -> Statement:
    by_level = ", ".join(
        f"count(*) FILTER (WHERE i.level = '{level.value}' AND i.active) AS {level.value}" for level in _LEVELS
    )
    return Statement(
        f"""
        WITH nodes AS (
            SELECT {unit_of("i.path")} AS unit, {by_level},
                   count(*) FILTER (WHERE i.active) AS active, count(*) FILTER (WHERE NOT i.active) AS inactive
            FROM institution i
            WHERE i.path LIKE :prefix
            GROUP BY 1
        ), staff AS (
            SELECT {unit_of("i.path")} AS unit, count(*) AS staff
            FROM staff_account s JOIN institution i ON i.id = s.institution_id
            WHERE i.path LIKE :prefix AND s.active
            GROUP BY 1
        ), people AS (
            SELECT {unit_of("i.path")} AS unit, count(*) AS retirees
            FROM retiree r JOIN institution i ON i.id = r.institution_id
            WHERE i.path LIKE :prefix AND r.status = ANY(:managed)
            GROUP BY 1
        )
        SELECT n.unit, {", ".join(f"n.{level.value}" for level in _LEVELS)}, n.active, n.inactive,
               coalesce(s.staff, 0) AS staff, coalesce(p.retirees, 0) AS retirees
        FROM nodes n
        LEFT JOIN staff s ON s.unit = n.unit
        LEFT JOIN people p ON p.unit = n.unit
        """,
        {"managed": [status.value for status in MANAGED]},
    )


INSTITUTIONS = ReportSpec(
    id="7.4",
    title="机构基本情况统计",
    description="每个下一级机构辖区内（含其自身）的各级在用经办机构数、已停用（合并撤销）机构数、在岗工作人员账号数和在管退休人员数；"
    "机构和账号不保留历史，只统计当前情况。",
    measures=(
        *(Measure(level.value, LEVEL_LABELS[level], width=26) for level in _LEVELS),
        Measure("active", "在用机构合计", width=24, charted=False),
        Measure("inactive", "已停用机构", width=22, charted=False),
        Measure("staff", "在岗工作人员账号", width=30, charted=False),
        Measure("retirees", "在管退休人员", width=26, charted=False),
    ),
    build=_institutions,
    filters=(INSTITUTION,),
    chart=ChartKind.STACKED_BAR,
    unit_label="机构",
)
