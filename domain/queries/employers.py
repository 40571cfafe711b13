"""Queries of employers (section 6): an employer's business ledger and rosters (6.1), archive hand-overs by
employer, payment voucher or person (6.2), and employers' contacts (6.17).

Scope (1.3): a retiree registered at a community is seen by that community's subtree; one not registered anywhere
(approved, or never handed over) by the insuring agency whose code the person carries. A hand-over is seen by the
subtree of the agency that receives it; an employer by the subtree of its insuring agency.
"""

from __future__ import annotations

from typing import Any

from domain.handover.models import HANDOVER_STATE_LABELS, RECEIPT_RESULT_LABELS, HandoverState
from domain.queries.people import INSTITUTION, NAME
from domain.queries.spec import Choice, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import PERSON_COLUMNS, STATUS_LABEL_SQL, labels, like_prefix
from domain.retirees.lifecycle import Status


def _employer_filter(ctx: QueryContext, alias: str) -> tuple[str, dict[str, Any]]:
    """An employer by its exact code or the start of its name."""
    value = ctx.filters.get("employer")
    if not value:
        return "", {}
    return (
        f" AND ({alias}.code = :employer OR {alias}.name LIKE :employer_name)",
        {"employer": value, "employer_name": like_prefix(value)},
    )


def _name_filter(ctx: QueryContext) -> tuple[str, dict[str, Any]]:
    if not ctx.filters.get("name"):
        return "", {}
    return " AND r.name LIKE :name", {"name": like_prefix(ctx.filters["name"])}


EMPLOYER = QueryFilter("employer", "单位", FilterKind.TEXT, description="单位编号，或单位名称开头的字")
HANDOVER_STATES = {s.value: label for s, label in HANDOVER_STATE_LABELS.items()}
RECEIPT_RESULTS = {r.value: label for r, label in RECEIPT_RESULT_LABELS.items()}

# The retiree's scope: the community registered at, else the insuring agency (people not registered anywhere).
_PERSON_SCOPE = """
        LEFT JOIN institution i ON i.id = r.institution_id
        LEFT JOIN institution ag ON ag.code = r.insuring_agency_code
"""
_IN_SCOPE = "COALESCE(i.path, ag.path) LIKE :prefix"


class Ledger:
    """6.1's lists (the CHOICE ``list``)."""

    BUSINESS = "business"  # 单位办理业务台账/花名册: every person of the employer's hand-over batches
    ROSTER = "roster"  # the employer's retirees
    NOT_HANDED_OVER = "not_handed_over"
    UNREGISTERED = "unregistered"
    TALENT_UNREGISTERED = "talent_unregistered"
    TALENT_REGISTERED = "talent_registered"


LEDGER_CHOICES = (
    Choice(Ledger.BUSINESS, "单位办理业务台账（档案移交批次及人员）"),
    Choice(Ledger.ROSTER, "单位退休人员花名册"),
    Choice(Ledger.NOT_HANDED_OVER, "单位未移交人员花名册"),
    Choice(Ledger.UNREGISTERED, "未登记退休人员花名册"),
    Choice(Ledger.TALENT_UNREGISTERED, "未登记人才退休人员花名册"),
    Choice(Ledger.TALENT_REGISTERED, "已登记人才退休人员花名册"),
)


