"""The roster reports of section 7 (名册类报表): lists of people printed as forms — 7.9 the hand-over roster and 7.11
the certification roster. Each is a :class:`RosterSpec` around a query declaration, so it is paged, sorted,
masked and streamed by domain/queries/service.py exactly as the lists of section 6 are.

7.11 wraps 6.13's statement (the people certified in a period, or those managed and not certified in it) and adds
what the paper roster shows besides: the employer, how and where the person was certified, and which sources
reported it. 7.9 lists the people of hand-over batches with the columns of the per-batch roster (3.2)."""

from __future__ import annotations

from domain.handover.models import (
    ARCHIVE_ITEM_LABELS,
    DISCREPANCY_LABELS,
    HANDOVER_STATE_LABELS,
    RECEIPT_RESULT_LABELS,
    HandoverState,
)
from domain.handover.queries import SEX_LABELS as HANDOVER_SEX_LABELS
from domain.ministry_imports.rules import METHOD_LABELS
from domain.queries.business import CERT_SOURCE_LABELS, CERTIFICATIONS, CertList, _name
from domain.queries.employers import EMPLOYER, _employer_filter
from domain.queries.people import INSTITUTION
from domain.queries.spec import Choice, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import PersonState, labels, person_select
from domain.reports.spec import SIGNATURE_LINE, RosterSpec

# --- 7.11 资格认证花名册 --------------------------------------------------------------------------------------------

CERT_METHOD_LABELS = {m.value: label for m, label in METHOD_LABELS.items()}


def _certification_roster(ctx: QueryContext) -> Statement:
    """6.13's statement (same scope, period, list, kind and name), each row joined to its employer and, for a
    certification, its method, place and the sources that reported it."""
    inner = CERTIFICATIONS.build(ctx)
    certified = ctx.filters["list"] != CertList.UNCERTIFIED
    detail = (
        f"""{labels("c.method", CERT_METHOD_LABELS)} AS method, c.location_code AS place,
               (SELECT string_agg(DISTINCT {labels("cr.source", CERT_SOURCE_LABELS)}, '、')
                FROM certification_report cr
                WHERE cr.retiree_id = c.retiree_id AND cr.certified_on = c.certified_on
                  AND cr.certification_id = c.id) AS reports"""
        if certified
        else "NULL AS method, NULL AS place, NULL AS reports"
    )
    join = "JOIN certification c ON c.id = q.row_key" if certified else ""
    sql = f"""
        SELECT q.*, COALESCE(e.name, rr.employer_code) AS employer, {detail}
        FROM ({inner.sql}) q
        JOIN retiree rr ON rr.id = q.retiree_id
        LEFT JOIN employer e ON e.code = rr.employer_code
        {join}
    """
    # The total counts 6.13's rows (the employer and certification joins neither add nor drop one), the way 6.13
    # counts them (the whole city's in person order, business._city_count).
    if certified:
        counted = inner.count_sql or f"SELECT count(*) FROM ({inner.sql}) q"
        return Statement(sql, inner.params, count_sql=counted, count_settings=inner.count_settings)
    page_sql = _uncertified_page(ctx)
    return Statement(
        sql,
        inner.params,
        count_sql=inner.count_sql or f"SELECT count(*) FROM ({page_sql}) q",
        count_settings=inner.count_settings,
        page_sql=page_sql,
        page_sorts=_CERT_SORTS,
    )


def _uncertified_page(ctx: QueryContext) -> str:
    """The people managed in the scope and not certified in the period — 6.13's uncertified list (same scope, state
    as of the date, period and name; the bound names are its own) — with the employer as a subquery and no joins
    above the people: the planner evaluates the employer after the sort, for the page's rows only, and the sort
    under LIMIT keeps the page's rows (a top-N heap) instead of sorting 800,000 wide rows on disk. Its count reads
    no employer at all (an unused column of a flattened subquery is never computed)."""
    state = PersonState(ctx, scoped=True)
    where = _name(ctx, "", {})
    return f"""
        SELECT r.id AS row_key, {person_select(state)}, r.phone, i.name AS institution, r.last_certified_on,
               NULL::date AS certified_on, NULL AS kind, NULL AS source,
               COALESCE((SELECT e.name FROM employer e WHERE e.code = r.employer_code), r.employer_code) AS employer,
               NULL AS method, NULL AS place, NULL AS reports
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        WHERE i.path LIKE :prefix AND {state.where} AND {state.status} = ANY(:managed){where} AND NOT EXISTS (
            SELECT 1 FROM certification c WHERE c.retiree_id = r.id AND c.certified_on BETWEEN :start AND :end)
    """


