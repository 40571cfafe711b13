"""Queries of people (section 6): who is where, in which state — today or as of a past date."""

from __future__ import annotations

from domain.queries.spec import Choice, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import PERSON_COLUMNS, PersonState, labels, like_prefix, person_select
from domain.retirees.lifecycle import Status

INSTITUTION = QueryFilter("institution_id", "所属机构", FilterKind.INSTITUTION, description="范围内的任一机构")
NAME = QueryFilter("name", "姓名", FilterKind.TEXT, description="姓名开头的字")
SEX = QueryFilter("sex", "性别", FilterKind.CHOICE, (Choice("1", "男"), Choice("2", "女")))
MANAGEMENT_FORMS = {"1": "社区管理", "2": "社保经办机构管理", "3": "委托原单位管理"}


def _person_filters(ctx: QueryContext) -> tuple[str, dict[str, object]]:
    """The name and sex filters every person query takes."""
    where = ""
    params: dict[str, object] = {}
    if ctx.filters.get("name"):
        where += " AND r.name LIKE :name"
        params["name"] = like_prefix(ctx.filters["name"])
    if ctx.filters.get("sex"):
        where += " AND r.sex = :sex"
        params["sex"] = ctx.filters["sex"]
    return where, params


def _registered(ctx: QueryContext) -> Statement:
    state = PersonState(ctx, scoped=True)
    more, params = _person_filters(ctx)
    return Statement(
        f"""
        SELECT {person_select(state)}, r.phone, i.name AS institution, r.registered_on,
               {labels("r.management_form", MANAGEMENT_FORMS)} AS management_form
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        WHERE i.path LIKE :prefix AND {state.status} = :registered AND {state.where}{more}
        """,
        {"registered": Status.REGISTERED.value, **params},
    )


REGISTERED = QuerySpec(
    id="6.3",
    title="已登记人员查询",
    description="在本辖区登记、正常管理的退休人员（不含暂停发放、转出待转入、已转出和已死亡人员）；可按历史日期查询当日在册人员。",
    columns=(
        *PERSON_COLUMNS,
        ResultColumn("phone", "联系电话", K.PHONE, width=28),
        ResultColumn("institution", "所属社区", width=40, sortable=True),
        ResultColumn("registered_on", "登记日期", K.DATE, width=22, sortable=True),
        ResultColumn("management_form", "管理形式", width=28),
    ),
    filters=(INSTITUTION, NAME, SEX),
    build=_registered,
    default_sort="personal_number",
    tiebreak="retiree_id",
    as_of=True,
)


BIRTHDAY_KEY = "(EXTRACT(MONTH FROM r.birth_date) * 100 + EXTRACT(DAY FROM r.birth_date))::int"


def _birthday_key(month_day: str) -> int:
    """ "03-15" (a parsed MONTH_DAY filter) as :data:`BIRTHDAY_KEY` reads it: 315."""
    month, day = month_day.split("-")
    return int(month) * 100 + int(day)


def _birthdays(ctx: QueryContext) -> Statement:
    state = PersonState(ctx, scoped=True)
    more, params = _person_filters(ctx)
    start = ctx.filters["from"]
    end = ctx.filters.get("to") or start
    # The month and day as one number (03-15 is 315), the expression ``ix_retiree_birthday`` (migration 0029)
    # indexes: a week of birthdays is 1.6 % of the registry, read through the index instead of every retiree's
    # formatted birth date (city-wide first page 1.7 s on the benchmark's 1,000,000 retirees). A range across the new
    # year (12-20 to 01-10) is two ranges.
    within = f"{BIRTHDAY_KEY} BETWEEN :start AND :end"
    if end < start:
        within = f"({BIRTHDAY_KEY} >= :start OR {BIRTHDAY_KEY} <= :end)"
    return Statement(
        f"""
        SELECT {person_select(state)}, to_char(r.birth_date, 'MM-DD') AS birthday,
               (extract(year FROM CAST(:on AS date)) - extract(year FROM r.birth_date))::int AS turning,
               r.phone, i.name AS institution
        FROM retiree r {state.join}
        JOIN institution i ON i.id = {state.institution}
        WHERE i.path LIKE :prefix AND {state.status} = ANY(:managed) AND {state.where} AND {within}{more}
        """,
        {
            "start": _birthday_key(start),
            "end": _birthday_key(end),
            "managed": [Status.REGISTERED.value, Status.SUSPENDED.value, Status.TRANSFERRING_OUT.value],
            **params,
        },
    )


BIRTHDAYS = QuerySpec(
    id="6.12",
    title="按生日查询",
    description="生日在某一天或某一段日子（可跨年，如 12-20 至 01-10）的在管退休人员，用于生日走访。",
    columns=(
        ResultColumn("birthday", "生日", width=14, sortable=True),
        *PERSON_COLUMNS,
        ResultColumn("turning", "今年周岁", K.NUMBER, width=16, sortable=True),
        ResultColumn("status", "状态", width=20),
        ResultColumn("phone", "联系电话", K.PHONE, width=28),
        ResultColumn("institution", "所属社区", width=40, sortable=True),
    ),
    filters=(
        QueryFilter("from", "生日自", FilterKind.MONTH_DAY, required=True, description="月-日，如 03-15"),
        QueryFilter("to", "生日至", FilterKind.MONTH_DAY, description="月-日；不填为同一天"),
        INSTITUTION,
        NAME,
        SEX,
    ),
    build=_birthdays,
    default_sort="birthday",
    tiebreak="retiree_id",
    as_of=True,
)
