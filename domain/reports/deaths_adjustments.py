"""Two roster reports of section 7 (名册类报表) drawn from the business the registry records: 7.12 the death reduction
report (死亡减员报告表) and 7.14 the adjustment sheet (调整养老金审批表/调资花名册). Each is a :class:`RosterSpec`
around a query declaration, so it is paged, sorted, masked and streamed by domain/queries/service.py exactly as the
other rosters are, and printed with its signature lines and its 合计 line.

7.12 reads the status-change log: every death (kind ``deceased``) whoever reported it — staff (4.6, with the death
record and the overpayment computed when it was recorded, domain/deaths/rules.py) or the province (2.3, no
overpayment known: the columns stay empty) — of the scope (the institution the person was under when the death was
entered) recorded in the period (the date staff recorded it; for a death the province reported, the day it reached
the registry). A death restored as an error is not a death. As of a past date, the report shows what was known
that day: deaths recorded up to it, a restoration entered after it not yet made, the overpayment still to recover
if it was marked recovered or waived later, and the province's acknowledgement from the push's timestamps.

7.14 lists each person's adjustment of one year with the 4.9 notice's per-person figures
(domain/adjustments/notice.py ``PER_PERSON_FIGURES``: before = the first batch's, after = the last batch's,
increase = the sum) and the months paid in arrears. The rule, written down: the province pays the adjusted pension
from the month it applies the adjustment, which is the month the adjustment reached the registry (``applied_at``, the
city's calendar); the months from the adjustment's effective month up to the month before are back-paid (补发), each
at that batch's increase. One grouped join over the scope (the notice's figures and the back pay in one pass) for the
export; a page sorted by the person (by default the personal number, an index) aggregates its own people only (a
LATERAL, ``Statement.page_sql``) and counts the people (``Statement.count_sql``), not 850,000 people's figures twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain.adjustments.notice import PER_PERSON_FIGURES
from domain.deaths.rules import RECOVERY_STATE_LABELS, RecoveryState
from domain.queries.employers import EMPLOYER, _employer_filter
from domain.queries.people import INSTITUTION
from domain.queries.service import invalid_filter
from domain.queries.spec import ColumnKind as K
from domain.queries.spec import FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.sql import STATUS_LABEL_SQL, labels, whole_city
from domain.reports.spec import RosterSpec
from domain.retirees.lifecycle import ChangeKind
from domain.shared.calendar import BUSINESS_TZ
from domain.status_log.models import SyncState
from domain.status_log.queries import CAUSE_TYPE_LABELS, SYNC_STATE_LABELS

_TZ = str(BUSINESS_TZ)

# --- 7.12 死亡减员报告表 ------------------------------------------------------------------------------------------


def _period(ctx: QueryContext) -> tuple[date, date]:
    """The period of recording: default the month of the report's date, never past it."""
    start: date = ctx.filters.get("from") or ctx.on.replace(day=1)
    end: date = min(ctx.filters.get("to") or ctx.on, ctx.on)
    return start, end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), BUSINESS_TZ)


_RECOVERY = {s.value: label for s, label in RECOVERY_STATE_LABELS.items()}
_SYNC = {s.value: label for s, label in SYNC_STATE_LABELS.items()}
_SOURCES = {c.value: label for c, label in CAUSE_TYPE_LABELS.items()}


def _sync_state(ctx: QueryContext) -> str:
    """The province's acknowledgement: today as the log holds it; as of a past date from the push's timestamps."""
    if not ctx.as_of_past:
        return "sc.sync_state"
    return f"""CASE WHEN sc.sync_state = '{SyncState.NOT_SENT.value}' THEN sc.sync_state
                    WHEN sc.acknowledged_at < :until THEN '{SyncState.ACKNOWLEDGED.value}'
                    WHEN sc.sent_at < :until THEN '{SyncState.SENT.value}'
                    ELSE '{SyncState.PENDING.value}' END"""


def _recovery_state(ctx: QueryContext) -> str:
    if not ctx.as_of_past:
        return "d.recovery_state"
    return f"""CASE WHEN d.recovery_marked_at >= :until THEN '{RecoveryState.TO_RECOVER.value}'
                    ELSE d.recovery_state END"""