def _certification_subtitle(ctx: QueryContext) -> str:
    start = ctx.filters.get("from") or ctx.on.replace(month=1, day=1)
    end = min(ctx.filters.get("to") or ctx.on, ctx.on)
    which = "期间内未认证人员" if ctx.filters["list"] == CertList.UNCERTIFIED else "期间内已认证人员"
    return f"认证期间 {start.isoformat()} 至 {end.isoformat()} · {which}"


_CERT_COLUMNS = {c.key: c for c in CERTIFICATIONS.columns}

CERTIFICATION_ROSTER = RosterSpec(
    QuerySpec(
        id="7.11",
        title="资格认证花名册",
        description=(
            "辖区内一段时间（默认本年 1 月 1 日至今）的资格认证花名册："
            "已认证人员的认证日期、认证类别、来源、方式和地点；"
            "或选择“期间内未认证”，列出在管但期间内没有认证的人员（需催办）。"
        ),
        columns=(
            *(_CERT_COLUMNS[k] for k in ("personal_number", "name", "sex", "id_number", "birth_date")),
            ResultColumn("institution", "所属社区", width=36, sortable=True),
            ResultColumn("employer", "原工作单位", width=40, sortable=True),
            ResultColumn("status", "状态", width=16, sortable=True),
            ResultColumn("certified_on", "认证日期", K.DATE, width=22, sortable=True),
            ResultColumn("kind", "认证类别", width=24, sortable=True),
            ResultColumn("source", "认证来源", width=28),
            ResultColumn("method", "认证方式", width=24),
            ResultColumn("place", "认证地点", width=18),
            ResultColumn("reports", "上报来源", width=36),
            ResultColumn("last_certified_on", "最近认证日期", K.DATE, width=22, sortable=True),
            _CERT_COLUMNS["phone"],  # whom to call when not certified
        ),
        filters=CERTIFICATIONS.filters,
        build=_certification_roster,
        default_sort="institution",
        tiebreak="row_key",
        as_of=True,
    ),
    subtitle=_certification_subtitle,
)
# Every sort of 7.11 is a person's column: a page of the uncertified list always takes ``_uncertified_page``.
_CERT_SORTS = frozenset(c.key for c in CERTIFICATION_ROSTER.query.columns if c.sortable)

# --- 7.9 移交花名册 -------------------------------------------------------------------------------------------------


class HandoverScope:
    RECEIVED = "received"  # 已接收的批次
    ALL = "all"  # 已接收和待接收（已提交）的批次


_ITEMS = {i.value: label for i, label in ARCHIVE_ITEM_LABELS.items()}
_RESULTS = {r.value: label for r, label in RECEIPT_RESULT_LABELS.items()}
_DISCREPANCIES = {d.value: label for d, label in DISCREPANCY_LABELS.items()}
_STATES = {s.value: label for s, label in HANDOVER_STATE_LABELS.items()}
# The per-batch roster's 接收结果/备注 (domain/handover/queries.result_label), set-based.
_RESULT_SQL = f"""(COALESCE({labels("hp.result", _RESULTS)}, '待接收')
    || COALESCE('：' || {labels("hp.discrepancy", _DISCREPANCIES)}, '')
    || COALESCE('（' || hp.receipt_remarks || '）', '')
    || CASE WHEN hp.deceased THEN '；已故' ELSE '' END)"""


