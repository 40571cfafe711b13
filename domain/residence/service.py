"""Non-local residents (4.7, 6.16).

- A retiree's residence: the city (GB/T 2260, city level), address, phone and since when. Recording one keeps the
  earlier ones (the timeline shows each change); it is not a change of status, so nothing goes to the province (the
  provincial contract has no business type for a residence, docs/provincial-contract.md).
- Who may record it: staff whose subtree holds the retiree; for a person not yet registered, the insuring agency
  (the district institution whose code is the person's insuring-agency code) too — it registers non-local people
  (see domain/registrations/service.py) and records their residence first or in the same request.
- The people insured elsewhere who live here: kept by the community they live in, listed and counted in scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.institutions.models import Institution, Level, in_subtree
from domain.residence.cities import check_city_code, is_local
from domain.residence.models import IncomingResident, Residence
from domain.retirees import service as retirees
from domain.retirees.idnumber import IdNumber, InvalidIdNumber
from domain.retirees.models import Retiree
from domain.retirees.scope import retiree_in_scope
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, NotFound
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require
from domain.transfers.rules import CITY_PREFIX as _LOCAL_PREFIX


@dataclass(frozen=True)
class ResidenceInput:
    city_code: str
    since: date
    address: str | None = None
    phone: str | None = None


def check_residence(given: ResidenceInput, *, birth_date: date, today: date) -> ResidenceInput:
    """Pure: the code's form and level, and a since date between the birth date and today."""
    code = check_city_code(given.city_code)
    if given.since > today or given.since < birth_date:
        raise DomainError(
            ErrorCode.RESIDENCE_DATE_INVALID, "居住起始日期不能晚于今天，也不能早于出生日期", field="since"
        )
    address = given.address.strip() if given.address else None
    phone = given.phone.strip() if given.phone else None
    return ResidenceInput(code, given.since, address or None, phone or None)


async def agency_of(session: AsyncSession, actor: Actor) -> Institution | None:
    """The caller's institution when it is an insuring agency (a district-level institution)."""
    institution = await session.get(Institution, actor.institution_id) if actor.institution_id else None
    return institution if institution is not None and institution.level == Level.DISTRICT else None


async def _retiree_for_change(session: AsyncSession, actor: Actor, retiree_id: int) -> Retiree:
    require(actor, Permission.CHANGE_REGISTRY)
    return await _retiree_of_caller(session, actor, retiree_id)


async def _retiree_of_caller(session: AsyncSession, actor: Actor, retiree_id: int) -> Retiree:
    """In the caller's scope; or not yet registered and insured at the caller's agency, which records the residence
    of its non-local people before (or while) registering them."""
    try:
        return await retirees.in_scope(session, actor, retiree_id)
    except NotFound:
        retiree = await session.get(Retiree, retiree_id)
        agency = await agency_of(session, actor)
        if (
            retiree is not None
            and retiree.institution_id is None
            and agency is not None
            and agency.code == retiree.insuring_agency_code
        ):
            return retiree
        raise


async def current(session: AsyncSession, retiree_id: int) -> Residence | None:
    return (
        await session.execute(
            select(Residence).where(col(Residence.retiree_id) == retiree_id).where(col(Residence.current))
        )
    ).scalar_one_or_none()


async def record(uow: UnitOfWork, actor: Actor, retiree: Retiree, given: ResidenceInput, *, today: date) -> Residence:
    """Record a residence (the caller has checked who may): the earlier one stays as history; audited."""
    checked = check_residence(given, birth_date=retiree.birth_date, today=today)
    assert retiree.id is not None
    session = uow.session
    await session.execute(
        update(Residence)
        .where(col(Residence.retiree_id) == retiree.id)
        .where(col(Residence.current))
        .values(current=False)
    )
    row = Residence(
        retiree_id=retiree.id,
        city_code=checked.city_code,
        address=checked.address,
        phone=checked.phone,
        since=checked.since,
        recorded_by=actor.name,
    )
    session.add(row)
    await session.flush()
    await trail.record(
        session,
        actor,
        "retiree.residence_changed",
        retiree_id=retiree.id,
        target=retiree.personal_number,
        detail={
            "city_code": checked.city_code,
            "since": checked.since.isoformat(),
            "non_local": not is_local(checked.city_code),
        },
    )
    return row


