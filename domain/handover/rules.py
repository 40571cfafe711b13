"""The rules of an archive hand-over (3.1 - 3.3), pure: which institution may receive, what a batch and a receipt
must hold, which step a batch in a given state allows, and which people may be listed. Each refusal is a
:class:`DomainError` with a stable code and a Chinese message; the service checks everything before it writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.handover.models import (
    EDITABLE_STATES,
    HANDOVER_STATE_LABELS,
    ArchiveItem,
    Discrepancy,
    HandoverState,
    ReceiptResult,
)
from domain.institutions.models import Level
from domain.retirees.lifecycle import Status
from domain.shared.errors import Conflict, DomainError, ErrorCode, Forbidden

MAX_PEOPLE = 5000  # one employer's visit; a bigger employer hands over in several batches


@dataclass(frozen=True)
class Voucher:
    """The payment voucher (缴费凭证) the employer brings: the hand-over/management fee it paid."""

    number: str
    amount: Decimal
    paid_on: date


@dataclass(frozen=True)
class PersonItems:
    """One person of a batch and what their archive holds."""

    retiree_id: int
    items: tuple[ArchiveItem, ...]
    copies: int = 1


@dataclass(frozen=True)
class PersonResult:
    """The agency's result for one person on receipt."""

    retiree_id: int
    result: ReceiptResult
    discrepancy: Discrepancy | None = None
    remarks: str | None = None


@dataclass(frozen=True)
class Candidate:
    """What the registry knows of a listed person, read in one query: do they exist, whose are they, where is their
    archive."""

    retiree_id: int
    personal_number: str | None
    employer_code: str | None
    status: str | None
    handed_over: bool
    other_open_batch: str | None  # the number of another open batch holding them


def check_agency(level: str | None, active: bool) -> None:
    if level != Level.DISTRICT or not active:
        raise DomainError(ErrorCode.HANDOVER_AGENCY_INVALID, "接收机构须为在用的县区经办机构", field="agency_id")


def check_acts_for_agency(covers: bool) -> None:
    """Only the city bureau and the receiving agency itself work on a batch (the employer comes to their window)."""
    if not covers:
        raise Forbidden(ErrorCode.HANDOVER_AGENCY_ONLY, "只有市级经办机构或接收的县区经办机构可以办理该移交")


def check_voucher(voucher: Voucher, today: date) -> Voucher:
    number = voucher.number.strip()
    if not number:
        raise DomainError(ErrorCode.HANDOVER_VOUCHER_INVALID, "须填写缴费凭证号", field="voucher_number")
    if voucher.amount <= 0:
        raise DomainError(ErrorCode.HANDOVER_VOUCHER_INVALID, "缴费金额须大于0", field="voucher_amount")
    if voucher.paid_on > today:
        raise DomainError(ErrorCode.HANDOVER_VOUCHER_INVALID, "缴费日期不能晚于今天", field="voucher_date")
    return Voucher(number, voucher.amount, voucher.paid_on)


def check_people(people: Sequence[PersonItems]) -> None:
    if not people:
        raise DomainError(ErrorCode.HANDOVER_EMPTY, "移交批次须至少包含一名退休人员", field="people")
    if len(people) > MAX_PEOPLE:
        raise DomainError(ErrorCode.HANDOVER_EMPTY, f"一个移交批次最多{MAX_PEOPLE}人，请分批移交", field="people")
    if len({p.retiree_id for p in people}) != len(people):
        raise DomainError(ErrorCode.HANDOVER_EMPTY, "同一人员在批次中重复出现", field="people")
    if any(not p.items for p in people):
        raise DomainError(ErrorCode.HANDOVER_ITEMS_REQUIRED, "每名人员须至少选择一项移交材料", field="people")
    if any(p.copies < 1 for p in people):
        raise DomainError(ErrorCode.HANDOVER_ITEMS_REQUIRED, "份数须至少为1", field="people")


def _names(candidates: Sequence[Candidate]) -> str:
    shown = [c.personal_number or str(c.retiree_id) for c in candidates[:5]]
    return "、".join(shown) + ("等" if len(candidates) > 5 else "")


