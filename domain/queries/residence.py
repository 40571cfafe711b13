"""Where people are insured and where they live (section 6): 6.5 insured by another district's agency and registered
here, 6.6 insured by an agency here and registered in another district, 6.16 non-local people in both directions.

An insuring agency is a district-level institution coded as the person's ``insuring_agency_code`` (the same rule as
domain/residence and 7.2); the district a person is registered in is the district-level ancestor of their community
(the third element of the institution path '/city/district/street/community/'). People insured by the city-level
agency (市本级) have no district agency: for 6.5 they are insured "outside" every district, for 6.6 no district
counts them (only the whole city sees them, through 6.8 and 7.2)."""

from __future__ import annotations

from domain.dictionary.codes import CATEGORIES
from domain.queries.people import INSTITUTION, NAME, SEX, _person_filters
from domain.queries.spec import Choice, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import CITY_DEPTH, PERSON_COLUMNS, PersonState, labels, like_prefix, person_select, whole_city
from domain.residence.cities import CITY_NAMES
from domain.retirees.lifecycle import Status
from domain.transfers.rules import CITY_PREFIX

AGENCY_LABELS: dict[str, str] = dict(next(c for c in CATEGORIES if c.name == "insuring_agency").codes)
AGENCY = QueryFilter(
    "agency", "参保机构", FilterKind.CHOICE, tuple(Choice(code, label) for code, label in AGENCY_LABELS.items())
)
REGISTERED_HERE = [Status.REGISTERED.value, Status.SUSPENDED.value]
DISTRICT_OF = "CAST(NULLIF(split_part({path}, '/', 3), '') AS bigint)"

_COLUMNS = (
    *PERSON_COLUMNS,
    ResultColumn("status", "状态", width=20),
    ResultColumn("agency", "参保机构", width=30, sortable=True),
    ResultColumn("district", "登记所在区县", width=36, sortable=True),
    ResultColumn("institution", "所属社区", width=40, sortable=True),
    ResultColumn("registered_on", "登记日期", K.DATE, width=22, sortable=True),
    ResultColumn("phone", "联系电话", K.PHONE, width=28),
    ResultColumn("residence_address", "居住地址", width=50),
)


def _agency_filter(ctx: QueryContext) -> tuple[str, dict[str, object]]:
    more, params = _person_filters(ctx)
    if ctx.filters.get("agency"):
        more += " AND r.insuring_agency_code = :agency"
        params["agency"] = ctx.filters["agency"]
    return more, params


# Every institution with its district (the district-level ancestor in its path): 1,621 rows in the city, hashed.
PLACES = f"""(SELECT pi.id, pi.name, pi.path, pd.name AS district, pd.code AS district_code
          FROM institution pi JOIN institution pd ON pd.id = {DISTRICT_OF.format(path="pi.path")})"""
SCOPE_PLACES = "ARRAY(SELECT si.id FROM institution si WHERE si.path LIKE :prefix)"
SCOPE_AGENCIES = "ARRAY(SELECT a.code FROM institution a WHERE a.level = 'district' AND a.path LIKE :prefix)"


