"""7.2's age bands: the report compares birth dates with thresholds (cheap for the database) instead of computing
each age; the band must be exactly the one the person's age (domain.retirees.service.age_on) puts them in."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

import pytest

from domain.reports.distribution import AGE_BAND_BOUNDS, band_thresholds
from domain.retirees.service import age_on

pytestmark = pytest.mark.unit


def _band_by_age(age: int) -> int:
    return bisect_right(AGE_BAND_BOUNDS, age)


def _band_by_thresholds(birth: date, thresholds: list[date]) -> int:
    # PostgreSQL's width_bucket(birth, thresholds): how many thresholds are at or before the birth date.
    return len(AGE_BAND_BOUNDS) - bisect_right(thresholds, birth)


@pytest.mark.parametrize(
    "on",
    [date(2026, 11, 22), date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1), date(2026, 1, 1), date(2026, 12, 31)],
)
def test_7_2_every_birth_date_lands_in_the_band_of_its_age(on: date) -> None:
    """Around every bound (59/60 … 89/90) and on leap days, day by day over the three days either side."""
    thresholds = band_thresholds(on)
    assert thresholds == sorted(thresholds)
    checked = 0
    for years in (*AGE_BAND_BOUNDS, 30, 100):
        for shift in range(-400, 400):
            try:
                anchor = on.replace(year=on.year - years)
            except ValueError:
                anchor = date(on.year - years, 3, 1)
            birth = anchor + timedelta(days=shift)
            assert _band_by_thresholds(birth, thresholds) == _band_by_age(age_on(birth, on)), (birth, on)
            checked += 1
    assert checked == 6 * 800


def test_7_2_someone_born_on_29_february_reaches_60_on_1_march() -> None:
    thresholds = band_thresholds(date(2025, 2, 28))
    assert _band_by_thresholds(date(1965, 2, 28), thresholds) == 1  # 60 that day
    assert _band_by_thresholds(date(1964, 2, 29), thresholds) == 1  # 60 (61 from 1 March)
    assert _band_by_thresholds(date(1965, 3, 1), thresholds) == 0  # 59
