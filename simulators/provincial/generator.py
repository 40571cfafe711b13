"""Synthetic platform data: new retirees with valid, unique ID numbers and the payloads of every change kind, as
plain ``dict[str, str]`` (dates ISO, amounts with two decimals) in the contract's field names. Pure given the
``random.Random``; store.py persists what it yields."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.retirees.idnumber import make_id_number
from seed.generator import DISTRICTS
from seed.names import random_name

Payload = dict[str, str]

# Kind -> payload element name, in the contract's order.
KIND_ELEMENT: dict[str, str] = {
    "EMPLOYER": "employer",
    "NEW_RETIREE": "retiree",
    "PAYMENT_STATUS": "paymentStatus",
    "ADJUSTMENT": "adjustment",
    "CERTIFICATION": "certification",
    "CORRECTION": "correction",
}
KINDS: tuple[str, ...] = tuple(KIND_ELEMENT)
# Payload fields per kind in the XSD's sequence order (the SOAP answer must follow it).
PAYLOAD_FIELDS: dict[str, tuple[str, ...]] = {
    "EMPLOYER": ("aab001", "aab004", "aab003", "aab034", "aae006", "aae004", "aae005", "aab021"),
    "NEW_RETIREE": (
        "aac001", "aac002", "aac003", "aac004", "aac006", "aic162", "aic161",
        "aab034", "aab001", "aae116", "aic166", "aae006", "aae005", "aic160",
    ),
    "PAYMENT_STATUS": ("aac001", "oldAae116", "newAae116", "aae160", "aae035"),
    "ADJUSTMENT": ("aac001", "aae001", "batchNo", "amountBefore", "amountAfter", "increase", "aae041"),
    "CERTIFICATION": ("aac001", "certNo", "certMethod", "certDate", "certResult", "certOrg"),
    "CORRECTION": (
        "aac001", "aae013", "aac002", "aac003", "aac004", "aac006", "aic162", "aic161", "aab001", "aab034",
    ),
}  # fmt: skip
# Mix of the background generator and of /admin/changes without kinds.
KIND_WEIGHTS: dict[str, float] = {
    "EMPLOYER": 0.05,
    "NEW_RETIREE": 0.2,
    "PAYMENT_STATUS": 0.2,
    "ADJUSTMENT": 0.15,
    "CERTIFICATION": 0.3,
    "CORRECTION": 0.1,
}
PERSON_CHANGE_KINDS = (
    "ADDRESS",
    "PHONE",
    "EMPLOYER",
    "INSURANCE_STATUS",
    "RETIRED_STATUS",
    "PAYMENT_STATUS",
    "NAME",
    "DEATH",
)
PERSONAL_NUMBER_PREFIX = "13019"
RECENT_RETIREMENT_DAYS = 60  # newly approved people announced by the feed retired at most this long ago

_FIRST_BIRTH = date(1940, 1, 1)
_BIRTH_SPAN = (date(1964, 12, 31) - _FIRST_BIRTH).days + 1  # everyone born then has retired, men at 60 too
_FIRST_SEQUENCE = 250  # ID order codes 500-999: the upper half, so the hub's seeded people rarely collide
_SEQUENCES = 250
# Consecutive people land on well spread birth days: the stride is coprime to the span (a bijection of days).
_ROADS = ("中山路", "建设大街", "和平路", "裕华路", "槐安路", "友谊大街", "胜利街", "体育大街", "新华路", "育才街")
_TRADES = ("华北", "常山", "太行", "燕赵", "滹沱", "冀中", "恒信", "宏达", "瑞丰", "振华")
_INDUSTRIES = ("钢铁", "制药", "纺织", "机械", "化工", "建材", "食品", "印刷", "运输", "商贸")
_MOBILE = ("130", "131", "133", "135", "137", "139", "150", "152", "158", "186", "189")
_CORRECTION_REASONS = {
    "aac003": "姓名录入错误",
    "aic162": "退休日期核定有误",
    "aic161": "退休类别更正",
    "aab001": "参保单位信息更正",
    "aab034": "经办机构调整",
}
_PAYMENT_REASONS = {"2": ("11", "12", "13"), "1": ("21", "22"), "3": ("31", "32")}
_ALNUM = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _coprime_stride(span: int, start: int) -> int:
    stride = start
    while math.gcd(stride, span) != 1:
        stride += 1
    return stride


_DAY_STRIDE = _coprime_stride(_BIRTH_SPAN, round(_BIRTH_SPAN * 0.618))


def personal_number(n: int) -> str:
    """The n-th simulator-issued personal number (aac001): "13019" and 8 digits."""
    return f"{PERSONAL_NUMBER_PREFIX}{n:08d}"


def _retirement(birth: date, age: int) -> date:
    return date(birth.year + age + 1, 1, 1) if birth.month == 12 else date(birth.year + age, birth.month + 1, 1)


def _mobile(rng: random.Random) -> str:
    return f"{rng.choice(_MOBILE)}{rng.randrange(100_000_000):08d}"


def _address(rng: random.Random, area: str) -> str:
    district = dict(DISTRICTS).get(area, "")
    return f"石家庄市{district}{rng.choice(_ROADS)}{rng.randint(1, 300)}号"


def _today() -> date:
    return date.today()


def today() -> date:
    """The platform's date (``_today``, which tests may replace)."""
    return _today()


