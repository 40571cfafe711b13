"""The registry's lists of people (section 6): 6.8 the roster of a community (or the scope), 6.9 base information
with the supplementary information communities record (4.2), 6.11 by management form, 6.21 newly approved retirees
by the date the province's approval reached the hub.

"Managed" people are the ones on a community's books: registered, suspended or transferring out. The management
form is the person's current one (set by staff, domain/retirees/service.set_management_form; it has no history).

6.21 and scope: a newly approved person is usually not registered anywhere yet, so a district sees the people its
agency insures (registered anywhere or not) and the people registered in it; a street or community sees the people
registered in it; the city sees everyone, including people of the city-level agency."""

from __future__ import annotations

from domain.dictionary.codes import CATEGORIES
from domain.queries.people import INSTITUTION, MANAGEMENT_FORMS, NAME, SEX, _person_filters
from domain.queries.residence import AGENCY, AGENCY_LABELS
from domain.queries.spec import Choice, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import (
    PERSON_COLUMNS,
    SEX_LABELS,
    STATUS_LABEL_SQL,
    PersonState,
    labels,
    person_select,
    whole_city,
)
from domain.retirees.lifecycle import STATUS_LABELS, Status

MANAGED = [Status.REGISTERED.value, Status.SUSPENDED.value, Status.TRANSFERRING_OUT.value]
MANAGED_STATUS = QueryFilter(
    "status", "状态", FilterKind.CHOICE, tuple(Choice(s, STATUS_LABELS[Status(s)]) for s in MANAGED)
)


def _codes(name: str) -> dict[str, str]:
    return dict(next(c for c in CATEGORIES if c.name == name).codes)


SPECIAL_CATEGORIES = _codes("special_category")
HEALTH = _codes("health_status")
LIVING = _codes("living_arrangement")
MARITAL = _codes("marital_status")


def _managed(ctx: QueryContext, state: PersonState) -> tuple[str, dict[str, object]]:
    """The common filters of the managed-people lists: name, sex, status among the managed (all by default)."""
    more, params = _person_filters(ctx)
    if ctx.filters.get("status"):
        more += f" AND {state.status} = :status"
        params["status"] = ctx.filters["status"]
    else:
        more += f" AND {state.status} = ANY(:managed)"
        params["managed"] = MANAGED
    return more, params


_ROSTER_COLUMNS = (
    *PERSON_COLUMNS,
    ResultColumn("status", "状态", width=20, sortable=True),
    ResultColumn("retirement_date", "退休日期", K.DATE, width=22, sortable=True),
    ResultColumn("institution", "所属社区", width=40, sortable=True),
    ResultColumn("registered_on", "登记日期", K.DATE, width=22, sortable=True),
    ResultColumn("management_form", "管理形式", width=28),
    ResultColumn("phone", "联系电话", K.PHONE, width=28),
    ResultColumn("residence_address", "居住地址", width=50),
)


def _roster(ctx: QueryContext) -> Statement:
    state = PersonState(ctx, scoped=True)
    more, params = _managed(ctx, state)
    if ctx.filters.get("management_form"):
        more += " AND r.management_form = :management_form"
        params["management_form"] = ctx.filters["management_form"]
    return Statement(
        f"""
        SELECT {person_select(state)}, r.retirement_date, i.name AS institution, r.registered_on,
               {labels("r.management_form", MANAGEMENT_FORMS)} AS management_form, r.phone, r.residence_address
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        WHERE i.path LIKE :prefix AND {state.where}{more}
        """,
        params,
    )


ROSTER = QuerySpec(
    id="6.8",
    title="花名册查询",
    description="社区（或本辖区）在管退休人员花名册：已登记、暂停发放和转出待转入的人员；可按历史日期查询当日花名册。",
    columns=_ROSTER_COLUMNS,
    filters=(INSTITUTION, MANAGED_STATUS, NAME, SEX),
    build=_roster,
    default_sort="personal_number",
    tiebreak="retiree_id",
    as_of=True,
)

