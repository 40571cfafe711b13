"""The retiree lifecycle state machine (issue: registry; 4.1, 4.4, 4.5, 4.6, 6.22): every command sequence keeps the
state valid, an illegal command is refused in Chinese and changes nothing, error restoration returns exactly."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import (
    ChangeKind,
    Command,
    Lifecycle,
    RecordDeath,
    RecordSupplementaryInfo,
    Register,
    Resume,
    Status,
    Suspend,
    TransferIn,
    TransferOut,
    decide,
    restore,
)
from domain.shared.errors import IllegalTransition

pytestmark = pytest.mark.unit

commands: st.SearchStrategy[Command] = st.one_of(
    st.builds(Register, institution_id=st.integers(1, 5)),
    st.builds(TransferOut, within_city=st.booleans()),
    st.builds(TransferIn, institution_id=st.integers(1, 5)),
    st.builds(Suspend, reason_code=st.sampled_from(["S01", "S02", "S03", "S04"])),
    st.builds(Resume, reason_code=st.sampled_from(["R01", "R02"])),
    st.builds(RecordDeath, death_date=st.dates(date(2000, 1, 1), date(2030, 1, 1))),
    st.builds(RecordSupplementaryInfo),
)


@given(st.lists(commands, max_size=40))
def test_no_sequence_of_commands_reaches_an_invalid_state(sequence: list[Command]) -> None:
    state = Lifecycle(Status.APPROVED)
    for command in sequence:
        try:
            transition = decide(state, command)
        except IllegalTransition as refusal:
            # A refusal is one of the two allowed outcomes inside this property's loop, so no pytest.raises here.
            assert refusal.message.startswith("人员") and "不能" in refusal.message  # noqa: PT017
            continue  # refused: the state stays exactly as it was
        assert transition.before == state
        assert transition.after.is_consistent(), (state, command, transition.after)
        state = transition.after
    assert state.is_consistent()


@given(st.lists(commands, max_size=25))
def test_a_death_is_final(sequence: list[Command]) -> None:
    state = Lifecycle(Status.DECEASED, 3)
    for command in sequence:
        with pytest.raises(IllegalTransition):
            decide(state, command)


@given(st.lists(commands, min_size=1, max_size=25))
def test_error_restoration_returns_to_the_state_before_the_change(sequence: list[Command]) -> None:
    state = Lifecycle(Status.APPROVED)
    for command in sequence:
        try:
            transition = decide(state, command)
        except IllegalTransition:
            continue
        if transition.before != transition.after:
            restored = restore(transition.after, transition.before, transition.after)
            assert restored.kind is ChangeKind.ERROR_RESTORED
            assert restored.after == transition.before
        state = transition.after


def test_second_registration_is_refused_with_the_requirement_s_words() -> None:
    registered = decide(Lifecycle(Status.APPROVED), Register(7)).after
    with pytest.raises(IllegalTransition) as refusal:
        decide(registered, Register(8))
    assert refusal.value.code == "ALREADY_REGISTERED"
    assert refusal.value.message == "人员已登记，不能重复登记"


def test_suspension_remembers_where_resumption_returns() -> None:
    transferring = Lifecycle(Status.TRANSFERRING_OUT, 4)
    suspended = decide(transferring, Suspend(ReasonCode.TRANSFER_IN_OVERDUE)).after
    assert suspended == Lifecycle(Status.SUSPENDED, 4, "S03", Status.TRANSFERRING_OUT)
    assert decide(suspended, Resume(ReasonCode.RESUMED_BY_STAFF)).after == transferring


def test_suspending_twice_is_refused_and_names_the_state() -> None:
    suspended = decide(Lifecycle(Status.REGISTERED, 1), Suspend(ReasonCode.CERTIFICATION_OVERDUE)).after
    with pytest.raises(IllegalTransition) as refusal:
        decide(suspended, Suspend(ReasonCode.SUSPENDED_BY_STAFF))
    assert refusal.value.message == "人员当前状态为“已暂停”，不能办理暂停"


def test_restoring_a_change_that_a_later_change_overtook_is_refused() -> None:
    registered = decide(Lifecycle(Status.APPROVED), Register(1))
    suspended = decide(registered.after, Suspend(ReasonCode.SUSPENDED_BY_STAFF))
    with pytest.raises(IllegalTransition) as refusal:
        restore(suspended.after, registered.before, registered.after)
    assert refusal.value.code == "RESTORE_NOT_LATEST"


def test_supplementary_info_needs_a_registered_retiree_and_changes_no_state() -> None:
    registered = Lifecycle(Status.REGISTERED, 2)
    transition = decide(registered, RecordSupplementaryInfo())
    assert transition.after == registered and transition.kind is ChangeKind.SUPPLEMENTARY_INFO_RECORDED
    with pytest.raises(IllegalTransition):
        decide(Lifecycle(Status.APPROVED), RecordSupplementaryInfo())
