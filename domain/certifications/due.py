"""Who falls due for certification soon (4.3, 4.5): the list behind the staff worklist's count.

"Due" is the reminder rule's and the overdue rule's definition (rules.certification_due): a registered retiree's last
certification (or, never certified, their registration) plus ``certification_valid_months`` calendar months. Adding
months never moves a later date before an earlier one, so the people due between today and the window's last day are
exactly those whose base date lies in one range, found here in Python: the query is a single range on the expression
of ``ix_retiree_certified_registered`` (whose statistics the planner estimates well), ordered by that same base date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.certifications.rules import CertificationSource, add_months, certification_due
from domain.dictionary.service import parameter_int
from domain.institutions.models import Institution
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.retirees.scope import retiree_in_scope
from domain.shared.actor import Actor
from domain.staff.permissions import Permission, require

SOURCE_LABELS: dict[CertificationSource, str] = {
    CertificationSource.ON_SITE: "社区现场认证",
    CertificationSource.FACE_RECOGNITION: "人脸识别认证",
    CertificationSource.PROVINCIAL_SYNC: "省平台同步",
    CertificationSource.MINISTRY_IMPORT: "部级异地认证",
    CertificationSource.LEGACY: "历史系统迁移",
}

BASE_DATE = func.coalesce(col(Retiree.last_certified_on), col(Retiree.registered_on))
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DueWindow:
    today: date
    within_days: int
    valid_months: int

    @property
    def last_day(self) -> date:
        return self.today + timedelta(days=self.within_days)

    def due(self, base: date) -> date:
        return certification_due(base, self.valid_months)

    def base_range(self) -> tuple[date, date]:
        """The first and last base date due within the window (first > last: nobody can be due in it)."""
        first = add_months(self.today, -self.valid_months)
        while self.due(first - _DAY) >= self.today:
            first -= _DAY
        while self.due(first) < self.today:
            first += _DAY
        last = add_months(self.last_day, -self.valid_months)
        while self.due(last + _DAY) <= self.last_day:
            last += _DAY
        while self.due(last) > self.last_day:
            last -= _DAY
        return first, last


async def window(session: AsyncSession, today: date, within_days: int) -> DueWindow:
    return DueWindow(today, within_days, await parameter_int(session, "certification_valid_months"))


def due_within(actor: Actor, w: DueWindow) -> Select[Retiree]:
    """Registered retirees in scope whose certification falls due between today and the window's last day."""
    first, last = w.base_range()
    return (
        select(Retiree)
        # Inline, not a bound parameter: a generic prepared plan can use the partial index only when the predicate
        # ``status = 'registered'`` is visible to the planner.
        .where(col(Retiree.status) == literal(Status.REGISTERED.value, literal_execute=True))
        .where(BASE_DATE.between(first, last))
        .where(retiree_in_scope(actor))
    )


@dataclass(frozen=True)
class DueRetiree:
    retiree: Retiree
    institution: Institution | None
    due_on: date


@dataclass(frozen=True)
class DuePage:
    items: list[DueRetiree]
    total: int
    page: int
    page_size: int


async def due_list(
    session: AsyncSession, actor: Actor, *, today: date, within_days: int, page: int, page_size: int
) -> DuePage:
    """One page of the people due, soonest first (then by personal number)."""
    require(actor, Permission.READ_REGISTRY)
    w = await window(session, today, within_days)
    query = due_within(actor, w)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.add_columns(Institution)
        .outerjoin(Institution, col(Retiree.institution_id) == col(Institution.id))
        .order_by(BASE_DATE, col(Retiree.personal_number))
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    items = []
    for retiree, institution in rows:
        base = retiree.last_certified_on or retiree.registered_on
        assert base is not None  # the range on the base date excludes NULL
        items.append(DueRetiree(retiree, institution, w.due(base)))
    return DuePage(items=items, total=total, page=page, page_size=page_size)
