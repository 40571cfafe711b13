"""The rules of a transfer (4.4) at their boundaries: the receiving community, the destination city, the states a
transfer can be taken in or cancelled in, the take-in date; and the lifecycle steps a transfer is made of."""

from __future__ import annotations

from datetime import date

import pytest

from domain.dictionary.codes import REASON_CODE_LABELS, ReasonCode
from domain.retirees.lifecycle import ChangeKind, Lifecycle, Status, TransferIn, TransferOut, decide, restore
from domain.shared.errors import DomainError, ErrorCode, IllegalTransition
from domain.transfers import rules
from domain.transfers.models import TransferState
from domain.transfers.rules import Destination

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("level", "active", "receiving", "current", "code"),
    [
        (None, False, None, 5, ErrorCode.TRANSFER_TARGET_REQUIRED),
        ("street", True, 7, 5, ErrorCode.TRANSFER_TARGET_INVALID),
        ("community", False, 7, 5, ErrorCode.TRANSFER_TARGET_INVALID),
        ("community", True, 5, 5, ErrorCode.TRANSFER_SAME_COMMUNITY),
    ],
)
def test_4_4_the_receiving_side_must_be_another_active_community(
    level: str | None, active: bool, receiving: int | None, current: int, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_receiving_community(level, active, receiving, current)
    assert refused.value.code is code and refused.value.message


def test_4_4_another_active_community_is_accepted() -> None:
    rules.check_receiving_community("community", True, 7, 5)


@pytest.mark.parametrize(
    ("destination", "code"),
    [
        (None, ErrorCode.TRANSFER_DESTINATION_REQUIRED),
        (Destination("110100", " "), ErrorCode.TRANSFER_DESTINATION_REQUIRED),
        (Destination("11010", "北京市"), ErrorCode.TRANSFER_DESTINATION_INVALID),
        (Destination("110105", "朝阳区"), ErrorCode.TRANSFER_DESTINATION_INVALID),  # a county, not a city
        (Destination("130000", "河北省"), ErrorCode.TRANSFER_DESTINATION_INVALID),  # a province
        (Destination("130100", "石家庄市"), ErrorCode.TRANSFER_DESTINATION_INVALID),  # this city
    ],
)
def test_4_4_out_of_the_city_needs_another_city_s_gbt_2260_code(destination: Destination | None, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_destination(destination)
    assert refused.value.code == code


def test_4_4_a_destination_city_is_accepted_trimmed() -> None:
    assert rules.check_destination(Destination(" 130200 ", " 唐山市 ", "  ")) == Destination("130200", "唐山市", None)


@pytest.mark.parametrize("state", [TransferState.TAKEN_IN, TransferState.CANCELLED, TransferState.COMPLETED])
def test_4_4_only_a_transfer_waiting_to_be_taken_in_can_be_taken_in_or_cancelled(state: TransferState) -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_open(state, "接收")
    assert refused.value.code is ErrorCode.TRANSFER_CLOSED and refused.value.status == 409
    rules.check_open(TransferState.REQUESTED, "接收")


def test_4_4_only_the_sending_side_cancels() -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_sender(False)
    assert refused.value.code is ErrorCode.TRANSFER_SENDER_ONLY
    rules.check_sender(True)


def test_4_4_taking_in_on_the_effective_date_is_allowed_a_day_before_is_not() -> None:
    rules.check_take_in_date(date(2026, 3, 1), date(2026, 3, 1))
    with pytest.raises(DomainError) as refused:
        rules.check_take_in_date(date(2026, 3, 1), date(2026, 2, 28))
    assert refused.value.code is ErrorCode.TRANSFER_DATE_INVALID


def test_4_4_a_transfer_takes_effect_today_at_the_latest() -> None:
    rules.check_not_future(date(2026, 3, 1), date(2026, 3, 1))
    with pytest.raises(DomainError) as refused:
        rules.check_not_future(date(2026, 3, 2), date(2026, 3, 1))
    assert refused.value.code is ErrorCode.TRANSFER_DATE_INVALID and refused.value.message == "转移生效日期不能晚于今天"


def test_4_4_the_lifecycle_of_a_transfer_within_the_city_and_its_cancellation() -> None:
    registered = Lifecycle(Status.REGISTERED, 5)
    out = decide(registered, TransferOut(within_city=True))
    assert out.after == Lifecycle(Status.TRANSFERRING_OUT, 5) and out.kind is ChangeKind.TRANSFERRED_OUT
    assert out.reason_code is ReasonCode.TRANSFERRED_OUT
    taken = decide(out.after, TransferIn(7))
    assert taken.after == Lifecycle(Status.REGISTERED, 7) and taken.reason_code is ReasonCode.TRANSFERRED_IN
    cancelled = restore(out.after, out.before, out.after, ReasonCode.TRANSFER_CANCELLED)
    assert cancelled.after == registered and cancelled.reason_code is ReasonCode.TRANSFER_CANCELLED
    assert REASON_CODE_LABELS[ReasonCode.TRANSFER_CANCELLED] == "转移撤销"
    with pytest.raises(IllegalTransition):
        decide(out.after, TransferOut(within_city=True))  # on the way already
    with pytest.raises(IllegalTransition):
        decide(Lifecycle(Status.APPROVED), TransferOut(within_city=False))  # only from registered


def test_4_4_out_of_the_city_and_back() -> None:
    gone = decide(Lifecycle(Status.REGISTERED, 5), TransferOut(within_city=False))
    assert gone.after.status is Status.MOVED_AWAY
    back = decide(gone.after, TransferIn(9))
    assert back.after == Lifecycle(Status.REGISTERED, 9)
    arrived = decide(Lifecycle(Status.APPROVED), TransferIn(9))
    assert arrived.after == Lifecycle(Status.REGISTERED, 9)
