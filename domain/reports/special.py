"""7.5 特殊人员分布情况统计 (special people distribution): per institution one level below the caller's scope, the
people under management on each of the eight special ledgers of 5.1 — seven from the special categories recorded with
the supplementary info (4.2), 高龄 from the birth date against the ``aged_ledger_age`` parameter — and how many
people are on at least one.

As of a past date each person counts with the status and institution they had then (the state periods of
domain/status_log/periods.py) and their age on that date. The supplementary info keeps only its current values, so
a person's categories are those recorded now, and only people whose info had been collected by that date count
for them: the ledgers as they could have stood on the date.
"""

from __future__ import annotations

from domain.ledgers.models import LEDGERS, Ledger
from domain.queries.spec import Statement
from domain.queries.sql import PersonState
from domain.reports.distribution import MANAGED
from domain.reports.spec import ChartKind, Measure, ReportContext, ReportSpec, unit_of
from domain.reports.work import INSTITUTION

AGE_PARAMETER = "aged_ledger_age"
_DEFAULT_AGE = 75
# The latest birth date of someone of the aged ledger's age on :on (29 February: the 28th, as aged_cutoff counts).
_CUTOFF = (
    "(CAST(:on AS date) - make_interval(years => coalesce("
    f"(SELECT CAST(p.value AS int) FROM dictionary_parameter p WHERE p.name = '{AGE_PARAMETER}'), {_DEFAULT_AGE})))"
)


def _entered(ledger: Ledger) -> str:
    return f"(s.recorded AND '{LEDGERS[ledger].category_code}' = ANY(s.special_categories))"


def _condition(ledger: Ledger) -> str:
    return f"r.birth_date <= {_CUTOFF}" if ledger is Ledger.AGED else _entered(ledger)


def _special(ctx: ReportContext) -> Statement:
    state = PersonState(ctx, scoped=True)
    recorded = "(si.recorded_at AT TIME ZONE 'Asia/Shanghai')::date <= :on" if ctx.as_of_past else "TRUE"
    by_ledger = ", ".join(f"count(*) FILTER (WHERE {_condition(ledger)}) AS {ledger.value}" for ledger in Ledger)
    anyone = " OR ".join(_condition(ledger) for ledger in Ledger)
    return Statement(
        f"""
        SELECT {unit_of("i.path")} AS unit, {by_ledger}, count(*) AS people
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        LEFT JOIN LATERAL (
            SELECT si.special_categories, {recorded} AS recorded
            FROM retiree_supplementary_info si WHERE si.retiree_id = r.id
        ) s ON TRUE
        WHERE i.path LIKE :prefix AND {state.status} = ANY(:managed) AND {state.where} AND ({anyone})
        GROUP BY 1
        """,
        {"managed": [status.value for status in MANAGED]},
    )


SPECIAL = ReportSpec(
    id="7.5",
    title="特殊人员分布情况统计",
    description="在管退休人员（已登记、暂停发放、转出待转入）中八类特殊人员的人数：工残、孤寡、劳模、重病、特困、军转、党员按补充信息"
    "登记的特殊类别，高龄按统计日的年龄（台账年龄参数，默认75周岁）；一人可属多类，“特殊人员合计”每人只计一次。可按历史日期统计"
    "（人员状态、所属机构和年龄取当日，特殊类别取当前记录值，只计当日前已采集补充信息的人员）。",
    measures=(
        *(Measure(ledger.value, LEDGERS[ledger].short, width=16) for ledger in Ledger),
        Measure("people", "特殊人员合计", width=24, charted=False),
    ),
    build=_special,
    filters=(INSTITUTION,),
    chart=ChartKind.STACKED_BAR,
    as_of=True,
)
