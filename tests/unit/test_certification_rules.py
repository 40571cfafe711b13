"""4.5 overdue rules as date arithmetic: the boundaries (exactly six months, a day less, a day more, month ends,
leap years), the deadlines in days, the source precedence of certifications, and the sentence read to a retiree."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.certifications.rules import (
    CertificationSource,
    Standing,
    add_months,
    certification_due,
    certification_overdue,
    deadline_passed,
    explain,
    outranks,
    reminder_due,
    resumes_on_certification,
)
from domain.dictionary.codes import ReasonCode

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("today", "overdue"),
    [
        (date(2026, 9, 14), False),  # a day before six months
        (date(2026, 9, 15), False),  # exactly six months: still in time
        (date(2026, 9, 16), True),  # a day more: overdue
    ],
)
def test_4_5_certification_overdue_boundary_at_exactly_six_months(today: date, overdue: bool) -> None:
    assert certification_overdue(date(2026, 3, 15), today, 6) is overdue


@pytest.mark.parametrize(
    ("certified", "due"),
    [
        (date(2023, 8, 31), date(2024, 2, 29)),  # into a leap February
        (date(2022, 8, 31), date(2023, 2, 28)),  # into a common February
        (date(2023, 8, 29), date(2024, 2, 29)),
        (date(2024, 2, 29), date(2024, 8, 29)),  # from a leap day
        (date(2025, 12, 31), date(2026, 6, 30)),  # across the year, into a 30-day month
    ],
)
def test_4_5_due_date_clamps_to_month_end_and_knows_leap_years(certified: date, due: date) -> None:
    assert certification_due(certified, 6) == due
    assert not certification_overdue(certified, due, 6)
    assert certification_overdue(certified, due + timedelta(days=1), 6)


def test_4_5_no_certification_yet_is_not_overdue_by_this_rule() -> None:
    assert not certification_overdue(None, date(2026, 11, 23), 6)


@pytest.mark.parametrize(
    ("today", "passed"), [(date(2026, 3, 31), False), (date(2026, 4, 1), False), (date(2026, 4, 2), True)]
)
def test_4_5_registration_deadline_counts_days_from_retirement(today: date, passed: bool) -> None:
    # Retired 1 January 2026, 90 days to register: 1 April (1 January + 90 days) is the last day in time.
    assert deadline_passed(date(2026, 1, 1), 90, today) is passed


def test_certification_reminder_goes_out_the_configured_days_before_the_due_date() -> None:
    certified = date(2026, 5, 20)  # due 20 November
    assert reminder_due(certified, date(2026, 10, 21), 6, 30)
    assert not reminder_due(certified, date(2026, 10, 20), 6, 30)
    assert not reminder_due(certified, date(2026, 10, 22), 6, 30)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=0, max_value=60))
def test_add_months_lands_in_the_right_month_never_later_in_it(day: date, months: int) -> None:
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day <= day.day
    assert later.day == day.day or (later + timedelta(days=1)).day == 1  # clamped only to a month's end


def test_same_day_certification_keeps_the_source_nearest_to_the_act() -> None:
    assert outranks(CertificationSource.ON_SITE, CertificationSource.FACE_RECOGNITION)
    assert outranks(CertificationSource.FACE_RECOGNITION, CertificationSource.PROVINCIAL_SYNC)
    assert not outranks(CertificationSource.MINISTRY_IMPORT, CertificationSource.PROVINCIAL_SYNC)


def test_4_5_only_a_certification_suspension_is_resumed_by_a_certification() -> None:
    assert resumes_on_certification(ReasonCode.CERTIFICATION_OVERDUE)
    for reason in (
        ReasonCode.REGISTRATION_OVERDUE,
        ReasonCode.TRANSFER_IN_OVERDUE,
        ReasonCode.SUSPENDED_BY_STAFF,
    ):
        assert not resumes_on_certification(reason)


def test_explanation_says_why_suspended_and_what_resumes() -> None:
    sentence = explain(
        Standing(
            name="王建军",
            status="suspended",
            suspension_reason=ReasonCode.CERTIFICATION_OVERDUE,
            suspended_on=date(2026, 9, 16),
            last_certified=date(2026, 3, 15),
            valid_months=6,
            today=date(2026, 11, 23),
        )
    )
    assert sentence == (
        "王建军自2026年9月16日起暂停发放养老金，因为上次认证为2026年3月15日，已超过6个月；"
        "本人完成一次资格认证（人脸识别或到社区现场认证）即自动恢复。"
    )


def test_explanation_of_a_paid_retiree_names_the_next_due_date() -> None:
    standing = Standing("李秀英", "registered", None, None, date(2026, 8, 31), 6, date(2026, 11, 23))
    assert explain(standing) == "李秀英的养老金正常发放；上次认证为2026年8月31日，须在2027年2月28日前再次认证。"
