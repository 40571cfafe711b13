"""Death registration (4.6): the overpaid months and the amount to recover at month ends, February and leap years;
the date of death checked against today and the birth date; recovery marked once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.deaths.rules import (
    EVIDENCE_LABELS,
    DeathEvidence,
    RecoveryState,
    check_death_date,
    check_recovery,
    overpaid_months,
    overpayment,
)
from domain.shared.errors import DomainError, ErrorCode

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("death", "recorded", "months"),
    [
        (date(2026, 3, 1), date(2026, 3, 31), ()),  # same month: nothing overpaid
        (date(2026, 1, 31), date(2026, 1, 31), ()),
        (date(2026, 1, 31), date(2026, 2, 1), ("2026-02",)),  # the 31st, then the short month
        (date(2026, 1, 31), date(2026, 3, 5), ("2026-02", "2026-03")),
        (date(2024, 2, 29), date(2024, 3, 1), ("2024-03",)),  # leap day
        (date(2024, 2, 29), date(2025, 2, 28), (*(f"2024-{m:02d}" for m in range(3, 13)), "2025-01", "2025-02")),
        (date(2025, 12, 31), date(2026, 1, 1), ("2026-01",)),  # across the year end
        (date(2026, 2, 28), date(2026, 2, 28), ()),
    ],
)
def test_4_6_overpaid_months_are_the_months_after_death_up_to_the_month_of_recording(
    death: date, recorded: date, months: tuple[str, ...]
) -> None:
    assert overpaid_months(death, recorded) == months


def test_4_6_the_amount_is_months_times_the_monthly_pension_to_two_places() -> None:
    result = overpayment(date(2026, 1, 31), date(2026, 4, 2), Decimal("3456.785"))
    assert result.months == ("2026-02", "2026-03", "2026-04")
    assert result.monthly_pension == Decimal("3456.79")
    assert result.amount == Decimal("10370.37")
    assert result.state is RecoveryState.TO_RECOVER


def test_4_6_a_death_in_the_month_of_recording_leaves_nothing_to_recover() -> None:
    result = overpayment(date(2026, 5, 1), date(2026, 5, 31), Decimal("4000.00"))
    assert (result.months, result.amount, result.state) == ((), Decimal("0.00"), RecoveryState.NONE)


def test_4_6_an_unknown_pension_still_shows_the_months() -> None:
    result = overpayment(date(2026, 1, 15), date(2026, 2, 2), None)
    assert (result.months, result.amount) == (("2026-02",), Decimal("0.00"))


@given(
    death=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
    days_later=st.integers(min_value=-400, max_value=4000),
    pension=st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False),
)
def test_4_6_months_are_never_negative_and_the_amount_is_months_times_pension(
    death: date, days_later: int, pension: Decimal
) -> None:
    recorded = death + timedelta(days=days_later)
    result = overpayment(death, recorded, pension)
    expected = max(0, (recorded.year - death.year) * 12 + recorded.month - death.month)
    assert len(result.months) == expected >= 0
    assert result.amount == pension * len(result.months)
    assert list(result.months) == sorted(set(result.months))


def test_4_6_the_date_of_death_is_not_in_the_future_nor_before_birth() -> None:
    today = date(2026, 11, 27)
    check_death_date(today, birth_date=date(1950, 1, 1), today=today)
    with pytest.raises(DomainError) as future:
        check_death_date(today + timedelta(days=1), birth_date=date(1950, 1, 1), today=today)
    assert future.value.code is ErrorCode.DEATH_DATE_IN_FUTURE
    with pytest.raises(DomainError) as early:
        check_death_date(date(1949, 12, 31), birth_date=date(1950, 1, 1), today=today)
    assert early.value.code is ErrorCode.DEATH_BEFORE_BIRTH
    assert "出生日期" in early.value.message


def test_4_6_recovery_is_marked_once_as_recovered_or_waived_with_remarks() -> None:
    check_recovery(RecoveryState.TO_RECOVER, RecoveryState.WAIVED, "家属无力偿还，经审批核销")
    for current in (RecoveryState.RECOVERED, RecoveryState.WAIVED, RecoveryState.CANCELLED, RecoveryState.NONE):
        with pytest.raises(DomainError) as refused:
            check_recovery(current, RecoveryState.RECOVERED, "已退回")
        assert refused.value.code is ErrorCode.OVERPAYMENT_NOT_TO_RECOVER
    with pytest.raises(DomainError) as outcome:
        check_recovery(RecoveryState.TO_RECOVER, RecoveryState.CANCELLED, "撤销")
    assert outcome.value.code is ErrorCode.INVALID_RECOVERY_OUTCOME
    with pytest.raises(DomainError) as remarks:
        check_recovery(RecoveryState.TO_RECOVER, RecoveryState.RECOVERED, " ")
    assert remarks.value.code is ErrorCode.REASON_REQUIRED


def test_4_6_every_way_a_death_is_known_has_a_chinese_label() -> None:
    assert set(EVIDENCE_LABELS) == set(DeathEvidence)
    assert EVIDENCE_LABELS[DeathEvidence.CREMATION_RECORD] == "火化证明"