def _recent_births(today: date, age: int) -> list[date]:
    """The birth days of people of ``age`` whose retirement (the first of the month after the birthday month) falls
    within the last ``RECENT_RETIREMENT_DAYS`` days up to ``today``."""
    births: list[date] = []
    first = date(today.year, today.month, 1)
    while (today - first).days <= RECENT_RETIREMENT_DAYS:
        month_before = first - timedelta(days=1)  # the last day of the birthday month
        day = date(month_before.year - age, month_before.month, 1)
        while day.month == month_before.month:
            births.append(day)
            day += timedelta(days=1)
        first = date(month_before.year, month_before.month, 1)
    return births


def new_retiree(rng: random.Random, n: int, aac001: str | None = None, *, today: date | None = None) -> Payload:
    """Retiree number ``n``. Without ``today``, someone retired long ago (the platform's existing people): (birth
    day, order code) pairs are distinct for n < ~2.3 million, so ID numbers are. With ``today``, someone newly
    approved, as the feed announces them: retired within the last ~60 days (as real approvals are), so the hub's
    registration deadline (90 days) has not passed yet; (area, birth day, order code) follow ``n`` and stay distinct
    for ~100,000 consecutive numbers, born decades after the existing people, so never one of theirs."""
    sex = "1" if rng.random() < 0.51 else "2"
    age = 60 if sex == "1" else rng.choice((50, 50, 55))
    if today is None:
        day = (n * _DAY_STRIDE) % _BIRTH_SPAN
        sequence = _FIRST_SEQUENCE + (n // _BIRTH_SPAN) % _SEQUENCES
        birth = _FIRST_BIRTH + timedelta(days=day)
        area = rng.choice(DISTRICTS)[0]
    else:
        births = _recent_births(today, age)
        sequence = _FIRST_SEQUENCE + n % _SEQUENCES
        birth = births[(n // _SEQUENCES) % len(births)]
        area = DISTRICTS[(n // (_SEQUENCES * len(births))) % len(DISTRICTS)][0]
    retired = _retirement(birth, age)
    pension = 0.0
    while not 1800 <= pension <= 9000:
        pension = 1800 + rng.lognormvariate(7.3, 0.6)
    return {
        "aac001": aac001 or personal_number(n),
        "aac002": make_id_number(area, birth, sequence, sex),
        "aac003": random_name(rng, sex),
        "aac004": sex,
        "aac006": birth.isoformat(),
        "aic162": retired.isoformat(),
        "aic161": rng.choice(("1", "1", "1", "2", "3")),
        "aab034": area,
        "aab001": f"1301{rng.randrange(20_000):07d}",
        "aae116": "1",
        "aic166": f"{pension:.2f}",
        "aae006": _address(rng, area),
        "aae005": _mobile(rng),
        "aic160": (retired - timedelta(days=rng.randint(5, 40))).isoformat(),
    }


def employer(rng: random.Random) -> Payload:
    area = rng.choice(DISTRICTS)[0]
    code = "".join(rng.choice(_ALNUM) for _ in range(9))
    return {
        "aab001": f"1301{rng.randrange(20_000):07d}",
        "aab004": f"石家庄{rng.choice(_TRADES)}{rng.choice(_INDUSTRIES)}有限公司",
        "aab003": f"91{area}{code}{rng.choice(_ALNUM)}",
        "aab034": area,
        "aae006": _address(rng, area),
        "aae004": random_name(rng, rng.choice("12")),
        "aae005": _mobile(rng),
        "aab021": "2" if rng.random() < 0.05 else "1",
    }


def payment_status(rng: random.Random, retiree: Payload) -> tuple[Payload, Payload]:
    """The payload and the retiree fields it changes."""
    old = retiree["aae116"]
    new = ("2" if rng.random() < 0.85 else "3") if old == "1" else "1"
    payload = {
        "aac001": retiree["aac001"],
        "oldAae116": old,
        "newAae116": new,
        "aae160": rng.choice(_PAYMENT_REASONS[new]),
        "aae035": (_today() - timedelta(days=rng.randint(0, 30))).isoformat(),
    }
    return payload, {"aae116": new}


def adjustment(rng: random.Random, retiree: Payload) -> tuple[Payload, Payload]:
    year = _today().year
    before = Decimal(retiree["aic166"])
    increase = (before * Decimal("0.02") + Decimal(rng.randint(20, 40))).quantize(Decimal("0.01"))
    after = before + increase
    payload = {
        "aac001": retiree["aac001"],
        "aae001": str(year),
        "batchNo": f"{year}TZ{rng.randint(1, 3):03d}",
        "amountBefore": f"{before:.2f}",
        "amountAfter": f"{after:.2f}",
        "increase": f"{increase:.2f}",
        "aae041": f"{year}01",
    }
    return payload, {"aic166": f"{after:.2f}"}


def certification(rng: random.Random, retiree: Payload) -> Payload:
    when = _today() - timedelta(days=rng.randint(0, 60))
    return {
        "aac001": retiree["aac001"],
        "certNo": f"RZ{when:%Y%m%d}{rng.randrange(100_000_000):08d}",
        "certMethod": rng.choices(("1", "2", "3", "4", "9"), (70, 12, 8, 8, 2))[0],
        "certDate": when.isoformat(),
        "certResult": "0" if rng.random() < 0.03 else "1",
        "certOrg": f"{retiree['aab034']}{rng.randint(1, 12):03d}",
    }


def correction(rng: random.Random, retiree: Payload) -> tuple[Payload, Payload]:
    field = rng.choice(("aac003", "aic162", "aic161", "aab001", "aab034"))
    if field == "aac003":
        value = random_name(rng, retiree["aac004"])
    elif field == "aic162":
        value = (
            (date.fromisoformat(retiree["aic162"]) + timedelta(days=rng.choice((-31, 31)))).replace(day=1).isoformat()
        )
    elif field == "aic161":
        value = rng.choice([c for c in ("1", "2", "3") if c != retiree["aic161"]])
    elif field == "aab001":
        value = f"1301{rng.randrange(20_000):07d}"
    else:
        value = rng.choice([code for code, _ in DISTRICTS if code != retiree["aab034"]])
    payload = {"aac001": retiree["aac001"], "aae013": _CORRECTION_REASONS[field], field: value}
    return payload, {field: value}


def person_change(rng: random.Random, aac001: str, kind: str, current: Payload | None) -> dict[str, str | None]:
    """One exchange.person_change row (without row_id) and, when ``current`` is known, consistent old values."""
    today = _today()
    effective = (today - timedelta(days=rng.randint(0, 20))).isoformat()
    old: str | None = None
    new: str | None
    area = current["aab034"] if current else rng.choice(DISTRICTS)[0]
    if kind == "ADDRESS":
        old, new = (current or {}).get("aae006"), _address(rng, area)
    elif kind == "PHONE":
        old, new = (current or {}).get("aae005"), _mobile(rng)
    elif kind == "EMPLOYER":
        old, new = (current or {}).get("aab001"), f"1301{rng.randrange(20_000):07d}"
    elif kind == "INSURANCE_STATUS":
        old, new = "1", rng.choice(("2", "3"))
    elif kind == "RETIRED_STATUS":
        old, new = "0", "1"
    elif kind == "PAYMENT_STATUS":
        old = (current or {}).get("aae116", "1")
        new = "2" if old == "1" else "1"
    elif kind == "NAME":
        old, new = (current or {}).get("aac003"), random_name(rng, (current or {}).get("aac004", "1"))
    else:  # DEATH: the new value is the date of death
        new = effective
    return {
        "aac001": aac001,
        "change_kind": kind,
        "old_value": old,
        "new_value": new,
        "effective_date": effective,
        "remarks": "省平台定时同步" if rng.random() < 0.9 else None,
    }


def changed_at(rng: random.Random) -> datetime:
    """When a generated change happened at the platform: now (the feed is near real time)."""
    del rng
    return datetime.now().astimezone()
