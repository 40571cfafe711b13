"""Death registration (4.6): the rules, pure — what a recorded death may say, and the pension paid after it.

Overpayment, the rule written down: the pension is paid monthly in advance for the month. The registry does not know
which months the provincial payroll has actually paid, so a month counts as paid up to and including the month in
which the death is recorded (payments stop from the month after the recording, as the province is told the same
day). The months after the month of death, up to and including the month of recording, were paid for a person no
longer alive: those are the overpaid months, and the amount to recover is their number times the monthly pension
the province last sent (``retiree.monthly_pension``). A death recorded in the month it happened overpaid nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.shared.errors import DomainError, ErrorCode

CENT = Decimal("0.01")


class DeathEvidence(StrEnum):
    """How the death is known (死亡信息来源)."""

    DEATH_CERTIFICATE = "death_certificate"
    CREMATION_RECORD = "cremation_record"
    HOSPITAL = "hospital"
    FAMILY_REPORT = "family_report"
    OTHER = "other"


EVIDENCE_LABELS: dict[DeathEvidence, str] = {
    DeathEvidence.DEATH_CERTIFICATE: "死亡证明",
    DeathEvidence.CREMATION_RECORD: "火化证明",
    DeathEvidence.HOSPITAL: "医院证明",
    DeathEvidence.FAMILY_REPORT: "家属报告",
    DeathEvidence.OTHER: "其他",
}


class RecoveryState(StrEnum):
    """Where the overpaid pension stands."""

    NONE = "none"  # nothing was overpaid (death recorded in the month it happened)
    TO_RECOVER = "to_recover"
    RECOVERED = "recovered"
    WAIVED = "waived"  # written off (核销)
    CANCELLED = "cancelled"  # the death was recorded in error and restored: nothing to recover


RECOVERY_STATE_LABELS: dict[RecoveryState, str] = {
    RecoveryState.NONE: "无多发待遇",
    RecoveryState.TO_RECOVER: "待追回",
    RecoveryState.RECOVERED: "已追回",
    RecoveryState.WAIVED: "已核销",
    RecoveryState.CANCELLED: "已撤销（死亡登记差错恢复）",
}

# What staff may mark an overpayment to recover as.
RECOVERY_OUTCOMES = (RecoveryState.RECOVERED, RecoveryState.WAIVED)


@dataclass(frozen=True)
class Overpayment:
    months: tuple[str, ...]  # YYYY-MM, oldest first
    monthly_pension: Decimal
    amount: Decimal

    @property
    def state(self) -> RecoveryState:
        return RecoveryState.TO_RECOVER if self.months else RecoveryState.NONE


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def overpaid_months(death_date: date, recorded_on: date) -> tuple[str, ...]:
    """The months after the month of death up to and including the month of recording (see the module's rule)."""
    months: list[str] = []
    year, month = _next_month(death_date.year, death_date.month)
    while (year, month) <= (recorded_on.year, recorded_on.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = _next_month(year, month)
    return tuple(months)


def overpayment(death_date: date, recorded_on: date, monthly_pension: Decimal | None) -> Overpayment:
    """The overpaid months and the amount to recover (months x the monthly pension, 2 places; an unknown pension
    counts as 0.00 so the months are still shown)."""
    months = overpaid_months(death_date, recorded_on)
    pension = (monthly_pension or Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    return Overpayment(months, pension, (pension * len(months)).quantize(CENT, ROUND_HALF_UP))


def check_death_date(death_date: date, *, birth_date: date, today: date) -> None:
    """A date of death is neither in the future (the city's calendar) nor before the birth date."""
    if death_date > today:
        raise DomainError(ErrorCode.DEATH_DATE_IN_FUTURE, f"死亡日期 {death_date.isoformat()} 不能晚于今天")
    if death_date < birth_date:
        raise DomainError(
            ErrorCode.DEATH_BEFORE_BIRTH,
            f"死亡日期 {death_date.isoformat()} 不能早于出生日期 {birth_date.isoformat()}",
        )


def check_recovery(current: RecoveryState, outcome: RecoveryState, remarks: str) -> None:
    """Staff mark an overpayment to recover as recovered or waived, once, with remarks."""
    if outcome not in RECOVERY_OUTCOMES:
        raise DomainError(ErrorCode.INVALID_RECOVERY_OUTCOME, "只能标记为“已追回”或“核销”")
    if current is not RecoveryState.TO_RECOVER:
        raise DomainError(
            ErrorCode.OVERPAYMENT_NOT_TO_RECOVER,
            f"该多发待遇当前为“{RECOVERY_STATE_LABELS[current]}”，不能再标记为“{RECOVERY_STATE_LABELS[outcome]}”",
            state=current.value,
        )
    if len(remarks.strip()) < 2:
        raise DomainError(ErrorCode.REASON_REQUIRED, "请填写追回或核销的说明")