def _death_report(ctx: QueryContext) -> Statement:
    start, end = _period(ctx)
    if end < start:
        raise invalid_filter("to", f"截止日期 {end.isoformat()} 不能早于起始日期 {start.isoformat()}")
    more, params = _employer_filter(ctx, "e")
    recorded = f"COALESCE(d.recorded_on, (sc.entered_at AT TIME ZONE '{_TZ}')::date)"
    # An entry with no institution (a person approved, not registered anywhere) is seen by the whole city only.
    sql = f"""
        SELECT sc.id AS row_key, sc.retiree_id, r.personal_number, r.name, r.id_number,
               COALESCE(e.name, r.employer_code) AS employer, i.name AS institution,
               sc.effective_date AS death_date, {recorded} AS recorded_on,
               {labels("sc.cause_type", _SOURCES)} AS source,
               array_to_string(d.overpaid_months, '、') AS overpaid_months,
               cardinality(d.overpaid_months) AS overpaid_month_count, d.overpaid_amount,
               {labels(_recovery_state(ctx), _RECOVERY)} AS recovery,
               {labels(_sync_state(ctx), _SYNC)} AS acknowledgement
        FROM status_change sc
        JOIN retiree r ON r.id = sc.retiree_id
        LEFT JOIN institution i ON i.id = sc.institution_id
        LEFT JOIN employer e ON e.code = r.employer_code
        LEFT JOIN death_record d ON d.status_change_id = sc.id
        WHERE sc.kind = '{ChangeKind.DECEASED.value}'
          AND (i.path LIKE :prefix OR (sc.institution_id IS NULL AND :whole_city))
          AND {recorded} BETWEEN :start AND :end
          AND NOT EXISTS (SELECT 1 FROM status_change x WHERE x.reverses_id = sc.id AND x.entered_at < :until){more}
    """
    until = _midnight(ctx.on + timedelta(days=1))
    return Statement(sql, {**params, "start": start, "end": end, "until": until, "whole_city": whole_city(ctx)})


def _death_subtitle(ctx: QueryContext) -> str:
    start, end = _period(ctx)
    parts = [f"登记期间 {start.isoformat()} 至 {end.isoformat()}"]
    if ctx.filters.get("employer"):
        parts.append(f"单位 {ctx.filters['employer']}")
    return " · ".join(parts)


DEATH_REPORT = RosterSpec(
    QuerySpec(
        id="7.12",
        title="退休人员死亡减员报告表",
        description=(
            "辖区内一段时间（默认本月）登记的死亡减员人员：死亡日期、登记日期、登记来源（经办人员或省平台），"
            "死亡后多发的养老金月份和金额（经办人员登记时计算）及追回情况，省平台确认情况；合计多发月数和金额。"
        ),
        columns=(
            ResultColumn("institution", "所属机构", width=30, sortable=True),
            ResultColumn("personal_number", "个人编号", width=26, sortable=True),
            ResultColumn("name", "姓名", width=16, sortable=True),
            ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=34),
            ResultColumn("employer", "原工作单位", width=32, sortable=True),
            ResultColumn("death_date", "死亡日期", K.DATE, width=20, sortable=True),
            ResultColumn("recorded_on", "登记日期", K.DATE, width=20, sortable=True),
            ResultColumn("source", "登记来源", width=20),
            ResultColumn("overpaid_months", "多发月份", width=28),
            ResultColumn("overpaid_month_count", "多发月数", K.NUMBER, width=12, sortable=True),
            ResultColumn("overpaid_amount", "多发金额（元）", K.MONEY, width=20, sortable=True),
            ResultColumn("recovery", "追回情况", width=22),
            ResultColumn("acknowledgement", "省平台确认", width=26),
        ),
        filters=(
            QueryFilter("from", "登记日期自", FilterKind.DATE, description="默认本月1日"),
            QueryFilter("to", "登记日期至", FilterKind.DATE, description="默认今天"),
            INSTITUTION,
            EMPLOYER,
        ),
        build=_death_report,
        default_sort="recorded_on",
        tiebreak="row_key",
        as_of=True,
    ),
    footer_lines=("经办人：                  审核人：                  单位（盖章）：                  日期：",),
    subtitle=_death_subtitle,
    summed=("overpaid_month_count", "overpaid_amount"),
)

# --- 7.14 调资花名册 ----------------------------------------------------------------------------------------------

_MONTH_INDEX = "(substr({m}, 1, 4)::int * 12 + substr({m}, 6, 2)::int)"
_APPLIED_INDEX = (
    f"(extract(year FROM a.applied_at AT TIME ZONE '{_TZ}')::int * 12"
    f" + extract(month FROM a.applied_at AT TIME ZONE '{_TZ}')::int)"
)
_BACK_MONTHS = f"greatest(0, {_APPLIED_INDEX} - {_MONTH_INDEX.format(m='a.effective_month')})"
_LATEST_YEAR = "(SELECT max(adjustment_year) FROM pension_adjustment)"


# The sheet's columns of the person (not figures): a page sorted by one of them aggregates its own people only.
_PERSON_SORTS = frozenset({"institution", "personal_number", "name", "employer"})