def _ledger(ctx: QueryContext) -> Statement:
    which = ctx.filters["list"]
    # The employers first (by code or name), then their retirees through the index on the employer code.
    more = (
        " AND r.employer_code IN (SELECT ee.code FROM employer ee"
        " WHERE ee.code = :employer OR ee.name LIKE :employer_name)"
    )
    params: dict[str, Any] = {
        "employer": ctx.filters["employer"],
        "employer_name": like_prefix(ctx.filters["employer"]),
    }
    named, name_params = _name_filter(ctx)
    more += named
    params.update(name_params)
    # The batch that brought the archive to its agency (none while not handed over).
    batch = "LEFT JOIN archive_custody ac ON ac.retiree_id = r.id LEFT JOIN archive_handover h ON h.id = ac.handover_id"
    if which == Ledger.BUSINESS:
        batch = (
            "JOIN archive_handover_person hp ON hp.retiree_id = r.id "
            "JOIN archive_handover h ON h.id = hp.handover_id AND h.employer_id = e.id"
        )
    elif which == Ledger.NOT_HANDED_OVER:
        more += (
            " AND r.status <> :moved_away"
            " AND NOT EXISTS (SELECT 1 FROM archive_custody ac WHERE ac.retiree_id = r.id)"
            " AND NOT EXISTS (SELECT 1 FROM archive_handover_person op WHERE op.retiree_id = r.id AND op.open)"
        )
        params["moved_away"] = Status.MOVED_AWAY.value
    elif which in (Ledger.UNREGISTERED, Ledger.TALENT_UNREGISTERED):
        more += " AND r.status = :approved"
        params["approved"] = Status.APPROVED.value
    elif which == Ledger.TALENT_REGISTERED:
        more += " AND r.status = ANY(:managed)"
        params["managed"] = [Status.REGISTERED.value, Status.SUSPENDED.value, Status.TRANSFERRING_OUT.value]
    if which in (Ledger.TALENT_UNREGISTERED, Ledger.TALENT_REGISTERED):
        more += " AND e.talent_centre"
    row_key = "hp.id" if which == Ledger.BUSINESS else "r.id"
    return Statement(
        f"""
        SELECT {row_key} AS row_key, r.id AS retiree_id, e.code AS employer_code, e.name AS employer_name,
               r.personal_number, r.name, {labels("r.sex", {"1": "男", "2": "女", "9": "未说明"})} AS sex,
               r.id_number, r.birth_date, {labels("r.status", STATUS_LABEL_SQL)} AS status,
               COALESCE(i.name, ag.name) AS institution, r.approval_date,
               h.number AS handover_number, {labels("h.state", HANDOVER_STATES)} AS handover_state,
               h.voucher_number, h.submitted_at, h.received_on
        FROM retiree r
        JOIN employer e ON e.code = r.employer_code
        {_PERSON_SCOPE}
        {batch}
        WHERE {_IN_SCOPE}{more}
        """,
        params,
    )


EMPLOYER_LEDGER = QuerySpec(
    id="6.1",
    title="业务台账查询",
    description=(
        "按单位查询：单位办理业务台账（档案移交批次及其人员）、单位退休人员花名册、单位未移交人员花名册、"
        "未登记退休人员花名册、未登记和已登记人才退休人员花名册（人才退休人员：档案由人才服务中心保管的退休人员，"
        "即所在单位标记为人才服务中心）。"
    ),
    columns=(
        ResultColumn("employer_code", "单位编号", width=24, sortable=True),
        ResultColumn("employer_name", "单位名称", width=44, sortable=True),
        *PERSON_COLUMNS,
        ResultColumn("status", "状态", width=20),
        ResultColumn("institution", "所属社区/经办机构", width=40, sortable=True),
        ResultColumn("approval_date", "核准日期", K.DATE, width=22, sortable=True),
        ResultColumn("handover_number", "移交批次号", width=26, sortable=True),
        ResultColumn("handover_state", "移交状态", width=18),
        ResultColumn("voucher_number", "缴费凭证号", width=28),
        ResultColumn("received_on", "接收日期", K.DATE, width=22),
    ),
    filters=(
        QueryFilter("list", "台账类别", FilterKind.CHOICE, LEDGER_CHOICES, required=True, default=Ledger.ROSTER),
        QueryFilter(
            "employer", "单位", FilterKind.TEXT, required=True, description="单位编号，或单位名称开头的字（按单位查询）"
        ),
        INSTITUTION,
        NAME,
    ),
    build=_ledger,
    default_sort="personal_number",
    tiebreak="row_key",
)


def _handovers(ctx: QueryContext) -> Statement:
    more, params = _employer_filter(ctx, "e")
    if ctx.filters.get("voucher"):
        more += " AND h.voucher_number = :voucher"
        params["voucher"] = ctx.filters["voucher"]
    if ctx.filters.get("person"):
        more += " AND (r.personal_number = :person OR r.id_number = :person OR r.name LIKE :person_name)"
        params["person"] = ctx.filters["person"]
        params["person_name"] = like_prefix(ctx.filters["person"])
    if ctx.filters.get("state"):
        more += " AND h.state = :state"
        params["state"] = ctx.filters["state"]
    if ctx.filters.get("from"):
        more += " AND h.voucher_date >= :from_date"
        params["from_date"] = ctx.filters["from"]
    if ctx.filters.get("to"):
        more += " AND h.voucher_date <= :to_date"
        params["to_date"] = ctx.filters["to"]
    return Statement(
        f"""
        SELECT hp.id AS row_key, r.id AS retiree_id, h.number AS handover_number, e.code AS employer_code,
               e.name AS employer_name, h.voucher_number, h.voucher_amount, h.voucher_date,
               {labels("h.state", HANDOVER_STATES)} AS state, a.name AS agency,
               r.personal_number, r.name, r.id_number, hp.copies,
               {labels("hp.result", RECEIPT_RESULTS)} AS result, h.submitted_at, h.received_on
        FROM archive_handover h
        JOIN institution a ON a.id = h.agency_id
        JOIN employer e ON e.id = h.employer_id
        JOIN archive_handover_person hp ON hp.handover_id = h.id
        JOIN retiree r ON r.id = hp.retiree_id
        WHERE a.path LIKE :prefix{more}
        """,
        params,
    )