def _candidates(state: PersonState, places: str, more: str = "", periods: str = "") -> str:
    """A condition keeping the people who may be insured outside the district they are registered in, as an array of
    ids read through indexes (a superset: the statement's own conditions decide): those whose own row's community
    (one of ``places``) lies in another district than their agency — per community, the two ranges of other agency
    codes in ``ix_retiree_institution_agency`` (migration 0029) — and, on a past date, everyone whose closed period
    covers the date (their community then may differ from today's; index-only through
    ``ix_retiree_state_period_closed``). Few people are insured outside their district, so the statement reads
    those instead of every retiree of the scope: the planner, which cannot foresee how few pass the comparison of
    the agency with the community's district, otherwise walked them all and looked up their community and district
    one by one (6.6 city-wide a year back: 4.2 s in EXPLAIN ANALYZE at 1,000,000 retirees). ``periods`` narrows the
    closed periods when the statement keeps only people registered in the scope on the date (6.5: a district a year
    back read all 65,890 closed periods of the city's three-year history, 1.3 s, instead of its own 2,600). Of those
    periods only the ones in another district than the person's agency are candidates (city-wide a year back: 2.0 s
    to read the 60,000 people through their periods one by one, where a few thousand are insured elsewhere)."""
    below = "SELECT c.id FROM retiree c WHERE c.institution_id = cp.id AND c.insuring_agency_code < cp.district_code"
    above = "SELECT c.id FROM retiree c WHERE c.institution_id = cp.id AND c.insuring_agency_code > cp.district_code"
    own = f"""r.id = ANY(ARRAY(
            SELECT other.id FROM {PLACES} cp, unnest(ARRAY({below}{more}) || ARRAY({above}{more})) other(id)
            WHERE {places}))"""
    if not state.join:
        return own
    return f"""({own}
        OR r.id = ANY(ARRAY(
            SELECT p.retiree_id FROM retiree_state_period p
            JOIN {PLACES} pp ON pp.id = p.institution_id
            JOIN retiree pr ON pr.id = p.retiree_id
            WHERE p.valid_to > :on AND (p.valid_from IS NULL OR p.valid_from <= :on){periods}
              AND pr.insuring_agency_code <> pp.district_code)))"""


def _select(state: PersonState) -> str:
    return (
        f"{person_select(state)}, {labels('r.insuring_agency_code', AGENCY_LABELS)} AS agency, pl.district, "
        "pl.name AS institution, r.registered_on, r.phone, r.residence_address"
    )


def _insured_elsewhere(ctx: QueryContext) -> Statement:
    state = PersonState(ctx, scoped=True)
    more, params = _agency_filter(ctx)
    in_scope = f" AND p.institution_id = ANY({SCOPE_PLACES})" if ctx.prefix.count("/") > CITY_DEPTH else ""
    # Materialised: the planner would otherwise walk every retiree in the list's order for a first page, though few
    # are insured outside their district (1,000,000 retirees: seconds instead of a few hundred milliseconds).
    return Statement(
        f"""
        WITH m AS MATERIALIZED (
        SELECT {_select(state)}
        FROM retiree r {state.join}
        JOIN {PLACES} pl ON pl.id = {state.institution}
        WHERE {_candidates(state, "cp.path LIKE :prefix", periods=in_scope)}
          AND pl.path LIKE :prefix AND {state.status} = ANY(:registered) AND {state.where}
          AND r.insuring_agency_code <> pl.district_code{more}
        ) SELECT * FROM m
        """,
        {"registered": REGISTERED_HERE, **params},
        counted_in_page=True,
    )


def _living_elsewhere(ctx: QueryContext) -> Statement:
    state = PersonState(ctx)
    more, params = _agency_filter(ctx)
    return Statement(
        f"""
        WITH m AS MATERIALIZED (
        SELECT {_select(state)}
        FROM retiree r {state.join}
        JOIN {PLACES} pl ON pl.id = {state.institution}
        WHERE {_candidates(state, "TRUE", f" AND c.insuring_agency_code = ANY({SCOPE_AGENCIES})")}
          AND r.insuring_agency_code = ANY({SCOPE_AGENCIES})
          AND {state.status} = ANY(:registered) AND {state.where}
          AND r.insuring_agency_code <> pl.district_code{more}
        ) SELECT * FROM m
        """,
        {"registered": REGISTERED_HERE, **params},
        counted_in_page=True,
    )


INSURED_ELSEWHERE = QuerySpec(
    id="6.5",
    title="参保地在外区、居住并登记在本区人员查询",
    description="由其他县（市、区）参保机构（含市本级）参保、在本辖区社区登记管理的退休人员；可按历史日期查询。",
    columns=_COLUMNS,
    filters=(INSTITUTION, AGENCY, NAME, SEX),
    build=_insured_elsewhere,
    default_sort="personal_number",
    tiebreak="retiree_id",
    as_of=True,
)

LIVING_ELSEWHERE = QuerySpec(
    id="6.6",
    title="参保地在本区、居住并登记在外区人员查询",
    description="由本辖区参保机构参保、在其他县（市、区）的社区登记管理的退休人员（参保机构为县区经办机构，社区、街道"
    "不是参保机构，查询结果为空）；可按历史日期查询。",
    columns=_COLUMNS,
    filters=(INSTITUTION, AGENCY, NAME, SEX),
    build=_living_elsewhere,
    default_sort="personal_number",
    tiebreak="retiree_id",
    as_of=True,
)