def _adjustment_sheet(ctx: QueryContext) -> Statement:
    """Each person of the scope adjusted in the year, with the notice's figures (``PER_PERSON_FIGURES``) and the
    months and amount back-paid, written twice with the same figures:

    - ``sql``, one grouped join (every person's figures in one pass: a hash aggregate), for the export's stream and a
      page sorted by a figure;
    - ``page_sql``, the person's batches aggregated in a LATERAL subquery (no row when none that year), for a page
      sorted by a column of the person (``page_sorts``): sorted by the personal number (an index, the default) a
      page of the whole city reads and aggregates its 20 people only.

    The total counts the people directly (``count_sql``: an EXISTS probe of the adjustment per person)."""
    more, params = _employer_filter(ctx, "e")
    year = ctx.filters.get("year")
    # No year asked: the latest year adjusted (one probe of ix_pension_adjustment_year).
    year_sql = ":year" if year is not None else _LATEST_YEAR
    figures = PER_PERSON_FIGURES.replace(" AS months", " AS effective_months")
    person = """r.id AS row_key, r.id AS retiree_id, r.personal_number, r.name, r.id_number,
               i.name AS institution, COALESCE(e.name, r.employer_code) AS employer"""
    aggregates = f"""min(a.adjustment_year) AS adjustment_year, {figures},
               max({_BACK_MONTHS}) AS back_months, sum(a.increase * {_BACK_MONTHS}) AS back_pay"""
    status = f"{labels('r.status', STATUS_LABEL_SQL)} AS status"
    people = """
        FROM retiree r
        JOIN institution i ON i.id = r.institution_id
        LEFT JOIN employer e ON e.code = r.employer_code"""
    sql = f"""
        SELECT {person}, {aggregates}, {status}
        FROM retiree r
        JOIN pension_adjustment a ON a.retiree_id = r.id AND a.adjustment_year = {year_sql}
        JOIN institution i ON i.id = r.institution_id
        LEFT JOIN employer e ON e.code = r.employer_code
        WHERE i.path LIKE :prefix{more}
        GROUP BY r.id, i.name, e.name
    """
    page_sql = f"""
        SELECT {person}, f.*, {status}{people}
        CROSS JOIN LATERAL (
            SELECT {aggregates}
            FROM pension_adjustment a
            WHERE a.retiree_id = r.id AND a.adjustment_year = {year_sql}
            HAVING count(*) > 0
        ) f
        WHERE i.path LIKE :prefix{more}
    """
    count_sql = f"""
        SELECT count(*){people}
        WHERE i.path LIKE :prefix{more}
          AND EXISTS (SELECT 1 FROM pension_adjustment a WHERE a.retiree_id = r.id AND a.adjustment_year = {year_sql})
    """
    return Statement(
        sql,
        {**params, "year": year} if year is not None else params,
        count_sql=count_sql,
        page_sql=page_sql,
        page_sorts=_PERSON_SORTS,
    )


def _adjustment_subtitle(ctx: QueryContext) -> str:
    year = ctx.filters.get("year")
    parts = [f"调整年度 {year}" if year else "调整年度：最近一次调资的年度"]
    if ctx.filters.get("employer"):
        parts.append(f"单位 {ctx.filters['employer']}")
    parts.append("补发月数：执行月份至本系统收到调资信息的上一个月")
    return " · ".join(parts)


ADJUSTMENT_SHEET = RosterSpec(
    QuerySpec(
        id="7.14",
        title="退休人员调整养老金审批表（调资花名册）",
        description=(
            "某一年度（默认最近一次调资的年度）辖区每位退休人员的养老金调整：调整前、调整后金额，增加额，"
            "执行月份，补发月数和补发金额（一年多批次时合并）；合计增加额和补发金额。"
        ),
        columns=(
            ResultColumn("institution", "所属社区", width=30, sortable=True),
            ResultColumn("personal_number", "个人编号", width=26, sortable=True),
            ResultColumn("name", "姓名", width=16, sortable=True),
            ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=34),
            ResultColumn("employer", "原工作单位", width=32, sortable=True),
            ResultColumn("adjustment_year", "调整年度", K.NUMBER, width=14),
            ResultColumn("effective_months", "执行月份", width=20),
            ResultColumn("amount_before", "调整前金额（元）", K.MONEY, width=22, sortable=True),
            ResultColumn("amount_after", "调整后金额（元）", K.MONEY, width=22, sortable=True),
            ResultColumn("increase", "增加额（元）", K.MONEY, width=20, sortable=True),
            ResultColumn("back_months", "补发月数", K.NUMBER, width=12, sortable=True),
            ResultColumn("back_pay", "补发金额（元）", K.MONEY, width=20, sortable=True),
            ResultColumn("status", "当前状态", width=16),
        ),
        filters=(
            QueryFilter("year", "调整年度", FilterKind.YEAR, description="如 2026；不填为最近一次调资的年度"),
            INSTITUTION,
            EMPLOYER,
        ),
        build=_adjustment_sheet,
        default_sort="personal_number",  # an indexed key: a page reads and aggregates its own people only
        tiebreak="row_key",
    ),
    footer_lines=("经办人：                  审核人：                  审批人：                  单位（盖章）：",),
    subtitle=_adjustment_subtitle,
    summed=("increase", "back_pay"),
)

ROSTERS_7_12_7_14: tuple[RosterSpec, ...] = (DEATH_REPORT, ADJUSTMENT_SHEET)
