"""2.1: employer base info from the provincial platform, upserted by employer code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from domain.audit import trail
from domain.employers.models import Employer
from domain.retirees.inbound import PROVINCIAL_SYNC, Inbound
from domain.shared.uow import UnitOfWork

_FIELDS = ("name", "credit_code", "insuring_agency_code", "address", "contact_person", "contact_phone", "status")


async def on_employer_synced(data: Mapping[str, Any], event: Inbound, uow: UnitOfWork) -> None:
    session = uow.session
    query = select(Employer).where(col(Employer.code) == data["employer_code"]).with_for_update()
    employer = (await session.execute(query)).scalar_one_or_none()
    # Untyped payload values, passed through as given (the table model does not validate on construction).
    values: dict[str, Any] = {name: data.get(name) for name in _FIELDS}
    if employer is None:
        employer = Employer(code=data["employer_code"], **values)
        session.add(employer)
        action = "employer.created"
    else:
        for name, value in values.items():
            setattr(employer, name, value)
        employer.updated_at = datetime.now(UTC)
        action = "employer.updated"
    await trail.record(session, PROVINCIAL_SYNC, action, target=data["employer_code"], detail={"event": event.event_id})
