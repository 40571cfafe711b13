"""The rules of proof-of-life certification and of the overdue suspensions (4.5), as pure functions of dates.

"超过半年以上未认证" — more than six months without certification — is read as: a retiree certified on day D is
due on D plus the validity (6 calendar months by default, the dictionary parameter ``certification_valid_months``),
clamped to the end of a shorter month (certified 31 August, due 28 February, or 29 February in a leap year). On the
due date itself they are still in time; from the day after, they are overdue and the nightly rule suspends them.

The registration and transfer-in deadlines work the same way in days (``registration_deadline_days`` counted from
the retirement date, ``transfer_in_deadline_days`` from the transfer out): suspended from the day after the last
day of the deadline.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Status


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def certification_due(last_certified: date, valid_months: int) -> date:
    """The last day on which the retiree is still in time."""
    return add_months(last_certified, valid_months)


def certification_overdue(last_certified: date | None, today: date, valid_months: int) -> bool:
    """No certification yet counts as overdue only through the registration rule, not this one: a retiree approved
    yesterday has had no chance to certify."""
    return last_certified is not None and today > certification_due(last_certified, valid_months)


def deadline_passed(start: date, deadline_days: int, today: date) -> bool:
    """``start`` plus ``deadline_days`` is the last day in time."""
    return today > start + timedelta(days=deadline_days)


def reminder_due(last_certified: date, today: date, valid_months: int, reminder_days: int) -> bool:
    """The day to remind: ``reminder_days`` before the due date (sent once; the service records it)."""
    return today == certification_due(last_certified, valid_months) - timedelta(days=reminder_days)


class CertificationSource(StrEnum):
    ON_SITE = "on_site"  # 4.3: staff saw the person at the community
    FACE_RECOGNITION = "face_recognition"  # the authentication platform's push
    PROVINCIAL_SYNC = "provincial_sync"  # 2.6: the province's copy (often of a face result we already have)
    MINISTRY_IMPORT = "ministry_import"  # 2.7: cross-region certification files
    LEGACY = "legacy"  # issue 17: the 2007 system's certification dates, imported as history (never sent)


# When two sources report a certification of the same retiree on the same day, it is one certification; the record
# kept is the one from the source nearest to the act itself (an on-site certification by our own staff, then the
# platform's own push, then the province's copy of it, then the ministry's batch file). A later arrival from a
# lower source is linked to the record, not counted again.
SOURCE_PRECEDENCE: tuple[CertificationSource, ...] = (
    CertificationSource.ON_SITE,
    CertificationSource.FACE_RECOGNITION,
    CertificationSource.PROVINCIAL_SYNC,
    CertificationSource.MINISTRY_IMPORT,
    CertificationSource.LEGACY,
)


def outranks(candidate: CertificationSource, kept: CertificationSource) -> bool:
    return SOURCE_PRECEDENCE.index(candidate) < SOURCE_PRECEDENCE.index(kept)


@dataclass(frozen=True)
class Standing:
    """What a community worker needs to explain a retiree's payment standing."""

    name: str
    status: str  # the lifecycle status (a Status, or its value)
    suspension_reason: str | None
    suspended_on: date | None
    last_certified: date | None
    valid_months: int
    today: date


def resumes_on_certification(suspension_reason: str | None) -> bool:
    """A passed certification resumes a retiree suspended for missing certification — and only that: the
    suspension's whole cause was the missing proof of life, which the certification now gives. A suspension for a
    missed registration or transfer-in deadline, or one made by staff, needs that act or a staff decision."""
    return suspension_reason == ReasonCode.CERTIFICATION_OVERDUE


def explain(s: Standing) -> str:
    """One sentence, in Chinese, a community worker can read aloud."""
    last = _cn(s.last_certified) if s.last_certified else None
    if s.status == Status.DECEASED:
        return f"{s.name}已登记死亡，养老金已终止发放。"
    if s.status != Status.SUSPENDED:
        if s.last_certified is None:
            return f"{s.name}的养老金正常发放；尚无资格认证记录，请尽快完成认证。"
        due = certification_due(s.last_certified, s.valid_months)
        return f"{s.name}的养老金正常发放；上次认证为{last}，须在{_cn(due)}前再次认证。"
    since = f"自{_cn(s.suspended_on)}起" if s.suspended_on else ""
    if s.suspension_reason == ReasonCode.CERTIFICATION_OVERDUE:
        basis = f"上次认证为{last}，已超过{s.valid_months}个月" if last else "没有资格认证记录"
        return (
            f"{s.name}{since}暂停发放养老金，因为{basis}；本人完成一次资格认证（人脸识别或到社区现场认证）即自动恢复。"
        )
    if s.suspension_reason == ReasonCode.REGISTRATION_OVERDUE:
        return f"{s.name}{since}暂停发放养老金，因为退休后未在规定期限内到社区登记；到社区办理登记后由工作人员恢复。"
    if s.suspension_reason == ReasonCode.TRANSFER_IN_OVERDUE:
        return f"{s.name}{since}暂停发放养老金，因为转出后未在规定期限内办理转入；到新社区办理转入后由工作人员恢复。"
    return f"{s.name}{since}由工作人员暂停发放养老金（原因代码 {s.suspension_reason}）；须经办机构审核后恢复。"


def _cn(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""