OUTGOING = "out"
INCOMING = "in"
LOCAL_PREFIX = CITY_PREFIX


def _non_local(ctx: QueryContext) -> Statement:
    params: dict[str, object] = {"local": f"{LOCAL_PREFIX}%"}
    more = ""
    if ctx.filters.get("name"):
        more += " AND q0.name LIKE :name"
        params["name"] = like_prefix(ctx.filters["name"])
    if ctx.filters.get("city"):
        more += " AND q0.city_code = :city"
        params["city"] = ctx.filters["city"]
    city = labels("q0.city_code", CITY_NAMES)
    if ctx.filters["direction"] == INCOMING:
        inner = """
            SELECT NULL::bigint AS retiree_id, 'I' || ir.id AS row_key, NULL::text AS personal_number, ir.name,
                   ir.id_number, ir.insuring_place_code AS city_code, ir.address, ir.phone, ir.since,
                   i.name AS institution
            FROM incoming_resident ir
            JOIN institution i ON i.id = ir.community_id
            WHERE i.path LIKE :prefix
        """
    else:
        # The retirees insured here whose current residence is in another city; one not registered yet is seen by
        # the agency that insures them (as domain/residence.non_local). The scope as index arrays (the whole city:
        # no condition): a path compared on each joined row made the planner read every retiree (a community's
        # 288 people: 0.57 s, where the city's 25,000 took 0.38 s).
        scope = (
            ""
            if whole_city(ctx)
            else f" AND (r.institution_id = ANY({SCOPE_PLACES})"
            f" OR (r.institution_id IS NULL AND r.insuring_agency_code = ANY({SCOPE_AGENCIES})))"
        )
        inner = f"""
            SELECT r.id AS retiree_id, 'R' || r.id AS row_key, r.personal_number, r.name, r.id_number,
                   res.city_code, res.address, coalesce(res.phone, r.phone) AS phone, res.since,
                   i.name AS institution
            FROM retiree_residence res
            JOIN retiree r ON r.id = res.retiree_id
            LEFT JOIN institution i ON i.id = r.institution_id
            WHERE res.current AND res.city_code NOT LIKE :local{scope}
        """
    return Statement(
        f"""
        SELECT q0.retiree_id, q0.row_key, q0.personal_number, q0.name, q0.id_number, {city} AS city,
               q0.address, q0.phone, q0.since, q0.institution
        FROM ({inner}) q0
        WHERE TRUE{more}
        """,
        params,
    )


NON_LOCAL = QuerySpec(
    id="6.16",
    title="异地居住人员查询",
    description="本市参保异地居住的退休人员（按其现居住地），或外地参保在本市居住的人员（由居住地社区登记）。",
    columns=(
        ResultColumn("personal_number", "个人编号", width=28, sortable=True),
        ResultColumn("name", "姓名", width=18, sortable=True),
        ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=40),
        ResultColumn("city", "居住地（本市参保）/参保地（外地参保）", width=36, sortable=True),
        ResultColumn("address", "居住地址", width=50),
        ResultColumn("phone", "联系电话", K.PHONE, width=28),
        ResultColumn("since", "居住起始日期", K.DATE, width=22, sortable=True),
        ResultColumn("institution", "所属社区", width=40, sortable=True),
    ),
    filters=(
        QueryFilter(
            "direction",
            "人员类别",
            FilterKind.CHOICE,
            (Choice(OUTGOING, "本市参保异地居住"), Choice(INCOMING, "外地参保本市居住")),
            required=True,
            default=OUTGOING,
        ),
        QueryFilter(
            "city",
            "城市",
            FilterKind.CHOICE,
            tuple(Choice(code, name) for code, name in CITY_NAMES.items()),
            description="本市参保的按居住地，外地参保的按参保地",
        ),
        INSTITUTION,
        NAME,
    ),
    build=_non_local,
    default_sort="-since",
    tiebreak="row_key",
)
