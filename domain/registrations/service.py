"""Registration (4.1) at the community counter and through the mobile channel.

Counter: staff of a community look a retiree up by personal number + insuring-agency code and register them in
their community; a second registration is refused with "人员已登记，不能重复登记".
Mobile: the retiree proves who they are with ID number + name + pension (personal) number, picks a community and
applies; that community's staff confirm (the retiree is registered there) or reject with a reason, after which the
retiree may apply again, elsewhere if need be.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.institutions.models import Institution, Level
from domain.registrations.models import ApplicationState, RegistrationApplication
from domain.residence import service as residences
from domain.residence.cities import is_local
from domain.retirees.idnumber import IdNumber, InvalidIdNumber
from domain.retirees.lifecycle import Register, Status
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound
from domain.shared.event_types import EventType
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require, require_in_scope
from domain.status_log import service as status_log
from domain.status_log.models import CauseType


async def find_for_registration(session: AsyncSession, actor: Actor, personal_number: str, agency_code: str) -> Retiree:
    """4.1 look-up: both numbers must match. Knowing both is what entitles a community to see an unregistered
    person, who is otherwise visible to the city level only."""
    require(actor, Permission.READ_REGISTRY)
    retiree = (
        await session.execute(select(Retiree).where(col(Retiree.personal_number) == personal_number.strip()))
    ).scalar_one_or_none()
    if retiree is None or retiree.insuring_agency_code != agency_code.strip():
        raise NotFound(ErrorCode.RETIREE_NOT_FOUND, "未找到该人员：请核对个人编号和参保机构编码")
    return retiree


async def _community_of(session: AsyncSession, actor: Actor) -> Institution:
    institution = await session.get(Institution, actor.institution_id) if actor.institution_id else None
    if institution is None or institution.level != Level.COMMUNITY:
        raise Forbidden(ErrorCode.COMMUNITY_ONLY, "登记须由社区工作人员办理")
    return institution


async def register_at_counter(
    uow: UnitOfWork,
    actor: Actor,
    personal_number: str,
    agency_code: str,
    *,
    effective_date: date | None = None,
    residence: residences.ResidenceInput | None = None,
) -> Retiree:
    """Register at the caller's community. The documented exception (4.7): an insuring agency (a district-level
    institution) registers, under itself, a person it insures whose residence is in another city — given here (then
    recorded in the same transaction) or recorded before."""
    require(actor, Permission.CHANGE_REGISTRY)
    agency = await residences.agency_of(uow.session, actor)
    if agency is None:
        institution = await _community_of(uow.session, actor)
    found = await find_for_registration(uow.session, actor, personal_number, agency_code)
    assert found.id is not None
    if agency is not None:
        institution = await _agency_for_non_local(uow.session, agency, found, residence)
    assert institution.id is not None
    retiree = await status_log.locked_retiree(uow.session, found.id)
    today = calendar.today()
    if residence is not None:
        await residences.record(uow, actor, retiree, residence, today=today)
    await status_log.apply(
        uow,
        actor,
        retiree,
        Register(institution.id),
        effective_date=effective_date or today,
        cause=status_log.Cause(CauseType.STAFF, actor.name),
    )
    return retiree


async def _agency_for_non_local(
    session: AsyncSession, agency: Institution, retiree: Retiree, residence: residences.ResidenceInput | None
) -> Institution:
    assert retiree.id is not None
    city = residence.city_code if residence else None
    if city is None:
        on_file = await residences.current(session, retiree.id)
        city = on_file.city_code if on_file else None
    if city is None or is_local(city.strip()) or agency.code != retiree.insuring_agency_code:
        raise Forbidden(
            ErrorCode.NON_LOCAL_ONLY,
            "登记须由社区工作人员办理；参保机构只能登记本机构参保、居住在外市的人员（须填写外市居住地）",
        )
    return agency


# --- mobile registration -------------------------------------------------------------------------------------------


async def identify(session: AsyncSession, id_number: str, name: str, personal_number: str) -> Retiree:
    """Find the retiree's record from what they typed, saying exactly which field does not match."""
    try:
        number = IdNumber.parse(id_number)
    except InvalidIdNumber as error:
        raise DomainError(error.code, error.message, field="id_number") from error
    retiree = (
        await session.execute(select(Retiree).where(col(Retiree.id_number) == number.value))
    ).scalar_one_or_none()
    if retiree is None:
        raise NotFound(ErrorCode.ID_NUMBER_NOT_FOUND, "未找到该身份证号码对应的退休人员信息", field="id_number")
    if retiree.name != name.strip():
        raise DomainError(ErrorCode.NAME_MISMATCH, "姓名与身份证号码登记的姓名不一致", field="name")
    if retiree.personal_number != personal_number.strip():
        raise DomainError(
            ErrorCode.PERSONAL_NUMBER_MISMATCH, "养老金编号（个人编号）与身份证号码不一致", field="personal_number"
        )
    return retiree


