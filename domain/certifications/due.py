"""Who falls due for certification soon (4.3, 4.5): the list behind the staff worklist's count.

"Due" is the reminder rule's and the overdue rule's definition (rules.certification_due): a registered retiree's last
certification (or, never certified, their registration) plus ``certification_valid_months`` calendar months. The
window uses the reminder's bounds, so the base-date range is a scan of ``ix_retiree_certified_registered``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Date, Select, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.certifications.reminders import ReminderWindow
from domain.certifications.rules import CertificationSource
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
}

BASE_DATE = func.coalesce(col(Retiree.last_certified_on), col(Retiree.registered_on))


def due_on(months: int) -> ColumnElement[date]:
    """The due date as SQL: the base date plus ``months`` calendar months (PostgreSQL clamps at month ends)."""
    return cast(BASE_DATE + func.make_interval(0, months), Date)


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


async def window(session: AsyncSession, today: date, within_days: int) -> ReminderWindow:
    return ReminderWindow(today, await parameter_int(session, "certification_valid_months"), within_days)


def due_within(actor: Actor, w: ReminderWindow) -> Select[Retiree]:
    """Registered retirees in scope whose certification falls due between today and today + the window's days."""
    bounds = w.bounds()
    return (
        select(Retiree)
        .where(col(Retiree.status) == Status.REGISTERED.value)
        .where(BASE_DATE.between(bounds["base_from"], bounds["base_to"]))
        .where(due_on(w.valid_months).between(w.today, w.last_day))
        .where(retiree_in_scope(actor))
    )


async def due_list(
    session: AsyncSession, actor: Actor, *, today: date, within_days: int, page: int, page_size: int
) -> DuePage:
    """One page of the people due, soonest first (then by personal number)."""
    require(actor, Permission.READ_REGISTRY)
    w = await window(session, today, within_days)
    query = due_within(actor, w)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    due = due_on(w.valid_months).label("due_on")
    rows = await session.execute(
        query.add_columns(Institution, due)
        .outerjoin(Institution, col(Retiree.institution_id) == col(Institution.id))
        .order_by(due, col(Retiree.personal_number))
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return DuePage(items=[DueRetiree(r, i, d) for r, i, d in rows], total=total, page=page, page_size=page_size)
