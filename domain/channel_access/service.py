"""The retiree an app acts for (issue 20) and what that retiree may look up about themself.

:func:`vouch` takes an assertion the channel layer has already verified (the app's signature, its freshness) and
does what needs the database: the assertion's ``jti`` is used once (a replay is refused), the retiree named by ID
number must exist, and the app is bound to the retiree (their notifications are pushed to the apps they use).
The look-ups answer about one retiree only — the one the caller's token names; nothing here takes another's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.certifications.due import SOURCE_LABELS
from domain.certifications.models import CertificationReport
from domain.certifications.rules import CertificationSource, Standing, certification_due, explain
from domain.channel_access.models import ChannelBinding, UsedAssertion
from domain.dictionary.service import parameter_int
from domain.institutions.models import Institution
from domain.registrations.models import RegistrationApplication
from domain.retirees.idnumber import IdNumber, InvalidIdNumber
from domain.retirees.lifecycle import STATUS_LABELS, ChangeKind, Status
from domain.retirees.models import Retiree
from domain.shared.errors import DomainError, ErrorCode, NotFound
from domain.shared.masking import mask_name
from domain.status_log import service as status_log
from domain.transfers.models import Transfer


class AssertionRefused(DomainError):
    status = 401


async def vouch(session: AsyncSession, client_id: str, jti: str, expires_at: datetime, id_number: str) -> Retiree:
    """The retiree an app's verified assertion names; the assertion is spent (a second use is refused)."""
    try:
        number = IdNumber.parse(id_number).value
    except InvalidIdNumber:
        raise AssertionRefused(ErrorCode.ASSERTION_INVALID, "身份断言中的身份证号码无效") from None
    retiree = (await session.execute(select(Retiree).where(col(Retiree.id_number) == number))).scalar_one_or_none()
    if retiree is None or retiree.id is None:
        raise NotFound(ErrorCode.RETIREE_NOT_FOUND, "未找到该身份证号码的退休人员")
    spent = await session.execute(
        insert(UsedAssertion)
        .values(client_id=client_id, jti=jti, retiree_id=retiree.id, expires_at=expires_at)
        .on_conflict_do_nothing()
        .returning(col(UsedAssertion.jti))
    )
    if spent.scalar_one_or_none() is None:
        raise AssertionRefused(ErrorCode.ASSERTION_REPLAYED, "该身份断言已使用过，请重新生成")
    await session.execute(
        insert(ChannelBinding)
        .values(retiree_id=retiree.id, client_id=client_id)
        .on_conflict_do_update(index_elements=["retiree_id", "client_id"], set_={"last_seen_at": text("now()")})
    )
    return retiree


async def forget_spent_assertions(session: AsyncSession, before: datetime) -> int:
    """Assertions that expired before ``before`` cannot be replayed anyway (their expiry refuses them)."""
    result = await session.execute(
        text("DELETE FROM channel_used_assertion WHERE expires_at < :before"), {"before": before}
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class MyStatus:
    status: Status
    status_label: str
    sentence: str  # the sentence the console shows staff (suspensions.staff.standing), name masked
    suspension_reason: str | None
    suspended_on: date | None
    community: str | None


async def _suspended_on(session: AsyncSession, retiree: Retiree) -> date | None:
    if retiree.status != Status.SUSPENDED or retiree.id is None:
        return None
    entries = await status_log.history(session, retiree.id)
    return max((e.effective_date for e in entries if e.kind == ChangeKind.SUSPENDED), default=None)


async def status_of(session: AsyncSession, retiree: Retiree, today: date) -> MyStatus:
    valid_months = await parameter_int(session, "certification_valid_months")
    suspended_on = await _suspended_on(session, retiree)
    sentence = explain(
        Standing(
            name=mask_name(retiree.name) or "",
            status=retiree.status,
            suspension_reason=retiree.suspension_reason,
            suspended_on=suspended_on,
            last_certified=retiree.last_certified_on,
            valid_months=valid_months,
            today=today,
        )
    )
    community = await session.get(Institution, retiree.institution_id) if retiree.institution_id else None
    return MyStatus(
        status=retiree.status,
        status_label=STATUS_LABELS[retiree.status],
        sentence=sentence,
        suspension_reason=retiree.suspension_reason,
        suspended_on=suspended_on,
        community=community.name if community else None,
    )


@dataclass(frozen=True)
class CertificationEntry:
    certified_on: date
    source_label: str
    method: str
    passed: bool


@dataclass(frozen=True)
class MyCertification:
    last_certified_on: date | None
    next_due_on: date | None
    days_left: int | None  # negative when overdue
    sentence: str
    history: Sequence[CertificationEntry]


def _source_label(source: str) -> str:
    try:
        return SOURCE_LABELS[CertificationSource(source)]
    except ValueError:
        return source


async def certification_of(session: AsyncSession, retiree: Retiree, today: date) -> MyCertification:
    valid_months = await parameter_int(session, "certification_valid_months")
    last = retiree.last_certified_on
    due = certification_due(last, valid_months) if last else None
    reports = (
        await session.execute(
            select(CertificationReport)
            .where(col(CertificationReport.retiree_id) == retiree.id)
            .order_by(col(CertificationReport.certified_on).desc(), col(CertificationReport.id).desc())
            .limit(50)
        )
    ).scalars()
    return MyCertification(
        last_certified_on=last,
        next_due_on=due,
        days_left=(due - today).days if due else None,
        sentence=(await status_of(session, retiree, today)).sentence,
        history=[
            CertificationEntry(r.certified_on, _source_label(r.source), r.method, r.result == "passed") for r in reports
        ],
    )


async def latest_application(session: AsyncSession, retiree: Retiree) -> RegistrationApplication:
    application = (
        await session.execute(
            select(RegistrationApplication)
            .where(col(RegistrationApplication.retiree_id) == retiree.id)
            .order_by(col(RegistrationApplication.submitted_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if application is None:
        raise NotFound(ErrorCode.APPLICATION_NOT_FOUND, "您还没有通过手机提交过登记申请")
    return application


async def transfers_of(session: AsyncSession, retiree: Retiree) -> list[Transfer]:
    rows = await session.execute(
        select(Transfer).where(col(Transfer.retiree_id) == retiree.id).order_by(col(Transfer.id).desc())
    )
    return list(rows.scalars())


async def institution_names(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.execute(text("SELECT id, name FROM institution WHERE id = ANY(:ids)"), {"ids": wanted})
    return {int(row[0]): str(row[1]) for row in rows}


@dataclass(frozen=True)
class MyCommunity:
    code: str
    name: str
    street: str
    district: str
    address: str | None
    phone: str | None


async def community_of(session: AsyncSession, retiree: Retiree) -> MyCommunity | None:
    community = await session.get(Institution, retiree.institution_id) if retiree.institution_id else None
    if community is None:
        return None
    street = await session.get(Institution, community.parent_id) if community.parent_id else None
    district = await session.get(Institution, street.parent_id) if street and street.parent_id else None
    return MyCommunity(
        code=community.code,
        name=community.name,
        street=street.name if street else "",
        district=district.name if district else "",
        address=community.address,
        phone=community.phone,
    )
