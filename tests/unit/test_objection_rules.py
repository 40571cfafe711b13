"""4.10: the rules of an answer to an adjustment objection, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.adjustments.models import ObjectionResult
from domain.adjustments.objections import AnswerInput, check_answer
from domain.shared.errors import DomainError, ErrorCode

pytestmark = pytest.mark.unit


def test_4_10_a_rejection_needs_its_reason() -> None:
    with pytest.raises(DomainError) as refused:
        check_answer(AnswerInput(ObjectionResult.REJECTED, note="   "))
    assert refused.value.code is ErrorCode.OBJECTION_REASON_REQUIRED
    assert check_answer(AnswerInput(ObjectionResult.REJECTED, note=" 不属于范围 ")).note == "不属于范围"


def test_4_10_a_correction_needs_a_positive_amount_or_a_note() -> None:
    for given in (AnswerInput(ObjectionResult.CORRECTED), AnswerInput(ObjectionResult.CORRECTED, Decimal("0"))):
        with pytest.raises(DomainError) as refused:
            check_answer(given)
        assert refused.value.code is ErrorCode.OBJECTION_CORRECTION_REQUIRED
    assert check_answer(AnswerInput(ObjectionResult.CORRECTED, Decimal("3120.00"))).corrected_amount == Decimal(
        "3120.00"
    )
    assert check_answer(AnswerInput(ObjectionResult.CORRECTED, note="已补发")).corrected_amount is None


def test_4_10_an_amount_is_kept_only_for_a_correction() -> None:
    assert check_answer(AnswerInput(ObjectionResult.VERIFIED, Decimal("1.00"))).corrected_amount is None
