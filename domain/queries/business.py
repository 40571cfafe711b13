"""Queries of business done (section 6): certifications over a period (6.13), transfers (6.14), suspensions and
resumptions (6.15) and pension adjustments by year (6.20)."""

from __future__ import annotations

from typing import Any

from domain.dictionary.codes import REASON_CODE_LABELS, ReasonCode
from domain.queries.people import INSTITUTION, NAME
from domain.queries.spec import (
    NO_HASH_JOIN,
    Choice,
    FilterKind,
    QueryContext,
    QueryFilter,
    QuerySpec,
    ResultColumn,
    Statement,
)
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import (
    PERSON_COLUMNS,
    STATUS_LABEL_SQL,
    PersonState,
    labels,
    like_prefix,
    period_filter,
    person_select,
    whole_city,
)
from domain.retirees.lifecycle import ChangeKind, Status
from domain.status_log.periods import IN_REGISTRY_ON, closed_period_covering
from domain.status_log.queries import CHANGE_KIND_LABELS
from domain.transfers.models import TRANSFER_KIND_LABELS, TRANSFER_STATE_LABELS, TransferKind, TransferState
from domain.transfers.rules import CITY_PREFIX


def _name(ctx: QueryContext, where: str, params: dict[str, Any]) -> str:
    if ctx.filters.get("name"):
        params["name"] = like_prefix(ctx.filters["name"])
        return where + " AND r.name LIKE :name"
    return where


# --- 6.13 certifications -----------------------------------------------------------------------------------------


class CertList:
    CERTIFIED = "certified"
    UNCERTIFIED = "uncertified"


class CertKind:
    LOCAL = "local"  # certified here, living in the city
    NON_LOCAL = "non_local"  # living in another city (4.7), certified by face recognition or on a visit
    CROSS_REGION = "cross_region"  # assisted by another region, received through the ministry's files (2.7)


CERT_KIND_LABELS = {CertKind.LOCAL: "本地认证", CertKind.NON_LOCAL: "异地认证", CertKind.CROSS_REGION: "跨地区协助认证"}
CERT_SOURCE_LABELS = {
    "on_site": "社区现场认证",
    "face_recognition": "人脸识别认证",
    "provincial_sync": "省平台同步",
    "ministry_import": "部级跨地区认证数据",
    "legacy": "历史系统迁移",  # issue 17: the 2007 system's certification dates
}
_CERT_KIND_SQL = (
    "(CASE WHEN c.source = 'ministry_import' THEN 'cross_region' "
    "WHEN res.city_code IS NOT NULL AND res.city_code NOT LIKE :local_city THEN 'non_local' ELSE 'local' END)"
)
_MANAGED = [Status.REGISTERED.value, Status.SUSPENDED.value, Status.TRANSFERRING_OUT.value]


def _certifications(ctx: QueryContext) -> Statement:
    state = PersonState(ctx, scoped=True)
    start = ctx.filters.get("from") or ctx.on.replace(month=1, day=1)
    end = min(ctx.filters.get("to") or ctx.on, ctx.on)
    params: dict[str, Any] = {"start": start, "end": end, "local_city": f"{CITY_PREFIX}%", "managed": _MANAGED}
    where = _name(ctx, "", params)
    common = f"""
        {person_select(state)}, r.phone, i.name AS institution, r.last_certified_on,
        CASE WHEN res.city_code IS NOT NULL AND res.city_code NOT LIKE :local_city THEN '异地居住' ELSE '本地居住'
        END AS residence
    """
    base = f"""
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        LEFT JOIN retiree_residence res ON res.retiree_id = r.id AND res.current
    """
    scope = f"i.path LIKE :prefix AND {state.where} AND {state.status} = ANY(:managed)"
    if ctx.filters["list"] == CertList.UNCERTIFIED:
        sql = f"""
            SELECT r.id AS row_key, {common}, NULL::date AS certified_on, NULL AS kind, NULL AS source
            {base}
            WHERE {scope}{where}{_NOT_CERTIFIED}
        """
        if not whole_city(ctx):
            return Statement(sql, params)
        return Statement(sql, params, count_sql=_city_count(ctx, where, certified=False), count_settings=NO_HASH_JOIN)
    if ctx.filters.get("kind"):
        where += f" AND {_CERT_KIND_SQL} = :kind"
        params["kind"] = ctx.filters["kind"]
    sql = f"""
        SELECT c.id AS row_key, {common}, c.certified_on,
               {labels(_CERT_KIND_SQL, CERT_KIND_LABELS)} AS kind, {labels("c.source", CERT_SOURCE_LABELS)} AS source
        FROM certification c
        JOIN retiree r ON r.id = c.retiree_id {state.join}
        JOIN institution i ON i.id = {state.institution}
        LEFT JOIN retiree_residence res ON res.retiree_id = r.id AND res.current
        WHERE {scope} AND c.certified_on BETWEEN :start AND :end{where}
    """
    if not whole_city(ctx):
        # A district's or a community's people are read through their institutions, then sorted: the page's read
        # counts them too (a district a year back: 0.9 s to count and page apart).
        return Statement(sql, params, counted_in_page=True)
    return Statement(sql, params, count_sql=_city_count(ctx, where, certified=True), count_settings=NO_HASH_JOIN)


