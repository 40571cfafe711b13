"""The retiree lifecycle as an explicit state machine: which command is allowed in which state, and what it leads to.

Pure: :func:`decide` takes the current :class:`Lifecycle` and a command and returns the :class:`Transition`, or raises
:class:`IllegalTransition` with a Chinese message and changes nothing. The service layer applies the transition and
writes it to the status-change log (6.22) in the same transaction, so a refused command is never half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from domain.dictionary.codes import ReasonCode
from domain.shared.errors import ErrorCode, IllegalTransition


class Status(StrEnum):
    APPROVED = "approved"  # approved by the province, not yet registered at a community
    REGISTERED = "registered"
    TRANSFERRING_OUT = "transferring_out"  # left one community of the city, not yet taken in by another
    MOVED_AWAY = "moved_away"  # transferred out of the city
    SUSPENDED = "suspended"
    DECEASED = "deceased"


STATUS_LABELS: dict[Status, str] = {
    Status.APPROVED: "已核准未登记",
    Status.REGISTERED: "已登记",
    Status.TRANSFERRING_OUT: "转出待转入",
    Status.MOVED_AWAY: "已转出市外",
    Status.SUSPENDED: "已暂停",
    Status.DECEASED: "已死亡",
}


class ChangeKind(StrEnum):
    """The kinds of entry of the status-change log; the same names as person_status.changed's change_kind."""

    REGISTERED = "registered"
    SUPPLEMENTARY_INFO_RECORDED = "supplementary_info_recorded"
    TRANSFERRED_OUT = "transferred_out"
    TRANSFERRED_IN = "transferred_in"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    DECEASED = "deceased"
    ERROR_RESTORED = "error_restored"
    INSTITUTION_CHANGED = "institution_changed"  # 4.8: moved to another community by a split or merge


@dataclass(frozen=True)
class Lifecycle:
    """Where a retiree stands: the status, the institution they belong to, and for a suspension its reason and the
    status a resumption returns them to."""

    status: Status
    institution_id: int | None = None
    suspension_reason: str | None = None
    resume_to: Status | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    def is_consistent(self) -> bool:
        """The invariants every reachable state keeps (the property-based tests check them)."""
        if self.status is Status.SUSPENDED:
            return self.suspension_reason is not None and self.resume_to not in (
                None,
                Status.SUSPENDED,
                Status.DECEASED,
            )
        if self.suspension_reason is not None or self.resume_to is not None:
            return False
        if self.status in (Status.REGISTERED, Status.TRANSFERRING_OUT):
            return self.institution_id is not None
        return True


@dataclass(frozen=True)
class Register:
    institution_id: int
    reason_code: ReasonCode = ReasonCode.REGISTERED


@dataclass(frozen=True)
class TransferOut:
    within_city: bool
    reason_code: ReasonCode = ReasonCode.TRANSFERRED_OUT


@dataclass(frozen=True)
class TransferIn:
    institution_id: int
    reason_code: ReasonCode = ReasonCode.TRANSFERRED_IN


@dataclass(frozen=True)
class Suspend:
    reason_code: ReasonCode


@dataclass(frozen=True)
class Resume:
    reason_code: ReasonCode


@dataclass(frozen=True)
class RecordDeath:
    death_date: date
    reason_code: ReasonCode = ReasonCode.DECEASED


@dataclass(frozen=True)
class RecordSupplementaryInfo:
    reason_code: ReasonCode = ReasonCode.SUPPLEMENTARY_INFO


@dataclass(frozen=True)
class ChangeInstitution:
    """4.8: the person is moved to another community by a split or merge; the status stays as it is."""

    institution_id: int
    reason_code: ReasonCode = ReasonCode.COMMUNITY_MOVE


Command = (
    Register | TransferOut | TransferIn | Suspend | Resume | RecordDeath | RecordSupplementaryInfo | ChangeInstitution
)


@dataclass(frozen=True)
class Transition:
    before: Lifecycle
    after: Lifecycle
    kind: ChangeKind
    reason_code: ReasonCode


def _refuse(state: Lifecycle, action: str, code: ErrorCode = ErrorCode.ILLEGAL_TRANSITION) -> IllegalTransition:
    return IllegalTransition(code, f"人员当前状态为“{state.label}”，不能办理{action}", status=state.status.value)