def _handover_roster(ctx: QueryContext) -> Statement:
    more, params = _employer_filter(ctx, "e")
    states = [HandoverState.RECEIVED.value]
    if ctx.filters["batches"] == HandoverScope.ALL:
        states.append(HandoverState.SUBMITTED.value)
    params["states"] = states
    if ctx.filters.get("batch"):
        more += " AND h.number = :batch"
        params["batch"] = ctx.filters["batch"]
    if ctx.filters.get("from"):
        more += " AND h.received_on >= :from_date"
        params["from_date"] = ctx.filters["from"]
    if ctx.filters.get("to"):
        more += " AND h.received_on <= :to_date"
        params["to_date"] = ctx.filters["to"]
    sql = f"""
        SELECT hp.id AS row_key, r.id AS retiree_id, e.name AS employer, h.number AS handover_number,
               {labels("h.state", _STATES)} AS state, h.received_on, a.name AS agency,
               r.personal_number, r.name, {labels("r.sex", HANDOVER_SEX_LABELS)} AS sex, r.id_number,
               r.birth_date, r.retirement_date,
               array_to_string(ARRAY(SELECT {labels("item", _ITEMS)} FROM unnest(hp.items) AS item), '、') AS items,
               hp.copies, {_RESULT_SQL} AS result
        FROM archive_handover h
        JOIN institution a ON a.id = h.agency_id
        JOIN employer e ON e.id = h.employer_id
        JOIN archive_handover_person hp ON hp.handover_id = h.id
        JOIN retiree r ON r.id = hp.retiree_id
        WHERE a.path LIKE :prefix AND h.state = ANY(:states){more}
    """
    return Statement(sql, params)


def _handover_subtitle(ctx: QueryContext) -> str:
    parts = ["已接收批次" if ctx.filters["batches"] == HandoverScope.RECEIVED else "已接收和待接收批次"]
    if ctx.filters.get("employer"):
        parts.append(f"移交单位 {ctx.filters['employer']}")
    if ctx.filters.get("batch"):
        parts.append(f"移交批次 {ctx.filters['batch']}")
    if ctx.filters.get("from") or ctx.filters.get("to"):
        start = ctx.filters["from"].isoformat() if ctx.filters.get("from") else "…"
        end = ctx.filters["to"].isoformat() if ctx.filters.get("to") else "…"
        parts.append(f"接收日期 {start} 至 {end}")
    return " · ".join(parts)


_BATCH_CHOICES: tuple[Choice, ...] = (
    Choice(HandoverScope.RECEIVED, "已接收批次"),
    Choice(HandoverScope.ALL, "已接收和待接收批次"),
)

HANDOVER_ROSTER = RosterSpec(
    QuerySpec(
        id="7.9",
        title="移交花名册",
        description="辖区内经办机构接收的单位退休人员档案移交花名册：按移交单位、移交批次和接收日期，可选包括待接收的批次。",
        columns=(
            ResultColumn("employer", "移交单位", width=36, sortable=True),
            ResultColumn("handover_number", "移交批次", width=24, sortable=True),
            ResultColumn("received_on", "接收日期", K.DATE, width=20, sortable=True),
            ResultColumn("personal_number", "个人编号", width=24, sortable=True),
            ResultColumn("name", "姓名", width=16, sortable=True),
            ResultColumn("sex", "性别", width=9),
            ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=34),
            ResultColumn("birth_date", "出生日期", K.DATE, width=20),
            ResultColumn("retirement_date", "退休日期", K.DATE, width=20),
            ResultColumn("items", "移交材料", width=44),
            ResultColumn("copies", "份数", K.NUMBER, width=10),
            ResultColumn("result", "接收结果/备注", width=40),
        ),
        filters=(
            QueryFilter(
                "batches",
                "移交批次范围",
                FilterKind.CHOICE,
                _BATCH_CHOICES,
                required=True,
                default=HandoverScope.RECEIVED,
            ),
            EMPLOYER,
            QueryFilter("batch", "移交批次号", FilterKind.TEXT, description="如 YJ2026-0001"),
            QueryFilter("from", "接收日期自", FilterKind.DATE),
            QueryFilter("to", "接收日期至", FilterKind.DATE),
            INSTITUTION,
        ),
        build=_handover_roster,
        default_sort="handover_number",
        tiebreak="row_key",
    ),
    footer_lines=(
        "移交单位经办人（签字）：＿＿＿＿＿＿　　接收经办机构经办人（签字）：＿＿＿＿＿＿　　"
        "日期：＿＿＿＿年＿＿月＿＿日",
        SIGNATURE_LINE,
    ),
    subtitle=_handover_subtitle,
    summed=("copies",),
)

ROSTER_SPECS: tuple[RosterSpec, ...] = (HANDOVER_ROSTER, CERTIFICATION_ROSTER)