_NOT_CERTIFIED = " AND NOT EXISTS (SELECT 1 FROM certification c WHERE c.retiree_id = r.id "
_NOT_CERTIFIED += "AND c.certified_on BETWEEN :start AND :end)"


def _city_count(ctx: QueryContext, where: str, *, certified: bool) -> str:
    """The whole city's total, read in person order: the period's certifications of the people managed on the date
    (``certified``), or the people managed on it and not certified in the period. No institution path (every
    institution lies under the city's), the residence only for the kind filter. The people managed today
    (``ix_retiree_managed``, index-only) are merged with the period's certifications (``uq_certification_retiree_day``,
    index-only; an anti-join for the uncertified); as of a past date, the people whose closed state period covers it
    (a few percent) correct that count: they count if they were managed then, not if they are now. At 1,000,000
    retirees with two years of certifications (EXPLAIN ANALYZE), a year back: certified 1.5 s to 0.6 s, where the
    state join hashed 800,000 people; not certified 2.1 s to 0.4 s, where it probed the certifications person by
    person. The planner, costing the merge above a hash of the whole registry, is told not to hash
    (``count_settings``)."""
    residence = (
        "LEFT JOIN retiree_residence res ON res.retiree_id = r.id AND res.current" if ctx.filters.get("kind") else ""
    )
    managed_now = "r.status = ANY(:managed) AND r.institution_id IS NOT NULL"
    in_registry = IN_REGISTRY_ON if ctx.as_of_past else "TRUE"
    # Read twice as of a past date: not materialised, each reader reads the index in its own order.
    rows = "WITH c AS NOT MATERIALIZED (SELECT retiree_id, source FROM certification "
    rows += "WHERE certified_on BETWEEN :start AND :end)"
    people, certifications = "c JOIN retiree r ON r.id = c.retiree_id", "JOIN c ON c.retiree_id = r.id"
    if not certified:
        rows, people, certifications, where = "", "retiree r", "", where + _NOT_CERTIFIED
    counted = f"SELECT count(*) FROM {people} {residence} WHERE {managed_now} AND {in_registry}{where}"
    if not ctx.as_of_past:
        return f"{rows} {counted}"
    return f"""{rows}
        SELECT ({counted}) + (
            SELECT coalesce(sum((sp.status = ANY(:managed) AND sp.institution_id IS NOT NULL)::int
                                - ({managed_now})::int), 0)
            FROM retiree_state_period sp JOIN retiree r ON r.id = sp.retiree_id
            {certifications} {residence}
            WHERE {closed_period_covering()} AND {in_registry}{where})
    """


CERTIFICATIONS = QuerySpec(
    id="6.13",
    title="认证情况查询",
    description=(
        "一段时间内辖区在管退休人员的资格认证情况：已认证人员（本地认证、异地认证、跨地区协助认证）和未认证人员。"
        "日期自不填为查询日期当年 1 月 1 日，日期至不填为查询日期。"
    ),
    columns=(
        *PERSON_COLUMNS,
        ResultColumn("status", "状态", width=20),
        ResultColumn("institution", "所属社区", width=40, sortable=True),
        ResultColumn("residence", "居住地", width=18),
        ResultColumn("certified_on", "认证日期", K.DATE, width=22, sortable=True),
        ResultColumn("kind", "认证类别", width=26, sortable=True),
        ResultColumn("source", "认证来源", width=30),
        ResultColumn("last_certified_on", "最近认证日期", K.DATE, width=22, sortable=True),
        ResultColumn("phone", "联系电话", K.PHONE, width=28),
    ),
    filters=(
        QueryFilter(
            "list",
            "认证情况",
            FilterKind.CHOICE,
            (Choice(CertList.CERTIFIED, "期间内已认证"), Choice(CertList.UNCERTIFIED, "期间内未认证")),
            required=True,
            default=CertList.CERTIFIED,
        ),
        QueryFilter("from", "认证日期自", FilterKind.DATE),
        QueryFilter("to", "认证日期至", FilterKind.DATE),
        QueryFilter("kind", "认证类别", FilterKind.CHOICE, tuple(Choice(k, v) for k, v in CERT_KIND_LABELS.items())),
        INSTITUTION,
        NAME,
    ),
    build=_certifications,
    default_sort="personal_number",
    tiebreak="row_key",
    as_of=True,
)

