"""Certification reminders of 4.5 (issue 5): one ``certification.reminder_due`` event per retiree and due date for
those due within the reminder window (30 days by the dictionary), none for those due later or already overdue,
none twice when the job runs again; and the due-in-30-days count per street. Runs "as of" 1 March 1985 so no other
test's retirees fall in the window."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from domain.certifications.reminders import due_per_street, send_reminders
from domain.institutions.models import Institution
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from hub.bootstrap import Hub
from hub.models import OutboxMessage
from tests import factories

pytestmark = pytest.mark.integration

TODAY = date(1985, 3, 1)  # due within 30 days: 1–31 March 1985, i.e. certified 1–30 September 1984


async def test_4_5_reminders_go_once_to_those_due_within_the_window_and_streets_are_counted(
    registry_hub: Hub,
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        community, other_street_community = tree.communities[0], tree.communities[2]
        street = await session.get(Institution, community.parent_id)
        assert street is not None
        people = {}
        for label, where, certified in [
            ("due_today", community, date(1984, 9, 1)),
            ("due_in_29_days", community, date(1984, 9, 30)),  # 30 September + 6 months = 30 March
            ("due_in_31_days", community, date(1984, 10, 1)),
            ("overdue_already", community, date(1984, 8, 31)),
            ("other_street_due", other_street_community, date(1984, 9, 15)),
        ]:
            person = await factories.retiree(session, where, status=Status.REGISTERED)
            person.last_certified_on = certified
            people[label] = person.personal_number
        street_code = street.code

    try:
        async with registry_hub.sessions() as session, session.begin():
            sent = await send_reminders(registry_hub.unit_of_work(session, "test"), TODAY)
        async with registry_hub.sessions() as session, session.begin():
            again = await send_reminders(registry_hub.unit_of_work(session, "test"), TODAY)
        assert (sent, again) == (3, 0)

        async with registry_hub.sessions() as session:
            rows = (
                await session.execute(
                    select(col(OutboxMessage.key), col(OutboxMessage.payload))
                    .where(col(OutboxMessage.event_type) == "certification.reminder_due")
                    .where(col(OutboxMessage.key).in_(people.values()))
                )
            ).all()
            per_street = await due_per_street(registry_hub.unit_of_work(session, "test"), TODAY)
        reminded = {key: json.loads(payload) for key, payload in rows}
        assert set(reminded) == {people["due_today"], people["due_in_29_days"], people["other_street_due"]}
        today_event = reminded[people["due_today"]]
        assert today_event["due_on"] == "1985-03-01" and today_event["days_left"] == 0
        assert "1985年3月1日" in today_event["message"] and "今天" in today_event["message"]
        assert reminded[people["due_in_29_days"]]["days_left"] == 29
        assert {count for (code, _), count in per_street.items() if code == street_code} == {2}
    finally:  # nobody certified in 1984 may be left registered for the suspension rules' 1980 run
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                update(Retiree).where(col(Retiree.personal_number).in_(people.values())).values(last_certified_on=None)
            )