MANAGEMENT_FORM = QuerySpec(
    id="6.11",
    title="按管理形式查询",
    description="按管理形式（社区管理、社保经办机构管理、委托原单位管理）查询在管退休人员；管理形式为现在的管理形式。",
    columns=_ROSTER_COLUMNS,
    filters=(
        QueryFilter(
            "management_form",
            "管理形式",
            FilterKind.CHOICE,
            tuple(Choice(code, label) for code, label in MANAGEMENT_FORMS.items()),
        ),
        INSTITUTION,
        MANAGED_STATUS,
        NAME,
        SEX,
    ),
    build=_roster,
    default_sort="personal_number",
    tiebreak="retiree_id",
    as_of=True,
)


def _categories_sql() -> str:
    cases = labels("c", SPECIAL_CATEGORIES)
    return f"array_to_string(ARRAY(SELECT {cases} FROM unnest(s.special_categories) AS c ORDER BY c), '、')"


def _base_info(ctx: QueryContext) -> Statement:
    state = PersonState(ctx, scoped=True)
    more, params = _managed(ctx, state)
    for key, column in (("health_status", "s.health_status"), ("living_arrangement", "s.living_arrangement")):
        if ctx.filters.get(key):
            more += f" AND {column} = :{key}"
            params[key] = ctx.filters[key]
    if ctx.filters.get("special_category"):
        more += " AND s.special_categories @> ARRAY[CAST(:special_category AS text)]"
        params["special_category"] = ctx.filters["special_category"]
    return Statement(
        f"""
        SELECT {person_select(state)}, r.retirement_date, i.name AS institution, r.phone, r.residence_address,
               s.household_address, {labels("s.marital_status", MARITAL)} AS marital_status,
               {labels("s.health_status", HEALTH)} AS health_status,
               {labels("s.living_arrangement", LIVING)} AS living_arrangement,
               {_categories_sql()} AS special_categories,
               s.emergency_contact_name, s.emergency_contact_phone,
               {labels("r.management_form", MANAGEMENT_FORMS)} AS management_form
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        LEFT JOIN retiree_supplementary_info s ON s.retiree_id = r.id
        WHERE i.path LIKE :prefix AND {state.where}{more}
        """,
        params,
    )


BASE_INFO = QuerySpec(
    id="6.9",
    title="基本信息查询",
    description="在管退休人员的基本信息及社区登记的补充信息：居住地址、电话、户籍地址、婚姻、健康、居住情况、特殊人员类别、"
    "紧急联系人。",
    columns=(
        *PERSON_COLUMNS,
        ResultColumn("status", "状态", width=20, sortable=True),
        ResultColumn("retirement_date", "退休日期", K.DATE, width=22, sortable=True),
        ResultColumn("institution", "所属社区", width=40, sortable=True),
        ResultColumn("phone", "联系电话", K.PHONE, width=28),
        ResultColumn("residence_address", "居住地址", width=50),
        ResultColumn("household_address", "户籍地址", width=50),
        ResultColumn("marital_status", "婚姻状况", width=18),
        ResultColumn("health_status", "健康状况", width=18),
        ResultColumn("living_arrangement", "居住情况", width=22),
        ResultColumn("special_categories", "特殊人员类别", width=40),
        ResultColumn("emergency_contact_name", "紧急联系人", width=20),
        ResultColumn("emergency_contact_phone", "紧急联系人电话", K.PHONE, width=28),
        ResultColumn("management_form", "管理形式", width=28),
    ),
    filters=(
        INSTITUTION,
        MANAGED_STATUS,
        NAME,
        SEX,
        QueryFilter("health_status", "健康状况", FilterKind.CHOICE, tuple(Choice(k, v) for k, v in HEALTH.items())),
        QueryFilter(
            "living_arrangement", "居住情况", FilterKind.CHOICE, tuple(Choice(k, v) for k, v in LIVING.items())
        ),
        QueryFilter(
            "special_category",
            "特殊人员类别",
            FilterKind.CHOICE,
            tuple(Choice(k, v) for k, v in SPECIAL_CATEGORIES.items()),
        ),
    ),
    build=_base_info,
    default_sort="personal_number",
    tiebreak="retiree_id",
    as_of=True,
)