# --- 6.14 transfers ----------------------------------------------------------------------------------------------

TRANSFER_KINDS = {k.value: v for k, v in TRANSFER_KIND_LABELS.items()}
TRANSFER_STATES = {s.value: v for s, v in TRANSFER_STATE_LABELS.items()}


def _transfers(ctx: QueryContext) -> Statement:
    params: dict[str, Any] = {}
    direction = ctx.filters["direction"]
    scope = {
        "out": "fi.path LIKE :prefix",
        "in": "ti.path LIKE :prefix",
    }.get(direction, "(fi.path LIKE :prefix OR ti.path LIKE :prefix)")
    where = ""
    for key, column in (("kind", "t.kind"), ("state", "t.state")):
        if ctx.filters.get(key):
            where += f" AND {column} = :{key}"
            params[key] = ctx.filters[key]
    where = period_filter(ctx.filters, "t.effective_date", where, params)
    where = _name(ctx, where, params)
    return Statement(
        f"""
        SELECT t.id AS transfer_id, r.id AS retiree_id, r.personal_number, r.name, r.id_number,
               {labels("t.kind", TRANSFER_KINDS)} AS kind, {labels("t.state", TRANSFER_STATES)} AS state,
               COALESCE(fi.name, '市外') AS from_institution,
               COALESCE(ti.name, t.destination_name, '市外') AS to_institution,
               t.requested_on, t.effective_date, t.taken_in_on, t.requested_by,
               {labels("r.status", STATUS_LABEL_SQL)} AS status
        FROM transfer t
        JOIN retiree r ON r.id = t.retiree_id
        LEFT JOIN institution fi ON fi.id = t.from_institution_id
        LEFT JOIN institution ti ON ti.id = t.to_institution_id
        WHERE {scope}{where}
        """,
        params,
    )


TRANSFERS = QuerySpec(
    id="6.14",
    title="转移查询",
    description="退休人员的转出、转入和转移历史（市内转移、转出市外、外市转入），按生效日期、类别和状态查询。",
    columns=(
        ResultColumn("personal_number", "个人编号", width=28, sortable=True),
        ResultColumn("name", "姓名", width=18, sortable=True),
        ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=40),
        ResultColumn("kind", "转移类别", width=20, sortable=True),
        ResultColumn("state", "转移状态", width=18, sortable=True),
        ResultColumn("from_institution", "转出机构", width=36),
        ResultColumn("to_institution", "转入机构/去向", width=36),
        ResultColumn("requested_on", "申请日期", K.DATE, width=22, sortable=True),
        ResultColumn("effective_date", "生效日期", K.DATE, width=22, sortable=True),
        ResultColumn("taken_in_on", "转入日期", K.DATE, width=22),
        ResultColumn("status", "当前状态", width=20),
    ),
    filters=(
        QueryFilter(
            "direction",
            "查询方向",
            FilterKind.CHOICE,
            (Choice("out", "转出"), Choice("in", "转入"), Choice("all", "全部转移历史")),
            required=True,
            default="all",
        ),
        QueryFilter(
            "kind", "转移类别", FilterKind.CHOICE, tuple(Choice(k.value, TRANSFER_KINDS[k.value]) for k in TransferKind)
        ),
        QueryFilter(
            "state",
            "转移状态",
            FilterKind.CHOICE,
            tuple(Choice(s.value, TRANSFER_STATES[s.value]) for s in TransferState),
        ),
        QueryFilter("from", "生效日期自", FilterKind.DATE),
        QueryFilter("to", "生效日期至", FilterKind.DATE),
        INSTITUTION,
        NAME,
    ),
    build=_transfers,
    default_sort="-effective_date",
    tiebreak="transfer_id",
)

# --- 6.15 suspensions and resumptions ----------------------------------------------------------------------------

_SUSPEND_KINDS = (ChangeKind.SUSPENDED, ChangeKind.RESUMED)
_SUSPEND_REASONS = tuple(code for code in ReasonCode if code.value.startswith("S0") or code.value.startswith("R0"))