HANDOVERS = QuerySpec(
    id="6.2",
    title="档案移交查询",
    description="档案移交情况：按单位、按缴费凭证（批次）或按人员查询移交批次中的人员及接收结果。",
    columns=(
        ResultColumn("handover_number", "移交批次号", width=26, sortable=True),
        ResultColumn("employer_code", "单位编号", width=24, sortable=True),
        ResultColumn("employer_name", "单位名称", width=44),
        ResultColumn("voucher_number", "缴费凭证号", width=28, sortable=True),
        ResultColumn("voucher_amount", "缴费金额", K.MONEY, width=22),
        ResultColumn("voucher_date", "缴费日期", K.DATE, width=22, sortable=True),
        ResultColumn("state", "批次状态", width=18),
        ResultColumn("agency", "接收机构", width=36),
        ResultColumn("personal_number", "个人编号", width=28, sortable=True),
        ResultColumn("name", "姓名", width=18, sortable=True),
        ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=40),
        ResultColumn("copies", "份数", K.NUMBER, width=12),
        ResultColumn("result", "接收结果", width=18),
        ResultColumn("received_on", "接收日期", K.DATE, width=22, sortable=True),
    ),
    filters=(
        EMPLOYER,
        QueryFilter("voucher", "缴费凭证号", FilterKind.TEXT, description="缴费凭证号（完整）"),
        QueryFilter("person", "人员", FilterKind.TEXT, description="个人编号、身份证号或姓名开头的字"),
        QueryFilter(
            "state",
            "批次状态",
            FilterKind.CHOICE,
            tuple(Choice(s.value, HANDOVER_STATE_LABELS[s]) for s in HandoverState),
        ),
        QueryFilter("from", "缴费日期自", FilterKind.DATE),
        QueryFilter("to", "缴费日期至", FilterKind.DATE),
        INSTITUTION,
    ),
    build=_handovers,
    default_sort="-handover_number",
    tiebreak="row_key",
)


def _contacts(ctx: QueryContext) -> Statement:
    more, params = _employer_filter(ctx, "e")
    if ctx.filters.get("status"):
        more += " AND e.status = :status"
        params["status"] = ctx.filters["status"]
    return Statement(
        f"""
        SELECT e.id AS employer_id, e.code AS employer_code, e.name AS employer_name, e.credit_code,
               e.contact_person, e.contact_phone, e.address, ag.name AS agency,
               {labels("e.status", EMPLOYER_STATUSES)} AS status,
               CASE WHEN e.talent_centre THEN '是' ELSE '否' END AS talent_centre
        FROM employer e
        JOIN institution ag ON ag.code = e.insuring_agency_code
        WHERE ag.path LIKE :prefix{more}
        """,
        params,
    )


EMPLOYER_STATUSES = {"active": "正常", "closed": "已注销"}

EMPLOYER_CONTACTS = QuerySpec(
    id="6.17",
    title="单位联系人查询",
    description="本辖区经办机构参保单位的联系人、联系电话和地址。",
    columns=(
        ResultColumn("employer_code", "单位编号", width=24, sortable=True),
        ResultColumn("employer_name", "单位名称", width=44, sortable=True),
        ResultColumn("credit_code", "统一社会信用代码", width=36),
        ResultColumn("contact_person", "联系人", width=18, sortable=True),
        ResultColumn("contact_phone", "联系电话", K.PHONE, width=28),
        ResultColumn("address", "单位地址", width=50),
        ResultColumn("agency", "参保经办机构", width=36, sortable=True),
        ResultColumn("status", "单位状态", width=16),
        ResultColumn("talent_centre", "人才服务中心", width=16),
    ),
    filters=(
        EMPLOYER,
        QueryFilter("status", "单位状态", FilterKind.CHOICE, tuple(Choice(k, v) for k, v in EMPLOYER_STATUSES.items())),
        INSTITUTION,
    ),
    build=_contacts,
    default_sort="employer_code",
    tiebreak="employer_id",
    person_column=None,
)
