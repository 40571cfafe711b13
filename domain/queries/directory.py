"""Directory queries (section 6): the institutions of the caller's scope with the people they manage (6.18) and the
staff accounts of the scope (6.19: roles, institution, active, last login — never password data)."""

from __future__ import annotations

from typing import Any

from domain.institutions.models import LEVEL_LABELS, Level
from domain.queries.people import INSTITUTION, NAME
from domain.queries.spec import Choice, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import labels, like_prefix
from domain.retirees.lifecycle import Status
from domain.staff.permissions import ROLE_LABELS, Role

LEVELS = {level.value: label for level, label in LEVEL_LABELS.items()}
ROLES = {role.value: label for role, label in ROLE_LABELS.items()}
ACTIVE = QueryFilter("active", "是否启用", FilterKind.CHOICE, (Choice("yes", "启用"), Choice("no", "停用")))


def _active(ctx: QueryContext, column: str) -> str:
    match ctx.filters.get("active"):
        case "yes":
            return f" AND {column}"
        case "no":
            return f" AND NOT {column}"
    return ""


def _institutions(ctx: QueryContext) -> Statement:
    params: dict[str, Any] = {
        "managed": [Status.REGISTERED.value, Status.SUSPENDED.value, Status.TRANSFERRING_OUT.value]
    }
    where = _active(ctx, "i.active")
    if ctx.filters.get("level"):
        where += " AND i.level = :level"
        params["level"] = ctx.filters["level"]
    if ctx.filters.get("name"):
        where += " AND (i.name LIKE :name OR i.code = :code)"
        params["name"] = "%" + like_prefix(ctx.filters["name"])
        params["code"] = ctx.filters["name"]
    # People managed in each institution's subtree: counted per community once (the index on institution_id and
    # status), then added up to every ancestor named in the community's path (/city/district/street/community/).
    return Statement(
        f"""
        WITH managed AS (
            SELECT r.institution_id, count(*) AS n
            FROM retiree r
            WHERE r.status = ANY(:managed)
              AND r.institution_id IN (SELECT id FROM institution WHERE path LIKE :prefix)
            GROUP BY r.institution_id
        ), rolled AS (
            SELECT a.id, sum(m.n)::bigint AS n
            FROM managed m
            JOIN institution c ON c.id = m.institution_id
            CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM c.path), '/')::bigint[]) AS a(id)
            GROUP BY a.id
        ), staffed AS (
            SELECT s.institution_id, count(*) AS n FROM staff_account s WHERE s.active GROUP BY s.institution_id
        )
        SELECT i.id AS institution_id, i.code, i.name, {labels("i.level", LEVELS)} AS level, p.name AS parent,
               CASE WHEN i.active THEN '启用' ELSE '停用' END AS active, i.address, i.phone,
               COALESCE(rolled.n, 0) AS managed, COALESCE(staffed.n, 0) AS staff
        FROM institution i
        LEFT JOIN institution p ON p.id = i.parent_id
        LEFT JOIN rolled ON rolled.id = i.id
        LEFT JOIN staffed ON staffed.institution_id = i.id
        WHERE i.path LIKE :prefix{where}
        """,
        params,
    )


INSTITUTIONS = QuerySpec(
    id="6.18",
    title="机构查询",
    description="辖区内的机构（经办机构、街道/乡镇、社区）：层级、上级机构、是否启用、在管退休人员数和在岗工作人员数。",
    columns=(
        ResultColumn("code", "机构编码", width=28, sortable=True),
        ResultColumn("name", "机构名称", width=44, sortable=True),
        ResultColumn("level", "层级", width=24, sortable=True),
        ResultColumn("parent", "上级机构", width=40, sortable=True),
        ResultColumn("active", "是否启用", width=14),
        ResultColumn("managed", "在管退休人员数", K.NUMBER, width=22, sortable=True),
        ResultColumn("staff", "工作人员数", K.NUMBER, width=18, sortable=True),
        ResultColumn("address", "地址", width=50),
        ResultColumn("phone", "联系电话", width=26),
    ),
    filters=(
        QueryFilter("level", "层级", FilterKind.CHOICE, tuple(Choice(lv.value, LEVEL_LABELS[lv]) for lv in Level)),
        ACTIVE,
        QueryFilter("name", "机构名称", FilterKind.TEXT, description="机构名称中的字，或完整的机构编码"),
        INSTITUTION,
    ),
    build=_institutions,
    default_sort="code",
    tiebreak="institution_id",
    person_column=None,
)


def _staff(ctx: QueryContext) -> Statement:
    params: dict[str, Any] = {}
    where = _active(ctx, "s.active")
    if ctx.filters.get("role"):
        where += " AND s.role = :role"
        params["role"] = ctx.filters["role"]
    if ctx.filters.get("name"):
        where += " AND (s.full_name LIKE :name OR s.username = :username)"
        params["name"] = like_prefix(ctx.filters["name"])
        params["username"] = ctx.filters["name"]
    return Statement(
        f"""
        SELECT s.id AS account_id, s.username, s.full_name AS name, s.phone,
               COALESCE({labels("s.role", ROLES)}, '未授权') AS role, i.name AS institution,
               {labels("i.level", LEVELS)} AS level, CASE WHEN s.active THEN '启用' ELSE '停用' END AS active,
               s.last_login_at, s.created_at
        FROM staff_account s
        JOIN institution i ON i.id = s.institution_id
        WHERE i.path LIKE :prefix{where}
        """,
        params,
    )


STAFF = QuerySpec(
    id="6.19",
    title="工作人员查询",
    description="辖区内机构的工作人员账号：角色、所属机构、是否启用、最近登录时间。",
    columns=(
        ResultColumn("username", "账号", width=26, sortable=True),
        ResultColumn("name", "姓名", width=18, sortable=True),
        ResultColumn("phone", "联系电话", K.PHONE, width=28),
        ResultColumn("role", "角色", width=22, sortable=True),
        ResultColumn("institution", "所属机构", width=40, sortable=True),
        ResultColumn("level", "机构层级", width=24),
        ResultColumn("active", "是否启用", width=14),
        ResultColumn("last_login_at", "最近登录时间", K.DATETIME, width=34, sortable=True),
        ResultColumn("created_at", "创建时间", K.DATETIME, width=34, sortable=True),
    ),
    filters=(
        QueryFilter("role", "角色", FilterKind.CHOICE, tuple(Choice(r.value, ROLE_LABELS[r]) for r in Role)),
        ACTIVE,
        NAME,
        INSTITUTION,
    ),
    build=_staff,
    default_sort="username",
    tiebreak="account_id",
    person_column=None,
)
