"""7.3 企业档案存放分布统计 (archive storage distribution): per institution one level below the caller's scope, where
its retirees' paper archives are kept — by a social-security agency (received from the employer in a hand-over
batch, 3.1–3.3), by the talent service centre (the employer is one: it keeps its people's archives), still with the
employer, or not known (no employer on record) — split by where the people are insured (市本级 or 县（市、区）, the
``city_insuring_agency_codes`` parameter, as 7.2 splits them).

A retiree counts where they were managed on the date (their community, else their insuring agency: the scope of
6.1), with the status they had then; people moved out of the city are left out (their archives left with them).
Custody on a past date is the latest batch received by then (``CUSTODY_ON``), so the report holds as of any date.
"""

from __future__ import annotations

from domain.queries.spec import Statement
from domain.queries.sql import PersonState
from domain.reports.employers import CUSTODY_ON, PERSON_PATH, PERSON_SCOPE, on_text
from domain.reports.spec import ChartKind, Measure, ReportContext, ReportSpec, unit_of
from domain.reports.work import INSTITUTION
from domain.retirees.lifecycle import Status

_CITY_CODES = (
    "regexp_split_to_array(replace(coalesce((SELECT p.value FROM dictionary_parameter p"
    " WHERE p.name = 'city_insuring_agency_codes'), ''), ' ', ''), ',')"
)


def _archives(ctx: ReportContext) -> Statement:
    state = PersonState(ctx)
    return Statement(
        f"""
        WITH custody AS ({CUSTODY_ON}), city AS (SELECT {_CITY_CODES} AS codes)
        SELECT {unit_of(PERSON_PATH)} AS unit,
               count(c.retiree_id) AS agency_kept,
               count(*) FILTER (WHERE c.retiree_id IS NULL AND e.talent_centre) AS talent_centre,
               count(*) FILTER (WHERE c.retiree_id IS NULL AND NOT e.talent_centre) AS employer_kept,
               count(*) FILTER (WHERE c.retiree_id IS NULL AND e.id IS NULL) AS unknown,
               count(*) FILTER (WHERE r.insuring_agency_code = ANY(city.codes)) AS city_insured,
               count(*) FILTER (WHERE r.insuring_agency_code <> ALL(city.codes)) AS county_insured,
               count(*) AS total
        FROM retiree r {state.join}
        {PERSON_SCOPE.format(institution=state.institution)}
        LEFT JOIN custody c ON c.retiree_id = r.id
        LEFT JOIN employer e ON e.code = r.employer_code
        CROSS JOIN city
        WHERE {PERSON_PATH} LIKE :prefix AND {state.where} AND {state.status} <> :moved_away
        GROUP BY 1
        """,
        {"moved_away": Status.MOVED_AWAY.value},
    )


ARCHIVES = ReportSpec(
    id="7.3",
    title="企业档案存放分布统计",
    description=(
        "各机构退休人员（不含转出市外）的档案存放在哪里：社保经办机构保管（单位移交并已接收）、人才服务中心保管（所在单位为"
        "人才服务中心）、原单位保管（尚未移交）、存放不详（无单位记录），以及其中市本级参保和县（市、区）参保的人数。人员按"
        "统计日所属社区，未登记的按参保经办机构归入；档案保管按统计日前已接收的移交批次，可按历史日期统计。"
    ),
    measures=(
        Measure("agency_kept", "社保经办机构保管", width=30),
        Measure("talent_centre", "人才服务中心保管", width=30),
        Measure("employer_kept", "原单位保管", width=22),
        Measure("unknown", "存放不详", width=18),
        Measure("city_insured", "其中市本级参保", width=26, charted=False),
        Measure("county_insured", "其中县（市、区）参保", width=34, charted=False),
        Measure("total", "合计", width=16, charted=False),
    ),
    build=_archives,
    filters=(INSTITUTION,),
    chart=ChartKind.STACKED_BAR,
    as_of=True,
    subtitle=on_text,
)
