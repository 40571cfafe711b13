"""Supplementary information (4.2) captured by community staff from the registration form, including the special
categories behind the ledgers of 5.1. Recording it is a status-change log entry the province is told about (6.22)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.dictionary import service as dictionary
from domain.retirees.lifecycle import RecordSupplementaryInfo
from domain.retirees.models import SupplementaryInfo
from domain.retirees.service import in_scope
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require
from domain.status_log import service as status_log
from domain.status_log.models import CauseType


@dataclass(frozen=True)
class SupplementaryForm:
    household_address: str | None = None
    marital_status: str | None = None
    health_status: str | None = None
    living_arrangement: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_phone: str | None = None
    special_categories: list[str] = field(default_factory=list)
    remarks: str | None = None


async def record(uow: UnitOfWork, actor: Actor, retiree_id: int, form: SupplementaryForm) -> SupplementaryInfo:
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    await in_scope(session, actor, retiree_id)
    retiree = await status_log.locked_retiree(session, retiree_id)
    for category, value in (
        ("marital_status", form.marital_status),
        ("health_status", form.health_status),
        ("living_arrangement", form.living_arrangement),
    ):
        if value is not None:
            await dictionary.require_codes(session, category, [value], category)
    if "03" in form.special_categories:
        raise DomainError(
            ErrorCode.AGED_IS_COMPUTED, "高龄人员按出生日期自动计算，不需录入", field="special_categories"
        )
    await dictionary.require_codes(
        session, "special_category", sorted(set(form.special_categories)), "special_categories"
    )
    info = await session.get(SupplementaryInfo, retiree_id)
    if info is None:
        info = SupplementaryInfo(retiree_id=retiree_id, recorded_by=actor.name)
        session.add(info)
    for name, value in vars(form).items():
        setattr(info, name, sorted(set(value)) if name == "special_categories" else value)
    info.recorded_by = actor.name
    info.updated_at = datetime.now(UTC)
    await status_log.apply(
        uow,
        actor,
        retiree,
        RecordSupplementaryInfo(),
        effective_date=calendar.today(),
        cause=status_log.Cause(CauseType.STAFF, actor.name),
    )
    return info
