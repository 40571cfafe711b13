"""The eight special ledgers (5.1) and what puts a person on each.

Seven follow the special categories community staff record from the registration form (4.2,
``SupplementaryInfo.special_categories``, dictionary category ``special_category``); 高龄 (code 03) is never entered:
it is computed from the birth date and the city's today against the ``aged_ledger_age`` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Ledger(StrEnum):
    DISABLED = "disabled"  # 工残
    WIDOWED = "widowed"  # 孤寡
    AGED = "aged"  # 高龄
    MODEL_WORKER = "model_worker"  # 劳模
    SERIOUS_ILLNESS = "serious_illness"  # 重病
    EXTREME_POVERTY = "extreme_poverty"  # 特困
    VETERAN = "veteran"  # 军转
    PARTY_MEMBER = "party_member"  # 党员


@dataclass(frozen=True)
class LedgerInfo:
    short: str  # the name staff use: 工残、孤寡、高龄 …
    title: str  # the printed ledger's title
    category_code: str  # the dictionary's special_category code (03 高龄 is computed, never entered)


LEDGERS: dict[Ledger, LedgerInfo] = {
    Ledger.DISABLED: LedgerInfo("工残", "工伤致残人员台账", "01"),
    Ledger.WIDOWED: LedgerInfo("孤寡", "孤寡老人台账", "02"),
    Ledger.AGED: LedgerInfo("高龄", "高龄老人台账", "03"),
    Ledger.MODEL_WORKER: LedgerInfo("劳模", "劳动模范台账", "04"),
    Ledger.SERIOUS_ILLNESS: LedgerInfo("重病", "重大疾病人员台账", "05"),
    Ledger.EXTREME_POVERTY: LedgerInfo("特困", "特困人员台账", "06"),
    Ledger.VETERAN: LedgerInfo("军转", "退役军人台账", "07"),
    Ledger.PARTY_MEMBER: LedgerInfo("党员", "中共党员台账", "08"),
}
AGED_CODE = LEDGERS[Ledger.AGED].category_code
BY_CATEGORY_CODE: dict[str, Ledger] = {info.category_code: ledger for ledger, info in LEDGERS.items()}


def aged_cutoff(today: date, age: int) -> date:
    """The latest birth date of someone at least ``age`` years old on ``today`` (as
    :func:`domain.retirees.service.age_on` counts: born on 29 February, one comes of age on 1 March in other years).
    "birth_date <= cutoff" is a range an index on the birth date can serve; an age computed per row is not."""
    try:
        return today.replace(year=today.year - age)
    except ValueError:  # today is 29 February and that year has none: those born on 1 March are not yet of age
        return date(today.year - age, 2, 28)


def came_of_age_on(birth_date: date, age: int) -> date:
    """The day someone born on ``birth_date`` reaches ``age`` (29 February: 1 March in a year without one)."""
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:
        return date(birth_date.year + age, 2, 28) + timedelta(days=1)
