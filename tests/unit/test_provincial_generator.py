"""The provincial simulator's newly approved people (issue 14): the feed announces them retired within the last ~60
days, as real approvals are, so the hub's registration deadline has not passed; the platform's existing people keep
their retirement decades ago. ID numbers stay valid and distinct."""

from __future__ import annotations

import random
from datetime import date, timedelta

from domain.retirees.idnumber import IdNumber
from simulators.provincial import generator


def test_4_5_newly_approved_people_retired_within_the_last_60_days() -> None:
    rng = random.Random(14)
    for today in (date(2026, 11, 27), date(2026, 3, 1), date(2027, 1, 5), date(2024, 2, 29)):
        people = [generator.new_retiree(rng, n, today=today) for n in range(3000)]
        for person in people:
            retired = date.fromisoformat(person["aic162"])
            assert today - timedelta(days=generator.RECENT_RETIREMENT_DAYS) <= retired <= today, (today, retired)
            birth = date.fromisoformat(person["aac006"])
            assert retired.year - birth.year in (50, 55, 60, 51, 56, 61)
        assert len({p["aac002"] for p in people}) == len(people)


def test_4_5_the_platform_s_existing_people_keep_their_old_retirement() -> None:
    person = generator.new_retiree(random.Random(1), 7)
    assert date.fromisoformat(person["aic162"]) < date(2025, 1, 1)


def test_4_5_new_people_have_valid_id_numbers() -> None:
    person = generator.new_retiree(random.Random(2), 11, today=date(2026, 11, 27))
    number = IdNumber.parse(person["aac002"], today=date(2026, 11, 27))
    number.cross_check(date.fromisoformat(person["aac006"]), person["aac004"])