async def apply(
    uow: UnitOfWork,
    actor: Actor,
    *,
    id_number: str,
    name: str,
    personal_number: str,
    community_code: str,
    contact_phone: str | None,
) -> RegistrationApplication:
    session = uow.session
    retiree = await identify(session, id_number, name, personal_number)
    assert retiree.id is not None
    if retiree.status == Status.REGISTERED:
        raise Conflict(ErrorCode.ALREADY_REGISTERED, "人员已登记，不能重复登记")
    if retiree.status != Status.APPROVED:
        raise Conflict(ErrorCode.CANNOT_APPLY, "当前人员状态不能办理登记，请到社区咨询", status=retiree.status)
    community = (
        await session.execute(select(Institution).where(col(Institution.code) == community_code))
    ).scalar_one_or_none()
    if community is None or community.level != Level.COMMUNITY or not community.active:
        raise NotFound(ErrorCode.COMMUNITY_NOT_FOUND, f"未找到社区 {community_code}", field="community_code")
    pending = (
        await session.execute(
            select(RegistrationApplication).where(
                col(RegistrationApplication.retiree_id) == retiree.id,
                col(RegistrationApplication.state) == ApplicationState.PENDING.value,
            )
        )
    ).scalar_one_or_none()
    if pending is not None:
        raise Conflict(
            ErrorCode.APPLICATION_PENDING, "已有待社区确认的登记申请，请等待处理结果", application_id=pending.id
        )
    assert community.id is not None
    application = RegistrationApplication(
        id=str(uuid.uuid4()),
        retiree_id=retiree.id,
        community_id=community.id,
        channel_client=actor.name,
        contact_phone=contact_phone,
    )
    session.add(application)
    await session.flush()
    await trail.record(
        session,
        actor,
        "registration.apply",
        retiree_id=retiree.id,
        target=application.id,
        detail={"community": community_code},
    )
    return application


async def application_of(session: AsyncSession, application_id: str, id_number: str) -> RegistrationApplication:
    """The retiree looks up their application; the ID number must match, so ids cannot be probed."""
    application = await session.get(RegistrationApplication, application_id)
    retiree = await session.get(Retiree, application.retiree_id) if application else None
    try:
        number = IdNumber.parse(id_number).value
    except InvalidIdNumber:
        number = None
    if application is None or retiree is None or retiree.id_number != number:
        raise NotFound(ErrorCode.APPLICATION_NOT_FOUND, "未找到该登记申请")
    return application


async def pending_for(
    session: AsyncSession, actor: Actor
) -> list[tuple[RegistrationApplication, Retiree, Institution]]:
    """The pending applications to the caller's communities (query scope, 1.3), oldest first, with the person and
    the community applied to (a street or district worker decides for several communities)."""
    require(actor, Permission.READ_REGISTRY)
    rows = await session.execute(
        select(RegistrationApplication, Retiree, Institution)
        .join(Retiree, col(RegistrationApplication.retiree_id) == col(Retiree.id))
        .join(Institution, col(RegistrationApplication.community_id) == col(Institution.id))
        .where(col(Institution.path).like(f"{actor.query_path}%"))
        .where(col(RegistrationApplication.state) == ApplicationState.PENDING.value)
        .order_by(col(RegistrationApplication.submitted_at))
    )
    return [(a, r, c) for a, r, c in rows]


async def _decidable(uow: UnitOfWork, actor: Actor, application_id: str) -> RegistrationApplication:
    require(actor, Permission.CHANGE_REGISTRY)
    application = await uow.session.get(RegistrationApplication, application_id, with_for_update=True)
    community = await uow.session.get(Institution, application.community_id) if application else None
    require_in_scope(actor, community.path if community else "\0", "登记申请")
    assert application is not None
    if application.state != ApplicationState.PENDING:
        raise Conflict(ErrorCode.APPLICATION_DECIDED, "该申请已处理，不能重复处理", state=application.state)
    return application


async def confirm(uow: UnitOfWork, actor: Actor, application_id: str) -> RegistrationApplication:
    application = await _decidable(uow, actor, application_id)
    retiree = await status_log.locked_retiree(uow.session, application.retiree_id)
    await status_log.apply(
        uow,
        actor,
        retiree,
        Register(application.community_id),
        effective_date=calendar.today(),
        cause=status_log.Cause(CauseType.CHANNEL, application.id),
    )
    application.state = ApplicationState.CONFIRMED.value
    application.decided_at = datetime.now(UTC)
    application.decided_by = actor.name
    return application


async def reject(uow: UnitOfWork, actor: Actor, application_id: str, reason: str) -> RegistrationApplication:
    if not reason.strip():
        raise DomainError(ErrorCode.REASON_REQUIRED, "退回申请须填写原因", field="reason")
    application = await _decidable(uow, actor, application_id)
    application.state = ApplicationState.REJECTED.value
    application.reject_reason = reason.strip()
    application.decided_at = datetime.now(UTC)
    application.decided_by = actor.name
    await trail.record(
        uow.session,
        actor,
        "registration.reject",
        retiree_id=application.retiree_id,
        target=application.id,
        detail={"reason": reason},
    )
    # Issue 20: the retiree is told through their app, with the reason (a confirmation is a status-change entry).
    retiree = await uow.session.get(Retiree, application.retiree_id)
    community = await uow.session.get(Institution, application.community_id)
    assert retiree is not None and community is not None
    await uow.publish(
        EventType.REGISTRATION_REJECTED,
        retiree.personal_number,
        {
            "personal_number": retiree.personal_number,
            "application_id": application.id,
            "community_name": community.name,
            "reason": application.reject_reason[:500],
            "rejected_at": application.decided_at.isoformat(),
        },
    )
    return application
