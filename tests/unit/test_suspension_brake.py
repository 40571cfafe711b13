"""The brake's arithmetic (4.5, issue 14): exactly the threshold passes, one more holds — for the city and for each
managing institution; an institution held for itself no longer counts against the city."""

from __future__ import annotations

from domain.dictionary.codes import PARAMETER_RANGES, PARAMETERS
from domain.suspensions.brake import Thresholds, decide

LIMITS = Thresholds(city=500, institution=50)


def test_4_5_brake_exactly_the_city_threshold_passes_one_more_holds_everyone() -> None:
    at = decide({1: 50, 2: 50, None: 400}, LIMITS)
    assert not at.holds_any
    over = decide({1: 50, 2: 50, None: 401}, LIMITS)
    assert over.city_held and over.held_institutions == frozenset()
    assert over.holds(1) and over.holds(2) and over.holds(None)


def test_4_5_brake_exactly_the_institution_threshold_passes_one_more_holds_that_institution() -> None:
    at = decide({1: 50, 2: 10}, LIMITS)
    assert not at.holds_any
    over = decide({1: 51, 2: 10}, LIMITS)
    assert over.held_institutions == frozenset({1}) and not over.city_held
    assert over.holds(1) and not over.holds(2) and not over.holds(None)


def test_4_5_brake_an_institution_held_for_itself_does_not_count_against_the_city() -> None:
    # 60 held for institution 1; the other 500 are exactly the city's threshold and pass
    decision = decide({1: 60, None: 450, 2: 50}, LIMITS)
    assert decision.held_institutions == frozenset({1}) and not decision.city_held
    # one more elsewhere and the rest is held as well
    assert decide({1: 60, None: 451, 2: 50}, LIMITS).city_held


def test_4_5_brake_people_without_an_institution_count_only_against_the_city() -> None:
    decision = decide({None: 499}, LIMITS)
    assert not decision.holds_any


def test_4_5_brake_a_quiet_night_holds_nobody() -> None:
    assert not decide({}, LIMITS).holds_any


def test_1_4_brake_thresholds_are_parameters_with_ranges() -> None:
    for name in ("suspension_brake_city", "suspension_brake_institution"):
        low, high = PARAMETER_RANGES[name]
        assert low <= int(PARAMETERS[name][0]) <= high and low >= 1