async def change(uow: UnitOfWork, actor: Actor, retiree_id: int, given: ResidenceInput, *, today: date) -> Residence:
    """PUT a retiree's residence (4.7). Serialised per retiree by the row lock."""
    retiree = await _retiree_for_change(uow.session, actor, retiree_id)
    await uow.session.execute(select(col(Retiree.id)).where(col(Retiree.id) == retiree_id).with_for_update())
    return await record(uow, actor, retiree, given, today=today)


async def history(session: AsyncSession, retiree_id: int) -> list[Residence]:
    return list(
        (
            await session.execute(
                select(Residence).where(col(Residence.retiree_id) == retiree_id).order_by(col(Residence.id))
            )
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class NonLocal:
    retiree: Retiree
    residence: Residence
    institution: Institution | None


async def non_local(
    session: AsyncSession, actor: Actor, *, city_code: str | None, page: int, size: int
) -> tuple[list[NonLocal], int]:
    """6.16 / 6.6: the retirees insured here living in another city, in the caller's scope (an insuring agency also
    sees the people of its own agency not yet registered), newest residence first."""
    require(actor, Permission.READ_REGISTRY)
    if city_code:
        city_code = check_city_code(city_code)
    agency = await agency_of(session, actor)
    scope = retiree_in_scope(actor, include_unplaced=True)
    if agency is not None:
        scope = scope | (col(Retiree.institution_id).is_(None) & (col(Retiree.insuring_agency_code) == agency.code))
    conditions = [col(Residence.current), ~col(Residence.city_code).startswith(_LOCAL_PREFIX), scope]
    if city_code:
        conditions.append(col(Residence.city_code) == city_code)
    base = select(Residence, Retiree).join(Retiree, col(Retiree.id) == col(Residence.retiree_id)).where(*conditions)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (
        await session.execute(
            base.order_by(col(Residence.since).desc(), col(Residence.id).desc()).offset((page - 1) * size).limit(size)
        )
    ).all()
    ids = {r.institution_id for _, r in rows if r.institution_id}
    institutions = (
        {i.id: i for i in (await session.execute(select(Institution).where(col(Institution.id).in_(ids)))).scalars()}
        if ids
        else {}
    )
    return [
        NonLocal(r, res, institutions.get(r.institution_id) if r.institution_id else None) for res, r in rows
    ], total


# --- insured elsewhere, living here ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingInput:
    id_number: str
    name: str
    insuring_place_code: str
    address: str | None = None
    phone: str | None = None
    community_id: int | None = None  # default: the caller's own community
    since: date | None = None


async def _community(session: AsyncSession, actor: Actor, community_id: int | None) -> Institution:
    chosen = community_id or actor.institution_id
    institution = await session.get(Institution, chosen) if chosen else None
    if institution is None or institution.level != Level.COMMUNITY or not actor.covers(institution.path):
        raise DomainError(
            ErrorCode.INCOMING_COMMUNITY_INVALID, "请选择本机构管辖范围内的居住社区", field="community_id"
        )
    return institution


def _check_incoming(given: IncomingInput) -> IncomingInput:
    try:
        number = IdNumber.parse(given.id_number)
    except InvalidIdNumber as error:
        raise DomainError(error.code, error.message, field="id_number") from error
    name = given.name.strip()
    if not name:
        raise DomainError(ErrorCode.INCOMING_NAME_REQUIRED, "请填写姓名", field="name")
    place = check_city_code(given.insuring_place_code, "insuring_place_code")
    if is_local(place):
        raise DomainError(
            ErrorCode.INCOMING_PLACE_LOCAL,
            "参保地为本市的人员属于本系统登记的退休人员，不能作为外地参保人员登记",
            field="insuring_place_code",
        )
    address = given.address.strip() if given.address else None
    phone = given.phone.strip() if given.phone else None
    return IncomingInput(number.value, name, place, address or None, phone or None, given.community_id, given.since)


async def _incoming_in_scope(
    session: AsyncSession, actor: Actor, resident_id: int
) -> tuple[IncomingResident, Institution]:
    row = await session.get(IncomingResident, resident_id, with_for_update=True)
    community = await session.get(Institution, row.community_id) if row else None
    if row is None or community is None or not actor.covers(community.path):
        raise NotFound(ErrorCode.INCOMING_RESIDENT_NOT_FOUND, "未找到该外地参保人员，或不在本机构管辖范围内")
    return row, community


async def _unique(session: AsyncSession, id_number: str, except_id: int | None = None) -> None:
    query = select(col(IncomingResident.id)).where(col(IncomingResident.id_number) == id_number)
    if except_id is not None:
        query = query.where(col(IncomingResident.id) != except_id)
    if (await session.execute(query)).first() is not None:
        raise Conflict(ErrorCode.INCOMING_RESIDENT_EXISTS, "该身份证号码的外地参保人员已登记", field="id_number")
    registered = await session.execute(select(col(Retiree.id)).where(col(Retiree.id_number) == id_number))
    if registered.first() is not None:
        raise Conflict(
            ErrorCode.INCOMING_RESIDENT_EXISTS,
            "该身份证号码是本市参保的退休人员，不能作为外地参保人员登记",
            field="id_number",
        )


async def add_incoming(uow: UnitOfWork, actor: Actor, given: IncomingInput) -> tuple[IncomingResident, Institution]:
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    checked = _check_incoming(given)
    community = await _community(session, actor, checked.community_id)
    await _unique(session, checked.id_number)
    assert community.id is not None
    row = IncomingResident(
        id_number=checked.id_number,
        name=checked.name,
        insuring_place_code=checked.insuring_place_code,
        address=checked.address,
        phone=checked.phone,
        community_id=community.id,
        since=checked.since,
        recorded_by=actor.name,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(
            ErrorCode.INCOMING_RESIDENT_EXISTS, "该身份证号码的外地参保人员已登记", field="id_number"
        ) from error
    await trail.record(
        session, actor, "incoming_resident.added", target=str(row.id), detail={"community_id": community.id}
    )
    return row, community


async def edit_incoming(
    uow: UnitOfWork, actor: Actor, resident_id: int, given: IncomingInput
) -> tuple[IncomingResident, Institution]:
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    row, community = await _incoming_in_scope(session, actor, resident_id)
    checked = _check_incoming(given)
    if checked.community_id is not None and checked.community_id != row.community_id:
        community = await _community(session, actor, checked.community_id)
    await _unique(session, checked.id_number, except_id=resident_id)
    assert community.id is not None
    row.id_number, row.name = checked.id_number, checked.name
    row.insuring_place_code, row.address, row.phone = checked.insuring_place_code, checked.address, checked.phone
    row.community_id, row.since = community.id, checked.since
    row.updated_at = datetime.now(UTC)
    await session.flush()
    await trail.record(
        session, actor, "incoming_resident.changed", target=str(resident_id), detail={"community_id": community.id}
    )
    return row, community


async def read_incoming(uow: UnitOfWork, actor: Actor, resident_id: int) -> tuple[IncomingResident, Institution]:
    """One resident unmasked (to edit), in scope; audited like the retiree detail view."""
    require(actor, Permission.READ_REGISTRY)
    session = uow.session
    row = await session.get(IncomingResident, resident_id)
    community = await session.get(Institution, row.community_id) if row else None
    if row is None or community is None or not actor.covers(community.path):
        raise NotFound(ErrorCode.INCOMING_RESIDENT_NOT_FOUND, "未找到该外地参保人员，或不在本机构管辖范围内")
    await trail.record(session, actor, "incoming_resident.viewed", target=str(resident_id))
    return row, community


async def remove_incoming(uow: UnitOfWork, actor: Actor, resident_id: int) -> None:
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    row, community = await _incoming_in_scope(session, actor, resident_id)
    await session.delete(row)
    await session.flush()
    await trail.record(
        session, actor, "incoming_resident.removed", target=str(resident_id), detail={"community_id": community.id}
    )


async def incoming(
    session: AsyncSession, actor: Actor, *, place_code: str | None, page: int, size: int
) -> tuple[Sequence[tuple[IncomingResident, Institution]], int]:
    """6.16 / 6.5: the people insured elsewhere living in the caller's subtree."""
    require(actor, Permission.READ_REGISTRY)
    conditions = [in_subtree(actor.query_path)]
    if place_code:
        conditions.append(
            col(IncomingResident.insuring_place_code) == check_city_code(place_code, "insuring_place_code")
        )
    base = (
        select(IncomingResident, Institution)
        .join(Institution, col(Institution.id) == col(IncomingResident.community_id))
        .where(*conditions)
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (
        await session.execute(base.order_by(col(IncomingResident.id).desc()).offset((page - 1) * size).limit(size))
    ).all()
    return [(r, i) for r, i in rows], total


async def readable_history(session: AsyncSession, actor: Actor, retiree_id: int) -> list[Residence]:
    """The residences of a retiree the caller may see (in scope, or not yet registered and of the caller's agency)."""
    require(actor, Permission.READ_REGISTRY)
    await _retiree_of_caller(session, actor, retiree_id)
    return await history(session, retiree_id)