def decide(state: Lifecycle, command: Command) -> Transition:
    """The transition a command makes from a state, or IllegalTransition if the state does not allow it."""
    if isinstance(command, ChangeInstitution):
        return _change_institution(state, command)
    return _decide_status(state, command)


def _decide_status(state: Lifecycle, command: Command) -> Transition:
    match command:
        case Register(institution_id=institution_id, reason_code=reason):
            if state.status is Status.REGISTERED:
                raise IllegalTransition(
                    ErrorCode.ALREADY_REGISTERED, "人员已登记，不能重复登记", status=state.status.value
                )
            if state.status is not Status.APPROVED:
                raise _refuse(state, "登记")
            after = Lifecycle(Status.REGISTERED, institution_id)
            return Transition(state, after, ChangeKind.REGISTERED, reason)
        case TransferOut(within_city=within_city, reason_code=reason):
            if state.status is not Status.REGISTERED:
                raise _refuse(state, "转出")
            status = Status.TRANSFERRING_OUT if within_city else Status.MOVED_AWAY
            return Transition(state, replace(state, status=status), ChangeKind.TRANSFERRED_OUT, reason)
        case TransferIn(institution_id=institution_id, reason_code=reason):
            # From another community of the city, or newly arrived from another city (approved here, never registered).
            if state.status not in (Status.TRANSFERRING_OUT, Status.APPROVED, Status.MOVED_AWAY):
                raise _refuse(state, "转入")
            after = Lifecycle(Status.REGISTERED, institution_id)
            return Transition(state, after, ChangeKind.TRANSFERRED_IN, reason)
        case Suspend(reason_code=reason):
            if state.status not in (Status.APPROVED, Status.REGISTERED, Status.TRANSFERRING_OUT):
                raise _refuse(state, "暂停")
            after = Lifecycle(Status.SUSPENDED, state.institution_id, suspension_reason=reason, resume_to=state.status)
            return Transition(state, after, ChangeKind.SUSPENDED, reason)
        case Resume(reason_code=reason):
            if state.status is not Status.SUSPENDED or state.resume_to is None:
                raise _refuse(state, "恢复")
            after = Lifecycle(state.resume_to, state.institution_id)
            return Transition(state, after, ChangeKind.RESUMED, reason)
        case RecordDeath(reason_code=reason):
            if state.status is Status.DECEASED:
                raise _refuse(state, "死亡减员")
            return Transition(state, Lifecycle(Status.DECEASED, state.institution_id), ChangeKind.DECEASED, reason)
        case RecordSupplementaryInfo(reason_code=reason):
            if state.status is not Status.REGISTERED:
                raise _refuse(state, "补充信息采集")
            return Transition(state, state, ChangeKind.SUPPLEMENTARY_INFO_RECORDED, reason)
    raise TypeError(f"not a lifecycle command: {command!r}")


def _change_institution(state: Lifecycle, command: ChangeInstitution) -> Transition:
    """Only people under a community's management (registered, or suspended there, not in a transfer) move with it."""
    movable = state.status is Status.REGISTERED or (
        state.status is Status.SUSPENDED and state.resume_to is Status.REGISTERED
    )
    if not movable or state.institution_id is None:
        raise _refuse(state, "机构调整")
    after = replace(state, institution_id=command.institution_id)
    return Transition(state, after, ChangeKind.INSTITUTION_CHANGED, command.reason_code)


def restore(
    current: Lifecycle,
    entry_before: Lifecycle,
    entry_after: Lifecycle,
    reason_code: ReasonCode = ReasonCode.ERROR_RESTORED,
) -> Transition:
    """Error restoration: undo a change made in error by returning to the state before it. Only allowed while the
    retiree is still in the state that change produced, so a later change is never silently overwritten."""
    if current != entry_after:
        raise IllegalTransition(
            ErrorCode.RESTORE_NOT_LATEST,
            f"该变更之后人员状态已变为“{current.label}”，不能直接差错恢复，请先恢复之后的变更",
            status=current.status.value,
        )
    if entry_before == entry_after:
        raise IllegalTransition(
            ErrorCode.RESTORE_NOTHING, "该记录未改变人员状态，无需差错恢复", status=current.status.value
        )
    return Transition(current, entry_before, ChangeKind.ERROR_RESTORED, reason_code)
