"""Certification reminders and the due count per street (4.5, issue 5).

A registered retiree whose certification falls due within ``certification_reminder_days`` (a dictionary parameter)
gets one ``certification.reminder_due`` event — which the mobile channel turns into a notification — per due
date: the reminder table's key is (retiree, due date), so running the job twice, or catching up after a missed
night, sends nobody a second reminder. The due date is the one the overdue rule uses: the last certification (or,
never certified, the registration) plus ``certification_valid_months`` calendar months.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text

from domain.certifications.rules import add_months
from domain.dictionary.service import parameter_int
from domain.shared.event_types import EventType
from domain.shared.uow import UnitOfWork

REMINDER_DUE = EventType.CERTIFICATION_REMINDER_DUE

# The base date range is widened by a few days and the due date filtered exactly, because adding calendar months
# clamps at month ends (a base of 31 August and one of 28 February can fall due on the same day).
_MARGIN = timedelta(days=4)

_SEND = text(
    """
    WITH due AS (
        SELECT r.id, r.personal_number, r.last_certified_on,
               (coalesce(r.last_certified_on, r.registered_on) + make_interval(months => :months))::date AS due_on
        FROM retiree r
        WHERE r.status = 'registered'
          AND coalesce(r.last_certified_on, r.registered_on) BETWEEN :base_from AND :base_to
    ), fresh AS (
        INSERT INTO certification_reminder (retiree_id, due_on)
        SELECT id, due_on FROM due WHERE due_on BETWEEN :today AND :last_day
        ON CONFLICT DO NOTHING
        RETURNING retiree_id, due_on
    )
    SELECT d.personal_number, d.last_certified_on, f.due_on
    FROM fresh f JOIN due d ON d.id = f.retiree_id
    ORDER BY f.due_on, d.personal_number
    """
)


@dataclass(frozen=True)
class ReminderWindow:
    today: date
    valid_months: int
    reminder_days: int

    @property
    def last_day(self) -> date:
        return self.today + timedelta(days=self.reminder_days)

    def bounds(self) -> dict[str, object]:
        """The window's SQL parameters: the widened base-date range (an index range scan) and the exact due range."""
        return {
            "months": self.valid_months,
            "base_from": add_months(self.today, -self.valid_months) - _MARGIN,
            "base_to": add_months(self.last_day, -self.valid_months) + _MARGIN,
            "today": self.today,
            "last_day": self.last_day,
        }


def reminder_text(due_on: date, today: date) -> str:
    days = (due_on - today).days
    when = f"{due_on.year}年{due_on.month}月{due_on.day}日"
    left = "今天" if days == 0 else f"{days}天后"
    return f"您的养老金领取资格认证将于{when}（{left}）到期，请在到期前通过手机人脸识别或到社区完成认证。"


async def send_reminders(uow: UnitOfWork, today: date) -> int:
    """Send the reminders due ``today`` (and any missed); returns how many were sent."""
    window = ReminderWindow(
        today,
        await parameter_int(uow.session, "certification_valid_months"),
        await parameter_int(uow.session, "certification_reminder_days"),
    )
    rows = (await uow.session.execute(_SEND, window.bounds())).all()
    if not rows:
        return 0
    await uow.publish_many(
        REMINDER_DUE,
        [
            (
                personal_number,
                {
                    "personal_number": personal_number,
                    "due_on": due_on.isoformat(),
                    "last_certified_on": last.isoformat() if last else None,
                    "days_left": (due_on - today).days,
                    "message": reminder_text(due_on, today),
                },
            )
            for personal_number, last, due_on in rows
        ],
    )
    return len(rows)


_DUE_BY_COMMUNITY = text(
    """
    SELECT r.institution_id, count(*)
    FROM retiree r
    WHERE r.status = 'registered'
      AND coalesce(r.last_certified_on, r.registered_on) BETWEEN :base_from AND :base_to
      AND (coalesce(r.last_certified_on, r.registered_on) + make_interval(months => :months))::date
          BETWEEN :today AND :last_day
    GROUP BY r.institution_id
    """
)
_STREETS = text(
    """
    SELECT c.id, s.code, s.name
    FROM institution c JOIN institution s ON c.path LIKE s.path || '%' AND s.level = 'street'
    WHERE c.level = 'community'
    """
)


async def due_per_street(uow: UnitOfWork, today: date, days: int = 30) -> Counter[tuple[str, str]]:
    """Registered retirees whose certification falls due in the next ``days`` days, per street (code, name)."""
    window = ReminderWindow(today, await parameter_int(uow.session, "certification_valid_months"), days)
    counts = (await uow.session.execute(_DUE_BY_COMMUNITY, window.bounds())).all()
    street_of = {community: (code, name) for community, code, name in (await uow.session.execute(_STREETS)).all()}
    per_street: Counter[tuple[str, str]] = Counter()
    for community_id, count in counts:
        street = street_of.get(community_id)
        if street is not None:
            per_street[street] += int(count)
    return per_street
