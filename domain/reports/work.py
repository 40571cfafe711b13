"""Reports of the work done (section 7): 7.8 by management form, 7.13 suspensions and resumptions, 7.15 the
monthly work report. Each counts over the caller's scope, per institution one level down."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from domain.dictionary.codes import REASON_CODE_LABELS, ReasonCode
from domain.queries.service import invalid_filter
from domain.queries.spec import FilterKind, QueryFilter, Statement
from domain.queries.sql import CITY_DEPTH, PersonState, whole_city
from domain.reports.distribution import MANAGED
from domain.reports.spec import NO_INSTITUTION, ChartKind, Measure, ReportContext, ReportSpec, unit_of
from domain.status_log.periods import in_registry_on, institution_on, scope_candidates_on, state_on_join, status_on

INSTITUTION = QueryFilter("institution_id", "统计范围", FilterKind.INSTITUTION, description="范围内的任一机构")
_MANAGED = [s.value for s in MANAGED]

# An entry of the log counts unless it was restored as an error (and the restoring entry itself never counts).
_LIVE = "sc.kind <> 'error_restored' AND NOT EXISTS (SELECT 1 FROM status_change x WHERE x.reverses_id = sc.id)"


def _entry_unit() -> str:
    return f"CASE WHEN i.path IS NULL THEN '{NO_INSTITUTION}' ELSE {unit_of('i.path')} END"


_ENTRY_SCOPE = "(i.path LIKE :prefix OR (sc.institution_id IS NULL AND :whole_city))"


def _management_forms(ctx: ReportContext) -> Statement:
    state = PersonState(ctx, scoped=True)
    return Statement(
        f"""
        SELECT {unit_of("i.path")} AS unit,
               count(*) FILTER (WHERE r.management_form = '1') AS community,
               count(*) FILTER (WHERE r.management_form = '2') AS agency,
               count(*) FILTER (WHERE r.management_form = '3') AS employer,
               count(*) AS total
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        WHERE i.path LIKE :prefix AND {state.status} = ANY(:managed) AND {state.where}
        GROUP BY 1
        """,
        {"managed": _MANAGED},
    )


BY_MANAGEMENT_FORM = ReportSpec(
    id="7.8",
    title="按管理形式统计",
    description="在管退休人员（已登记、暂停发放、转出待转入）按管理形式（社区管理、社保经办机构管理、委托原单位管理）的人数；可按历史日期统计（管理形式取当前值）。",
    measures=(
        Measure("community", "社区管理", width=26),
        Measure("agency", "社保经办机构管理", width=34),
        Measure("employer", "委托原单位管理", width=30),
        Measure("total", "合计", width=20, charted=False),
    ),
    build=_management_forms,
    filters=(INSTITUTION,),
    chart=ChartKind.STACKED_BAR,
    as_of=True,
    landscape=False,
)


def _period(ctx: ReportContext) -> tuple[date, date]:
    start = ctx.filters.get("from") or ctx.today.replace(day=1)
    end = ctx.filters.get("to") or ctx.today
    return start, end


_SUSPENSIONS = (
    ReasonCode.CERTIFICATION_OVERDUE,
    ReasonCode.REGISTRATION_OVERDUE,
    ReasonCode.TRANSFER_IN_OVERDUE,
    ReasonCode.SUSPENDED_BY_STAFF,
    ReasonCode.SUSPENDED_BY_PROVINCE,
)
_RESUMPTIONS = (ReasonCode.RESUMED_BY_CERTIFICATION, ReasonCode.RESUMED_BY_STAFF, ReasonCode.RESUMED_BY_PROVINCE)


def _suspensions(ctx: ReportContext) -> Statement:
    start, end = _period(ctx)
    if end < start:
        raise invalid_filter("to", "截止日期不能早于起始日期")
    by_reason = ", ".join(
        f"count(*) FILTER (WHERE sc.kind = '{kind}' AND sc.reason_code = '{code.value}') AS {code.value.lower()}"
        for kind, codes in (("suspended", _SUSPENSIONS), ("resumed", _RESUMPTIONS))
        for code in codes
    )
    return Statement(
        f"""
        SELECT {_entry_unit()} AS unit, {by_reason},
               count(*) FILTER (WHERE sc.kind = 'suspended') AS suspended,
               count(*) FILTER (WHERE sc.kind = 'resumed') AS resumed
        FROM status_change sc
        LEFT JOIN institution i ON i.id = sc.institution_id
        WHERE sc.kind IN ('suspended', 'resumed') AND sc.effective_date BETWEEN :start AND :end
          AND {_ENTRY_SCOPE} AND {_LIVE}
        GROUP BY 1
        """,
        {"start": start, "end": end, "whole_city": whole_city(ctx)},
    )


def _period_text(ctx: ReportContext) -> str:
    start, end = _period(ctx)
    return f"统计期间：{start.isoformat()} 至 {end.isoformat()}（按变更生效日期）"


SUSPENSIONS = ReportSpec(
    id="7.13",
    title="暂停（恢复）发放统计表",
    description="统计期间内生效的暂停发放和恢复发放，按原因分列（差错恢复的记录不计）；默认为本月至今。",
    measures=(
        *(Measure(c.value.lower(), f"暂停：{REASON_CODE_LABELS[c]}", width=24) for c in _SUSPENSIONS),
        Measure("suspended", "暂停合计", width=18, charted=False),
        *(Measure(c.value.lower(), f"恢复：{REASON_CODE_LABELS[c]}", width=24) for c in _RESUMPTIONS),
        Measure("resumed", "恢复合计", width=18, charted=False),
    ),
    build=_suspensions,
    filters=(
        QueryFilter("from", "起始日期", FilterKind.DATE, description="默认本月1日"),
        QueryFilter("to", "截止日期", FilterKind.DATE, description="默认今天"),
        INSTITUTION,
    ),
    chart=ChartKind.STACKED_BAR,
    subtitle=_period_text,
)


def _month(ctx: ReportContext) -> tuple[date, date]:
    first: date = ctx.filters.get("month") or ctx.today.replace(day=1)
    last = first.replace(day=monthrange(first.year, first.month)[1])
    return first, min(last, ctx.today)


def _monthly(ctx: ReportContext) -> Statement:
    first, last = _month(ctx)
    if first > ctx.today:
        raise invalid_filter("month", "不能统计尚未到来的月份")
    counts = ", ".join(
        f"count(*) FILTER (WHERE sc.kind = '{kind}') AS {kind}"
        for kind in ("registered", "transferred_in", "transferred_out", "deceased", "suspended", "resumed")
    )

    # Below the city, only the scope's candidates on that day are counted (read through the indexes).
    scoped = ctx.prefix.count("/") > CITY_DEPTH

    def managed_on(bind: str, alias: str, name: str) -> str:
        candidates = f" AND {scope_candidates_on(bind)}" if scoped else ""
        return f"""
        SELECT {unit_of("i.path")} AS unit, count(*) AS {name}
        FROM retiree r {state_on_join(bind, alias)}
        JOIN institution i ON i.id = {institution_on(alias)}
        WHERE i.path LIKE :prefix AND {status_on(alias)} = ANY(:managed) AND {in_registry_on(bind)}{candidates}
        GROUP BY 1"""

    return Statement(
        f"""
        WITH changes AS (
            SELECT {_entry_unit()} AS unit, {counts}
            FROM status_change sc
            LEFT JOIN institution i ON i.id = sc.institution_id
            WHERE sc.effective_date BETWEEN :first AND :last AND {_ENTRY_SCOPE} AND {_LIVE}
            GROUP BY 1
        ), certified AS (
            SELECT {unit_of("i.path")} AS unit, count(DISTINCT c.retiree_id) AS certified
            FROM certification c
            JOIN retiree r ON r.id = c.retiree_id
            JOIN institution i ON i.id = r.institution_id
            WHERE c.certified_on BETWEEN :first AND :last AND i.path LIKE :prefix
            GROUP BY 1
        ), opening AS ({managed_on(":eve", "a", "opening")}
        ), closing AS ({managed_on(":last", "b", "closing")}
        ), units AS (
            SELECT unit FROM changes UNION SELECT unit FROM certified
            UNION SELECT unit FROM opening UNION SELECT unit FROM closing
        )
        SELECT u.unit, coalesce(o.opening, 0) AS opening,
               coalesce(ch.registered, 0) AS registered, coalesce(ch.transferred_in, 0) AS transferred_in,
               coalesce(ch.transferred_out, 0) AS transferred_out, coalesce(ch.deceased, 0) AS deceased,
               coalesce(ch.suspended, 0) AS suspended, coalesce(ch.resumed, 0) AS resumed,
               coalesce(ce.certified, 0) AS certified, coalesce(cl.closing, 0) AS closing
        FROM units u
        LEFT JOIN opening o ON o.unit = u.unit
        LEFT JOIN changes ch ON ch.unit = u.unit
        LEFT JOIN certified ce ON ce.unit = u.unit
        LEFT JOIN closing cl ON cl.unit = u.unit
        """,
        {
            "first": first,
            "last": last,
            "eve": first - timedelta(days=1),
            "managed": _MANAGED,
            "whole_city": whole_city(ctx),
        },
    )


def _month_text(ctx: ReportContext) -> str:
    first, last = _month(ctx)
    return f"统计月份：{first.year}年{first.month}月（{first.isoformat()} 至 {last.isoformat()}）"


MONTHLY = ReportSpec(
    id="7.15",
    title="社会化管理服务工作月报",
    description="每个机构一个月的工作：月初在管人数、当月登记、转入、转出、死亡减员、暂停发放、恢复发放、资格认证人数、月末在管人数。",
    measures=(
        Measure("opening", "月初在管人数", width=24, charted=False),
        Measure("registered", "新登记", width=18),
        Measure("transferred_in", "转入", width=16),
        Measure("transferred_out", "转出", width=16),
        Measure("deceased", "死亡减员", width=18),
        Measure("suspended", "暂停发放", width=18),
        Measure("resumed", "恢复发放", width=18),
        Measure("certified", "资格认证人数", width=22),
        Measure("closing", "月末在管人数", width=24, charted=False),
    ),
    build=_monthly,
    filters=(QueryFilter("month", "统计月份", FilterKind.MONTH, description="年-月，默认本月"), INSTITUTION),
    subtitle=_month_text,
)
