"""6.1 talent retirees (人才退休人员): staff mark an employer as the talent service centre (人才服务中心), which keeps
its people's archives; that employer's retirees are the talent retirees. The province's employer sync does not
carry the fact, so staff of the employer's insuring agency (or the city) set it; setting what is already set changes
nothing and records nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.employers.models import Employer
from domain.institutions.models import Institution
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode, NotFound
from domain.staff.permissions import Permission, require


async def mark_talent_centre(session: AsyncSession, actor: Actor, code: str, *, talent_centre: bool) -> Employer:
    """Mark (or unmark) the employer ``code`` as the talent service centre; audited when it changes."""
    require(actor, Permission.CHANGE_REGISTRY)
    query = select(Employer, col(Institution.path)).outerjoin(
        Institution, col(Institution.code) == col(Employer.insuring_agency_code)
    )
    query = query.where(col(Employer.code) == code.strip()).with_for_update(of=Employer)
    found = (await session.execute(query)).first()
    if found is None or not actor.covers(found[1]):
        raise NotFound(ErrorCode.HANDOVER_EMPLOYER_NOT_FOUND, "未找到该单位，或该单位不在本机构管辖范围内")
    employer: Employer = found[0]
    if employer.talent_centre != talent_centre:
        employer.talent_centre = talent_centre
        employer.updated_at = datetime.now(UTC)
        await trail.record(
            session,
            actor,
            "employer.talent_centre",
            target=employer.code,
            detail={"talent_centre": talent_centre},
        )
    return employer