def _newly_approved(ctx: QueryContext) -> Statement:
    more, params = _person_filters(ctx)
    params["from_time"] = ctx.filters["from"]
    if ctx.filters.get("to"):
        more += " AND r.created_at < CAST(:to_date AS date) + 1"
        params["to_date"] = ctx.filters["to"]
    if ctx.filters.get("agency"):
        more += " AND r.insuring_agency_code = :agency"
        params["agency"] = ctx.filters["agency"]
    if ctx.filters.get("status"):
        more += " AND r.status = :status"
        params["status"] = ctx.filters["status"]
    # The whole city sees everyone (no predicate: the list is read through ix_retiree_created in its order). Below it,
    # the candidates are two index reads, the people registered in the scope's institutions and the people insured by
    # its district's agency, each through an array computed once; the paths then decide.
    scope = "TRUE"
    if not whole_city(ctx):
        scope = """(r.institution_id = ANY(ARRAY(SELECT si.id FROM institution si WHERE si.path LIKE :prefix))
                OR r.insuring_agency_code = ANY(ARRAY(
                    SELECT sa.code FROM institution sa WHERE sa.level = 'district' AND sa.path LIKE :prefix)))
            AND (i.path LIKE :prefix OR a.path LIKE :prefix)"""
    return Statement(
        f"""
        SELECT {person_select_today()}, r.retirement_date, r.approval_date, r.created_at AS synced_at,
               {labels("r.insuring_agency_code", AGENCY_LABELS)} AS agency, r.employer_code,
               i.name AS institution
        FROM retiree r
        LEFT JOIN institution i ON i.id = r.institution_id
        LEFT JOIN institution a ON a.code = r.insuring_agency_code AND a.level = 'district'
        WHERE r.created_at >= CAST(:from_time AS date) AND {scope}{more}
        """,
        params,
    )


def person_select_today() -> str:
    return (
        "r.id AS retiree_id, r.personal_number, r.name, "
        f"{labels('r.sex', SEX_LABELS)} AS sex, r.id_number, r.birth_date, "
        f"{labels('r.status', STATUS_LABEL_SQL)} AS status"
    )


NEWLY_APPROVED = QuerySpec(
    id="6.21",
    title="新核准人员查询",
    description="按同步日期（省平台核准信息到达本系统的日期）查询新核准的退休人员。县区看到本区参保机构参保的和在本区登记的"
    "人员，街道、社区看到在本辖区登记的人员，市级看到全部。",
    columns=(
        *PERSON_COLUMNS,
        ResultColumn("status", "当前状态", width=20, sortable=True),
        ResultColumn("retirement_date", "退休日期", K.DATE, width=22, sortable=True),
        ResultColumn("approval_date", "核准日期", K.DATE, width=22, sortable=True),
        ResultColumn("synced_at", "同步时间", K.DATETIME, width=34, sortable=True),
        ResultColumn("agency", "参保机构", width=30, sortable=True),
        ResultColumn("employer_code", "原单位编号", width=28),
        ResultColumn("institution", "所属社区", width=40),
    ),
    filters=(
        QueryFilter("from", "同步日期自", FilterKind.DATE, required=True),
        QueryFilter("to", "同步日期至", FilterKind.DATE),
        INSTITUTION,
        AGENCY,
        QueryFilter(
            "status", "当前状态", FilterKind.CHOICE, tuple(Choice(s.value, label) for s, label in STATUS_LABELS.items())
        ),
        NAME,
        SEX,
    ),
    build=_newly_approved,
    default_sort="-synced_at",
    tiebreak="retiree_id",
)
