"""The rules of an archive hand-over (3.1 - 3.3) at their boundaries: the voucher, the people, the candidates, the
states, the receipt, and who may work on a batch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.handover import rules
from domain.handover.models import ArchiveItem, Discrepancy, HandoverState, ReceiptResult
from domain.handover.rules import Candidate, PersonItems, PersonResult, Voucher
from domain.shared.errors import DomainError, ErrorCode

TODAY = date(2026, 11, 27)
ITEMS = (ArchiveItem.PERSONNEL_FILE,)


pytestmark = pytest.mark.unit


def _refused(code: ErrorCode, call: Callable[..., object], *args: object) -> None:
    with pytest.raises(DomainError) as refused:
        call(*args)
    assert refused.value.code is code


def test_3_1_the_voucher_needs_a_number_a_positive_amount_and_a_date_not_after_today() -> None:
    assert rules.check_voucher(Voucher(" JF1 ", Decimal("0.01"), TODAY), TODAY) == Voucher(
        "JF1", Decimal("0.01"), TODAY
    )
    _refused(ErrorCode.HANDOVER_VOUCHER_INVALID, rules.check_voucher, Voucher("  ", Decimal(1), TODAY), TODAY)
    _refused(ErrorCode.HANDOVER_VOUCHER_INVALID, rules.check_voucher, Voucher("JF", Decimal(0), TODAY), TODAY)
    tomorrow = TODAY + timedelta(days=1)
    _refused(ErrorCode.HANDOVER_VOUCHER_INVALID, rules.check_voucher, Voucher("JF", Decimal(1), tomorrow), TODAY)


def test_3_1_a_batch_lists_each_person_once_with_items_and_at_most_the_limit() -> None:
    rules.check_people([PersonItems(i, ITEMS) for i in range(1, rules.MAX_PEOPLE + 1)])
    _refused(ErrorCode.HANDOVER_EMPTY, rules.check_people, [])
    _refused(ErrorCode.HANDOVER_EMPTY, rules.check_people, [PersonItems(i, ITEMS) for i in range(rules.MAX_PEOPLE + 1)])
    _refused(ErrorCode.HANDOVER_EMPTY, rules.check_people, [PersonItems(1, ITEMS), PersonItems(1, ITEMS)])
    _refused(ErrorCode.HANDOVER_ITEMS_REQUIRED, rules.check_people, [PersonItems(1, ())])
    _refused(ErrorCode.HANDOVER_ITEMS_REQUIRED, rules.check_people, [PersonItems(1, ITEMS, 0)])


def _candidate(**changes: object) -> Candidate:
    fields: dict[str, object] = {
        "retiree_id": 1,
        "personal_number": "P1",
        "employer_code": "E1",
        "status": "registered",
        "handed_over": False,
        "other_open_batch": None,
    }
    fields.update(changes)
    return Candidate(**fields)  # type: ignore[arg-type]


def test_3_1_people_of_the_employer_not_moved_away_nor_handed_over_nor_in_another_open_batch() -> None:
    rules.check_candidates("E1", [_candidate(), _candidate(retiree_id=2, status="deceased")])  # deceased allowed
    cases = [
        (_candidate(employer_code="E2"), ErrorCode.HANDOVER_PERSON_NOT_OF_EMPLOYER),
        (_candidate(employer_code=None, personal_number=None), ErrorCode.HANDOVER_PERSON_NOT_OF_EMPLOYER),  # unknown
        (_candidate(status="moved_away"), ErrorCode.HANDOVER_PERSON_MOVED_AWAY),
        (_candidate(handed_over=True), ErrorCode.HANDOVER_PERSON_HANDED_OVER),
        (_candidate(other_open_batch="YJ2026-0007"), ErrorCode.HANDOVER_PERSON_IN_OPEN_BATCH),
    ]
    for candidate, code in cases:
        with pytest.raises(DomainError) as refused:
            rules.check_candidates("E1", [_candidate(retiree_id=9), candidate])
        assert refused.value.code is code and refused.value.detail["retiree_ids"] == [1]
    with pytest.raises(DomainError) as named:
        rules.check_candidates("E1", [_candidate(retiree_id=i, other_open_batch="YJ2026-0007") for i in range(7)])
    assert "YJ2026-0007" in named.value.message and "7名" in named.value.message and "等" in named.value.message


def test_3_3_only_drafted_or_returned_batches_are_edited_and_only_submitted_ones_received_or_returned() -> None:
    for state in (HandoverState.DRAFTED, HandoverState.RETURNED):
        rules.check_editable(state)
    for state in (HandoverState.SUBMITTED, HandoverState.RECEIVED):
        _refused(ErrorCode.HANDOVER_NOT_EDITABLE, rules.check_editable, state)
    rules.check_state(HandoverState.SUBMITTED, (HandoverState.SUBMITTED,), "接收")
    _refused(ErrorCode.HANDOVER_STATE, rules.check_state, HandoverState.DRAFTED, (HandoverState.SUBMITTED,), "接收")
    rules.check_version(3, None)
    rules.check_version(3, 3)
    _refused(ErrorCode.HANDOVER_VERSION_CONFLICT, rules.check_version, 3, 2)
    assert rules.check_reason("  不符 ") == "不符"
    _refused(ErrorCode.HANDOVER_REASON_REQUIRED, rules.check_reason, " ")
    _refused(ErrorCode.HANDOVER_REASON_REQUIRED, rules.check_reason, None)


def test_3_3_a_receipt_names_every_person_once_and_a_discrepancy_names_its_kind() -> None:
    ok = PersonResult(1, ReceiptResult.RECEIVED)
    noted = PersonResult(2, ReceiptResult.DISCREPANCY, Discrepancy.ARCHIVE_MISSING, "缺档案袋")
    rules.check_results([1, 2], [ok, noted])
    _refused(ErrorCode.HANDOVER_RESULTS_INCOMPLETE, rules.check_results, [1, 2], [ok])
    _refused(ErrorCode.HANDOVER_RESULTS_INCOMPLETE, rules.check_results, [1], [ok, noted])
    _refused(ErrorCode.HANDOVER_RESULTS_INCOMPLETE, rules.check_results, [1, 2], [ok, ok, noted])
    uncoded = PersonResult(2, ReceiptResult.DISCREPANCY)
    _refused(ErrorCode.HANDOVER_DISCREPANCY_REQUIRED, rules.check_results, [1, 2], [ok, uncoded])


def test_3_1_the_receiving_institution_is_an_active_district_and_the_work_is_done_at_city_or_district() -> None:
    rules.check_agency("district", True)
    _refused(ErrorCode.HANDOVER_AGENCY_INVALID, rules.check_agency, "district", False)
    for level in ("city", "street", "community", None):
        _refused(ErrorCode.HANDOVER_AGENCY_INVALID, rules.check_agency, level, True)
    rules.check_acts_for_agency(True)
    _refused(ErrorCode.HANDOVER_AGENCY_ONLY, rules.check_acts_for_agency, False)
    for path in ("/", "/1/", "/1/5/"):
        rules.check_agency_staff(path)
    for path in ("/1/5/9/", "/1/5/9/40/"):
        _refused(ErrorCode.HANDOVER_AGENCY_ONLY, rules.check_agency_staff, path)
