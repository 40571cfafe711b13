"""4.9 调资公示: the yearly adjustment notice (调待公示表) a community posts on its notice board.

Per community and adjustment year: the people under the community's management (registered, suspended,
transferring out — :data:`domain.reports.distribution.MANAGED`) whom the province adjusted that year, one row each
(several batches in one year are summed: before = the first batch's, after = the last batch's, increase = the sum),
and the total (people, increase). The notice is posted on paper in the community, where the residents know one
another by name: it shows the full name (the purpose of 公示 is that each person can find themselves and others can
object) and the ID number masked as in every list (``mask_id_number``), never the phone or address.

A notice is one community's: an institution above a community is refused (``NOTICE_COMMUNITY_ONLY``) rather than
printing a district's hundred thousand people as one sheet — the console lets a street or district pick the community.
The query is one grouped join driven by ``ix_retiree_institution_status`` and the adjustment's primary key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.adjustments.models import PensionAdjustment
from domain.institutions import service as institutions
from domain.institutions.models import Institution, Level
from domain.reports.distribution import MANAGED
from domain.retirees import service as retirees
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.masking import mask_id_number
from domain.staff.permissions import Permission, require

# A person's figures for one year, several batches summed (before = the first batch's, after = the last batch's,
# increase = the sum, the effective months): aggregates over ``a`` (pension_adjustment) grouped per person. Also the
# figures of the adjustment sheet (7.14, domain/reports/deaths_adjustments.py).
PER_PERSON_FIGURES = """
           (array_agg(a.amount_before ORDER BY a.effective_month, a.batch_id))[1] AS amount_before,
           (array_agg(a.amount_after ORDER BY a.effective_month DESC, a.batch_id DESC))[1] AS amount_after,
           sum(a.increase) AS increase,
           string_agg(DISTINCT a.effective_month, '、' ORDER BY a.effective_month) AS months"""
_PER_PERSON = (
    """
    SELECT r.id, r.personal_number, r.name, r.id_number, r.institution_id,"""
    + PER_PERSON_FIGURES
    + """
    FROM retiree r JOIN pension_adjustment a ON a.retiree_id = r.id AND a.adjustment_year = :year
    WHERE {where}
    GROUP BY r.id
    ORDER BY r.personal_number, r.id
"""
)
_TOTALS = """
    SELECT count(DISTINCT r.id), coalesce(sum(a.increase), 0)
    FROM retiree r JOIN pension_adjustment a ON a.retiree_id = r.id AND a.adjustment_year = :year
    WHERE {where}
"""
_IN_COMMUNITY = "r.institution_id = :community AND r.status = ANY(:statuses)"
_IN_SCOPE = (
    "r.institution_id IN (SELECT i.id FROM institution i WHERE i.path LIKE :prefix) AND r.status = ANY(:statuses)"
    " AND (r.name LIKE :name OR r.personal_number = :number)"
)
# The years adjusted, newest first: a loose index scan over ix_pension_adjustment_year (a few probes, not a scan of
# every retiree's adjustments).
_YEARS = text(
    """
    WITH RECURSIVE y(year) AS (
        (SELECT max(adjustment_year) FROM pension_adjustment)
        UNION ALL
        SELECT (SELECT max(adjustment_year) FROM pension_adjustment WHERE adjustment_year < y.year)
        FROM y WHERE y.year IS NOT NULL
    )
    SELECT year FROM y WHERE year IS NOT NULL
    """
)


@dataclass(frozen=True)
class NoticeRow:
    retiree_id: int
    personal_number: str
    name: str
    id_number: str  # masked
    institution_id: int
    amount_before: Decimal
    amount_after: Decimal
    increase: Decimal
    effective_months: str  # YYYY-MM, several joined by 、

    @classmethod
    def of(cls, row: Any) -> NoticeRow:
        retiree_id, number, name, id_number, institution_id, before, after, increase, months = row
        return cls(
            retiree_id, number, name, mask_id_number(id_number) or "", institution_id, before, after, increase, months
        )


@dataclass(frozen=True)
class NoticePage:
    community: Institution
    year: int
    people: int
    total_increase: Decimal
    rows: list[NoticeRow]


async def years(session: AsyncSession, actor: Actor) -> list[int]:
    """The adjustment years the registry holds, newest first."""
    require(actor, Permission.READ_REGISTRY)
    return [int(year) for (year,) in (await session.execute(_YEARS)).all()]


async def community_for_notice(session: AsyncSession, actor: Actor, institution_id: int) -> Institution:
    """The community whose notice is asked for: in the caller's scope (else not found) and a community."""
    require(actor, Permission.READ_REGISTRY)
    institution = await institutions.visible(session, actor, institution_id)
    if institution.level != Level.COMMUNITY:
        raise DomainError(
            ErrorCode.NOTICE_COMMUNITY_ONLY,
            "调资公示表按社区张贴，请选择一个社区",
            field="institution_id",
        )
    return institution