def check_candidates(employer_code: str, candidates: Sequence[Candidate]) -> None:
    """Every listed person is a retiree of the employer, still in the city, not handed over, in no other open batch.
    Deceased people are allowed (their archives are handed over too); the batch flags them."""
    foreign = [c for c in candidates if c.employer_code is None or c.employer_code != employer_code]
    if foreign:
        raise DomainError(
            ErrorCode.HANDOVER_PERSON_NOT_OF_EMPLOYER,
            f"{len(foreign)}名人员不是该单位的退休人员：{_names(foreign)}",
            retiree_ids=[c.retiree_id for c in foreign],
        )
    moved = [c for c in candidates if c.status == Status.MOVED_AWAY]
    if moved:
        raise DomainError(
            ErrorCode.HANDOVER_PERSON_MOVED_AWAY,
            f"{len(moved)}名人员已转出市外，档案随转移关系转出，不能移交：{_names(moved)}",
            retiree_ids=[c.retiree_id for c in moved],
        )
    done = [c for c in candidates if c.handed_over]
    if done:
        raise Conflict(
            ErrorCode.HANDOVER_PERSON_HANDED_OVER,
            f"{len(done)}名人员的档案已移交接收：{_names(done)}",
            retiree_ids=[c.retiree_id for c in done],
        )
    elsewhere = [c for c in candidates if c.other_open_batch]
    if elsewhere:
        batches = "、".join(sorted({c.other_open_batch for c in elsewhere if c.other_open_batch}))
        raise Conflict(
            ErrorCode.HANDOVER_PERSON_IN_OPEN_BATCH,
            f"{len(elsewhere)}名人员已在未办结的移交批次（{batches}）中：{_names(elsewhere)}",
            retiree_ids=[c.retiree_id for c in elsewhere],
        )


def check_editable(state: HandoverState) -> None:
    if state not in EDITABLE_STATES:
        raise Conflict(
            ErrorCode.HANDOVER_NOT_EDITABLE,
            f"移交批次{HANDOVER_STATE_LABELS[state]}，只有草稿或已退回的批次可以修改",
            state=state.value,
        )


def check_version(current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise Conflict(ErrorCode.HANDOVER_VERSION_CONFLICT, "移交批次已被他人修改，请刷新后重试", version=current)


def check_state(state: HandoverState, allowed: Sequence[HandoverState], action: str) -> None:
    if state not in allowed:
        raise Conflict(
            ErrorCode.HANDOVER_STATE, f"移交批次{HANDOVER_STATE_LABELS[state]}，不能{action}", state=state.value
        )


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(ErrorCode.HANDOVER_REASON_REQUIRED, "退回须填写原因", field="reason")
    return text


def check_results(person_ids: Sequence[int], results: Sequence[PersonResult]) -> None:
    """A receipt names a result for every person of the batch and nobody else; a discrepancy names its kind."""
    named = [r.retiree_id for r in results]
    if len(set(named)) != len(named) or set(named) != set(person_ids):
        missing = len(set(person_ids) - set(named))
        extra = len(set(named) - set(person_ids))
        raise DomainError(
            ErrorCode.HANDOVER_RESULTS_INCOMPLETE,
            f"接收须逐人确认批次中的全部{len(person_ids)}名人员（缺少{missing}人，多出{extra}人）",
            field="results",
        )
    if any(r.result is ReceiptResult.DISCREPANCY and r.discrepancy is None for r in results):
        raise DomainError(ErrorCode.HANDOVER_DISCREPANCY_REQUIRED, "有差异的人员须选择差异类型", field="results")


def check_agency_staff(institution_path: str) -> None:
    """Employers' hand-over work is done at the city bureau and the district agencies, not at streets or
    communities (paths '/<city>/' and '/<city>/<district>/')."""
    if institution_path.count("/") > 3:
        raise Forbidden(ErrorCode.HANDOVER_AGENCY_ONLY, "单位档案移交由市级或县区经办机构办理")
