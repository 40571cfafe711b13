"""The rules of a transfer (4.4), pure: where a retiree may be sent, and which step a transfer in a given state
allows. Each refusal is a :class:`DomainError` with a stable code and a Chinese message; nothing is changed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.dictionary.codes import DISTRICT_AGENCIES
from domain.institutions.models import Level
from domain.shared.errors import Conflict, DomainError, ErrorCode, Forbidden
from domain.transfers.models import TransferState

# The city's own GB/T 2260 prefix (province + city, e.g. "1301"), from its county-level divisions.
CITY_PREFIX = DISTRICT_AGENCIES[0][0][:4]
_CITY_CODE = re.compile(r"^[1-8][0-9]{3}00$")


@dataclass(frozen=True)
class Destination:
    """Out of the city: the destination city's GB/T 2260 code and name, and a free-text address."""

    code: str
    name: str
    address: str | None = None


def check_receiving_community(
    level: str | None, active: bool, receiving_id: int | None, current_id: int | None
) -> None:
    """Within the city the receiving side must be an active community, and not the one the person is at."""
    if receiving_id is None:
        raise DomainError(ErrorCode.TRANSFER_TARGET_REQUIRED, "市内转移须选择接收社区", field="to_institution_id")
    if level != Level.COMMUNITY or not active:
        raise DomainError(ErrorCode.TRANSFER_TARGET_INVALID, "接收机构须为本市在用的社区", field="to_institution_id")
    if receiving_id == current_id:
        raise DomainError(
            ErrorCode.TRANSFER_SAME_COMMUNITY, "接收社区不能是人员当前所在社区", field="to_institution_id"
        )


def check_destination(destination: Destination | None) -> Destination:
    """Out of the city: a city-level GB/T 2260 code of another city, with its name."""
    if destination is None or not destination.code.strip() or not destination.name.strip():
        raise DomainError(
            ErrorCode.TRANSFER_DESTINATION_REQUIRED, "转出市外须填写转往城市的行政区划代码和名称", field="destination"
        )
    code = destination.code.strip()
    if not _CITY_CODE.match(code) or code.endswith("0000"):
        raise DomainError(
            ErrorCode.TRANSFER_DESTINATION_INVALID,
            "转往城市须为6位地市级行政区划代码（GB/T 2260，如130200）",
            field="destination.code",
        )
    if code.startswith(CITY_PREFIX):
        raise DomainError(
            ErrorCode.TRANSFER_DESTINATION_INVALID, "转往城市为本市，请办理市内转移", field="destination.code"
        )
    address = destination.address.strip() if destination.address else None
    return Destination(code, destination.name.strip(), address or None)


def check_open(state: TransferState, action: str) -> None:
    """Taking in and cancelling need a transfer still waiting to be taken in."""
    if state is not TransferState.REQUESTED:
        labels = {
            TransferState.TAKEN_IN: "已被接收",
            TransferState.CANCELLED: "已撤销",
            TransferState.COMPLETED: "已办结",
        }
        raise Conflict(ErrorCode.TRANSFER_CLOSED, f"该转移{labels[state]}，不能{action}", state=state.value)


def check_sender(covers_sender: bool) -> None:
    if not covers_sender:
        raise Forbidden(ErrorCode.TRANSFER_SENDER_ONLY, "只有转出社区可以撤销转移")


def check_not_future(effective_date: date, today: date, what: str = "转移生效日期") -> None:
    """A transfer takes effect today or earlier (a later date would move the person before the fact)."""
    if effective_date > today:
        raise DomainError(ErrorCode.TRANSFER_DATE_INVALID, f"{what}不能晚于今天", field="effective_date")


def check_take_in_date(effective_date: date, taken_in_on: date) -> None:
    if taken_in_on < effective_date:
        raise DomainError(
            ErrorCode.TRANSFER_DATE_INVALID,
            f"接收日期不能早于转移生效日期（{effective_date.isoformat()}）",
            field="effective_date",
        )