def _community_params(community: Institution, year: int) -> dict[str, Any]:
    return {"community": community.id, "year": year, "statuses": [s.value for s in MANAGED]}


async def totals(session: AsyncSession, community: Institution, year: int) -> tuple[int, Decimal]:
    people, increase = (
        await session.execute(text(_TOTALS.format(where=_IN_COMMUNITY)), _community_params(community, year))
    ).one()
    return int(people), Decimal(increase)


async def notice(
    session: AsyncSession, actor: Actor, institution_id: int, year: int, *, page: int, size: int
) -> NoticePage:
    """One page of a community's notice for ``year``, with the totals of the whole notice."""
    community = await community_for_notice(session, actor, institution_id)
    people, increase = await totals(session, community, year)
    rows = await session.execute(
        text(_PER_PERSON.format(where=_IN_COMMUNITY) + " LIMIT :limit OFFSET :offset"),
        {**_community_params(community, year), "limit": size, "offset": (page - 1) * size},
    )
    return NoticePage(community, year, people, increase, [NoticeRow.of(row) for row in rows.all()])


async def stream(session: AsyncSession, community: Institution, year: int) -> AsyncIterator[NoticeRow]:
    """Every row of the notice, streamed from a server-side cursor (for printing)."""
    result = await session.stream(text(_PER_PERSON.format(where=_IN_COMMUNITY)), _community_params(community, year))
    async for row in result:
        yield NoticeRow.of(row)


async def adjusted_people(
    session: AsyncSession, actor: Actor, year: int, query: str, *, limit: int = 20
) -> list[NoticeRow]:
    """The people in the caller's scope with an adjustment in ``year`` whose name starts with ``query`` or whose
    personal number is ``query`` — the choice when recording an objection (4.10)."""
    require(actor, Permission.READ_REGISTRY)
    query = query.strip()
    rows = await session.execute(
        text(_PER_PERSON.format(where=_IN_SCOPE) + " LIMIT :limit"),
        {
            "prefix": f"{actor.query_path}%",
            "year": year,
            "statuses": [s.value for s in MANAGED],
            "name": f"{query.replace('%', '').replace('_', '')}%",
            "number": query.upper(),
            "limit": limit,
        },
    )
    return [NoticeRow.of(row) for row in rows.all()]


async def retiree_history(session: AsyncSession, actor: Actor, retiree_id: int) -> list[PensionAdjustment]:
    """A retiree's adjustments, newest first (the retiree page's 调资记录); scoped like the detail view."""
    await retirees.in_scope(session, actor, retiree_id)
    rows = await session.execute(
        select(PensionAdjustment)
        .where(col(PensionAdjustment.retiree_id) == retiree_id)
        .order_by(col(PensionAdjustment.effective_month).desc(), col(PensionAdjustment.batch_id).desc())
    )
    return list(rows.scalars())
