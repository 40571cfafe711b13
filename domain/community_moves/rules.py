"""The rules of a community move (4.8), pure: which communities, which date, which selection, who may ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.community_moves.models import AccountHandling, MoveKind
from domain.institutions.models import Level
from domain.shared.errors import DomainError, ErrorCode, Forbidden


@dataclass(frozen=True)
class Place:
    """What the rules need of an institution."""

    id: int
    level: str
    active: bool
    parent_id: int | None
    name: str


@dataclass(frozen=True)
class Selection:
    """A split's people: by list of retiree ids, or by a fragment of the residence address (a building, a road)."""

    retiree_ids: tuple[int, ...] = ()
    address_contains: str | None = None

    def document(self) -> dict[str, object]:
        if self.retiree_ids:
            return {"retiree_ids": list(self.retiree_ids)}
        if self.address_contains:
            return {"address_contains": self.address_contains}
        return {"all": True}


def check_communities(source: Place | None, target: Place | None) -> int:
    """Both active communities, different, under the same street/town; returns the street's id."""
    for place, what in ((source, "原社区"), (target, "目标社区")):
        if place is None or place.level != Level.COMMUNITY or not place.active:
            raise DomainError(ErrorCode.MOVE_COMMUNITY_INVALID, f"{what}须为在用的社区", field=what)
    assert source is not None and target is not None
    if source.id == target.id:
        raise DomainError(ErrorCode.MOVE_SAME_COMMUNITY, "原社区与目标社区不能相同")
    if source.parent_id is None or source.parent_id != target.parent_id:
        raise DomainError(
            ErrorCode.MOVE_DIFFERENT_STREET,
            f"“{source.name}”与“{target.name}”不属于同一街道（乡镇），不能拆分合并",
        )
    return source.parent_id


def check_actor_level(level: str | None) -> None:
    """Street/town operators, or above (district, city); a community's own staff may not move its people."""
    if level is None or level == Level.COMMUNITY:
        raise Forbidden(ErrorCode.MOVE_STREET_LEVEL_ONLY, "机构拆分合并须由街道（乡镇）及以上经办人员办理")


def check_effective_date(effective_date: date, today: date) -> None:
    if effective_date > today:
        raise DomainError(ErrorCode.MOVE_DATE_INVALID, "生效日期不能晚于今天", field="effective_date")


def check_registered_before(latest_registration: date | None, effective_date: date) -> None:
    """Nobody may move before they were registered at the source."""
    if latest_registration is not None and latest_registration > effective_date:
        raise DomainError(
            ErrorCode.MOVE_DATE_INVALID,
            f"生效日期早于部分人员的登记日期（最晚登记日期 {latest_registration.isoformat()}）",
            field="effective_date",
        )


def check_selection(kind: MoveKind, selection: Selection) -> Selection:
    if kind is MoveKind.MERGE:
        return Selection()
    address = (selection.address_contains or "").strip() or None
    if not selection.retiree_ids and address is None:
        raise DomainError(ErrorCode.MOVE_SELECTION_REQUIRED, "拆分须选择人员名单或按地址筛选")
    if selection.retiree_ids and address is not None:
        raise DomainError(ErrorCode.MOVE_SELECTION_REQUIRED, "人员名单与地址筛选只能选择一种")
    return Selection(tuple(sorted(set(selection.retiree_ids))), address)


def check_accounts(kind: MoveKind, handling: AccountHandling | None) -> AccountHandling | None:
    if kind is MoveKind.MERGE and handling is None:
        raise DomainError(
            ErrorCode.MOVE_ACCOUNTS_CHOICE, "合并须选择原社区工作人员账号的处理方式（转入目标社区或停用）"
        )
    return handling if kind is MoveKind.MERGE else None


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(ErrorCode.REASON_REQUIRED, "请填写拆分合并原因", field="reason")
    return text