def _suspensions(ctx: QueryContext) -> Statement:
    params: dict[str, Any] = {"kinds": [k.value for k in _SUSPEND_KINDS]}
    where = ""
    for key, column in (("kind", "sc.kind"), ("reason", "sc.reason_code")):
        if ctx.filters.get(key):
            where += f" AND {column} = :{key}"
            params[key] = ctx.filters[key]
    where = period_filter(ctx.filters, "sc.effective_date", where, params)
    where = _name(ctx, where, params)
    return Statement(
        f"""
        SELECT sc.id AS entry_number, sc.retiree_id, sc.personal_number, r.name, r.id_number,
               {labels("sc.kind", {k.value: CHANGE_KIND_LABELS[k] for k in _SUSPEND_KINDS})} AS kind,
               {labels("sc.reason_code", {c.value: REASON_CODE_LABELS[c] for c in _SUSPEND_REASONS})} AS reason,
               sc.effective_date, sc.entered_at, i.name AS institution,
               {labels("r.status", STATUS_LABEL_SQL)} AS status
        FROM status_change sc
        JOIN retiree r ON r.id = sc.retiree_id
        JOIN institution i ON i.id = sc.institution_id
        WHERE i.path LIKE :prefix AND sc.kind = ANY(:kinds){where}
        """,
        params,
    )


SUSPENSIONS = QuerySpec(
    id="6.15",
    title="暂停与恢复发放查询",
    description="一段时间内辖区退休人员的暂停发放和恢复发放记录，按生效日期、原因和机构查询。",
    columns=(
        ResultColumn("personal_number", "个人编号", width=28, sortable=True),
        ResultColumn("name", "姓名", width=18, sortable=True),
        ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=40),
        ResultColumn("kind", "类别", width=18, sortable=True),
        ResultColumn("reason", "原因", width=32, sortable=True),
        ResultColumn("effective_date", "生效日期", K.DATE, width=22, sortable=True),
        ResultColumn("entered_at", "录入时间", K.DATETIME, width=34, sortable=True),
        ResultColumn("institution", "所属社区", width=36, sortable=True),
        ResultColumn("status", "当前状态", width=20),
    ),
    filters=(
        QueryFilter(
            "kind", "类别", FilterKind.CHOICE, tuple(Choice(k.value, CHANGE_KIND_LABELS[k]) for k in _SUSPEND_KINDS)
        ),
        QueryFilter(
            "reason", "原因", FilterKind.CHOICE, tuple(Choice(c.value, REASON_CODE_LABELS[c]) for c in _SUSPEND_REASONS)
        ),
        QueryFilter("from", "生效日期自", FilterKind.DATE),
        QueryFilter("to", "生效日期至", FilterKind.DATE),
        INSTITUTION,
        NAME,
    ),
    build=_suspensions,
    default_sort="-effective_date",
    tiebreak="entry_number",
)

# --- 6.20 pension adjustments ------------------------------------------------------------------------------------


def _adjustments(ctx: QueryContext) -> Statement:
    params: dict[str, Any] = {"year": ctx.filters.get("year") or ctx.on.year}
    where = _name(ctx, "", params)
    if ctx.filters.get("batch"):
        where += " AND pa.batch_id = :batch"
        params["batch"] = ctx.filters["batch"]
    return Statement(
        f"""
        SELECT pa.retiree_id || '-' || pa.batch_id AS row_key, r.id AS retiree_id, r.personal_number, r.name,
               r.id_number, pa.adjustment_year, pa.batch_id, pa.effective_month, pa.amount_before, pa.increase,
               pa.amount_after, i.name AS institution, {labels("r.status", STATUS_LABEL_SQL)} AS status
        FROM pension_adjustment pa
        JOIN retiree r ON r.id = pa.retiree_id
        JOIN institution i ON i.id = r.institution_id
        WHERE i.path LIKE :prefix AND pa.adjustment_year = :year{where}
        """,
        params,
    )


ADJUSTMENTS = QuerySpec(
    id="6.20",
    title="调资查询",
    description="某一年度辖区退休人员的养老金调整（调整前后金额、增加额、执行月份）。",
    columns=(
        ResultColumn("personal_number", "个人编号", width=28, sortable=True),
        ResultColumn("name", "姓名", width=18, sortable=True),
        ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=40),
        ResultColumn("adjustment_year", "调整年度", K.NUMBER, width=16),
        ResultColumn("batch_id", "调整批次", width=28),
        ResultColumn("effective_month", "执行月份", width=18, sortable=True),
        ResultColumn("amount_before", "调整前金额", K.MONEY, width=22, sortable=True),
        ResultColumn("increase", "增加额", K.MONEY, width=20, sortable=True),
        ResultColumn("amount_after", "调整后金额", K.MONEY, width=22, sortable=True),
        ResultColumn("institution", "所属社区", width=36, sortable=True),
        ResultColumn("status", "当前状态", width=20),
    ),
    filters=(
        QueryFilter("year", "调整年度", FilterKind.YEAR, description="如 2026；不填为今年"),
        QueryFilter("batch", "调整批次", FilterKind.TEXT),
        INSTITUTION,
        NAME,
    ),
    build=_adjustments,
    default_sort="personal_number",
    tiebreak="row_key",
)
