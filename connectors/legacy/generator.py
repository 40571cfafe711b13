"""A synthetic export of the 2007 system (issue 17), for tests and the benchmark: one GBK-encoded CSV per LD/T
table, with the dirt a 16-year-old system has, deterministic by seed and streamed (one person in memory at a time).

The dirt, each on its own share of people (see :class:`Dirt`): ID numbers still in the 15-digit form (clean: they
import, upgraded to 18), wrong check characters, the same person entered twice (another personal number, the name
slightly different), codes no longer in the dictionary, dates as text in several spellings (all but the impossible
ones clean). :func:`generate` returns what it wrote, with up to ``examples`` personal numbers per kind of dirt.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from domain.retirees.idnumber import make_id_number

SHIJIAZHUANG_DISTRICTS = ("130102", "130104", "130105", "130108", "130109", "130110", "130111", "130123")
SHIJIAZHUANG_AREAS = ("130102", "130104", "130105", "130108", "130121", "130123")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "秀英桂兰玉珍凤华建国志明永德国庆立新淑芬春梅海燕文军红霞伟平金花振宇丽娟学军宝山长青素梅"
_BIRTH_START = date(1935, 1, 1)
_BIRTH_DAYS = 11000  # births 1935 … 1965
_BIRTH_STRIDE = 7919  # a prime: day -> day * stride mod 11000 spreads births and stays one-to-one


class Dirt(StrEnum):
    OLD_ID_NUMBER = "old_id_number"  # 15 characters (clean: upgraded)
    WRONG_CHECK = "wrong_check"  # refused
    DUPLICATE = "duplicate"  # a second AC01/IC10 row of the same person: refused
    UNKNOWN_CODE = "unknown_code"  # a sex, status or payment code not in the mapping: refused
    TEXT_DATE = "text_date"  # a date spelt 2008年3月5日, 2008/3/5, 20080305 … (clean)
    BAD_DATE = "bad_date"  # an impossible date (2008-02-30) or 不详: refused


RATES = {
    Dirt.OLD_ID_NUMBER: 0.03,
    Dirt.WRONG_CHECK: 0.005,
    Dirt.DUPLICATE: 0.005,
    Dirt.UNKNOWN_CODE: 0.005,
    Dirt.TEXT_DATE: 0.2,
    Dirt.BAD_DATE: 0.003,
}
HEADERS = {
    "AF08": ("aaf030", "aaf031", "aab301"),
    "AF02": ("aaf040", "aaf041", "aaf030"),
    "AB01": ("aab001", "aab004"),
    "AC01": ("aac001", "aac002", "aac003", "aac004", "aac006", "aab001"),
    "IC10": ("aac001", "aic162", "aic161", "aaf040", "aae036", "aac008", "aae116", "aic020"),
    "AC60": ("aac001", "aae036"),
    "AEF1": ("aac001", "aae160", "aae035", "aae013"),
}
_STATUS_CODE = {"registered": "1", "suspended": "2", "deceased": "3", "moved_away": "4"}
_PAYMENT = {"registered": "1", "suspended": "2", "deceased": "3", "moved_away": "3"}
_KIND_CODE = {"suspended": "21", "resumed": "22", "deceased": "31", "moved_away": "41"}


@dataclass
class GeneratedExport:
    directory: Path
    people: int = 0
    streets: int = 0
    communities: int = 0
    employers: int = 0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HEADERS, 0))
    dirt: dict[Dirt, int] = field(default_factory=lambda: dict.fromkeys(Dirt, 0))
    examples: dict[Dirt, list[str]] = field(default_factory=lambda: {d: [] for d in Dirt})
    final_status: dict[str, int] = field(default_factory=dict)


def _spell(on: date, rng: random.Random, textual: bool) -> str:
    if not textual:
        return on.isoformat()
    style = rng.randrange(5)
    if style == 0:
        return f"{on.year}年{on.month}月{on.day}日"
    if style == 1:
        return f"{on.year}/{on.month}/{on.day}"
    if style == 2:
        return on.strftime("%Y%m%d")
    if style == 3:
        return on.strftime("%Y.%m.%d")
    return f"{on.isoformat()} 00:00:00"


def identity(k: int, areas: Sequence[str]) -> tuple[str, date, str]:
    area = areas[k % len(areas)]
    rest = k // len(areas)
    day, rest = rest % _BIRTH_DAYS, rest // _BIRTH_DAYS
    sex_bit, sequence = rest % 2, (rest // 2) % 500
    birth = _BIRTH_START + timedelta(days=(day * _BIRTH_STRIDE) % _BIRTH_DAYS)
    sex = "1" if sex_bit else "2"
    return make_id_number(area, birth, sequence, sex), birth, sex


def _history(rng: random.Random, registered: date, until: date) -> tuple[str, list[tuple[str, date]]]:
    """The status the person ends in and the AEF1 changes leading there (after the registration, before ``until``)."""
    roll = rng.random()
    span = max((until - registered).days - 2, 2)
    if roll < 0.05:
        return "deceased", [("deceased", registered + timedelta(days=rng.randrange(1, span)))]
    if roll < 0.06:
        return "moved_away", [("moved_away", registered + timedelta(days=rng.randrange(1, span)))]
    if roll < 0.20:
        suspended = registered + timedelta(days=rng.randrange(1, span))
        if roll < 0.14 or (until - suspended).days < 3:
            return "suspended", [("suspended", suspended)]
        resumed = suspended + timedelta(days=rng.randrange(1, (until - suspended).days))
        return "registered", [("suspended", suspended), ("resumed", resumed)]
    return "registered", []


def _writer(stack: ExitStack, directory: Path, table: str) -> _CsvWriter:
    handle = stack.enter_context((directory / f"{table}.csv").open("wb"))
    text = stack.enter_context(io.TextIOWrapper(handle, encoding="gbk", newline=""))
    writer = csv.writer(text)
    writer.writerow(HEADERS[table])
    return _CsvWriter(writer)


class _CsvWriter:
    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def row(self, *cells: str) -> None:
        self._writer.writerow(cells)


def generate(
    out: str | Path,
    people: int,
    *,
    seed: int = 2007,
    prefix: str = "L",
    districts: Sequence[str] = SHIJIAZHUANG_DISTRICTS,
    areas: Sequence[str] = SHIJIAZHUANG_AREAS,
    id_offset: int = 0,
    as_of: date = date(2026, 1, 1),
    rates: dict[Dirt, float] | None = None,
    examples: int = 20,
) -> GeneratedExport:
    """Write a synthetic export of ``people`` retirees into ``out`` (see the module's docstring)."""
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    rate = {**RATES, **(rates or {})}
    result = GeneratedExport(directory, people=people)
    communities_per_street = 10 if people >= 5000 else 2
    result.streets = max(2, people // 5000)
    result.communities = result.streets * communities_per_street
    result.employers = max(2, people // 50)
    with ExitStack() as stack:
        files = {table: _writer(stack, directory, table) for table in HEADERS}
        for s in range(result.streets):
            files["AF08"].row(f"{prefix}S{s:05d}", f"第{s + 1}街道", districts[s % len(districts)])
            for c in range(communities_per_street):
                n = s * communities_per_street + c
                files["AF02"].row(f"{prefix}C{n:06d}", f"第{s + 1}街道第{c + 1}社区", f"{prefix}S{s:05d}")
        for e in range(result.employers):
            files["AB01"].row(f"{prefix}E{e:07d}", f"石家庄第{e + 1}机械厂")
        result.rows["AF08"], result.rows["AF02"] = result.streets, result.communities
        result.rows["AB01"] = result.employers
        for i in range(people):
            _person(i, rng, rate, files, result, prefix, areas, id_offset, as_of, examples)
    return result


def _note(result: GeneratedExport, dirt: Dirt, number: str, examples: int) -> None:
    result.dirt[dirt] += 1
    if len(result.examples[dirt]) < examples:
        result.examples[dirt].append(number)


def _person(
    i: int,
    rng: random.Random,
    rate: dict[Dirt, float],
    files: dict[str, _CsvWriter],
    result: GeneratedExport,
    prefix: str,
    areas: Sequence[str],
    id_offset: int,
    as_of: date,
    examples: int,
) -> None:
    number = f"{prefix}{i:09d}"
    id_number, birth, sex = identity(id_offset + i, areas)
    name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))
    employer = f"{prefix}E{rng.randrange(result.employers):07d}"
    retired = date(birth.year + (60 if sex == "1" else 55), birth.month, min(birth.day, 28))
    registered = retired + timedelta(days=rng.randrange(20, 400))
    if registered >= as_of - timedelta(days=30):
        registered = as_of - timedelta(days=rng.randrange(30, 300))
    final, changes = _history(rng, registered, as_of)
    community = f"{prefix}C{rng.randrange(result.communities):06d}"
    textual = rng.random() < rate[Dirt.TEXT_DATE]
    shown_id, shown_sex, status, payment, registered_text = id_number, sex, _STATUS_CODE[final], _PAYMENT[final], ""
    roll = rng.random()
    dirt: Dirt | None = None
    for kind in (Dirt.OLD_ID_NUMBER, Dirt.WRONG_CHECK, Dirt.DUPLICATE, Dirt.UNKNOWN_CODE, Dirt.BAD_DATE):
        if roll < rate[kind]:
            dirt = kind
            break
        roll -= rate[kind]
    if dirt is Dirt.OLD_ID_NUMBER:
        shown_id = id_number[:6] + id_number[8:17]
    elif dirt is Dirt.WRONG_CHECK:
        shown_id = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    elif dirt is Dirt.UNKNOWN_CODE:
        which = rng.randrange(3)
        shown_sex, status, payment = ("3", status, payment) if which == 0 else (sex, "9", payment)
        if which == 2:
            shown_sex, status, payment = sex, _STATUS_CODE[final], "7"
    elif dirt is Dirt.BAD_DATE:
        registered_text = rng.choice(("不详", f"{registered.year}-02-30", "0000-00-00"))
    if dirt is not None:
        _note(result, dirt, number, examples)
    if textual:
        _note(result, Dirt.TEXT_DATE, number, examples)
    registered_text = registered_text or _spell(registered, rng, textual)
    files["AC01"].row(number, shown_id, name, shown_sex, _spell(birth, rng, textual), employer)
    pension = f"{rng.randrange(1800, 6500)}.{rng.randrange(100):02d}"
    category = rng.choice("112")
    files["IC10"].row(
        number, _spell(retired, rng, textual), category, community, registered_text, status, payment, pension
    )
    result.rows["AC01"] += 1
    result.rows["IC10"] += 1
    if dirt is Dirt.DUPLICATE:  # entered again later: another number, the name with a stray full-width space
        again = f"{prefix}D{i:08d}"
        files["AC01"].row(
            again, id_number[:6] + id_number[8:17], name[0] + "\u3000" + name[1:], sex, birth.isoformat(), employer
        )
        files["IC10"].row(again, retired.isoformat(), category, community, registered.isoformat(), status, payment, "")
        result.rows["AC01"] += 1
        result.rows["IC10"] += 1
    if dirt in (None, Dirt.OLD_ID_NUMBER):
        result.final_status[final] = result.final_status.get(final, 0) + 1
    for change, on in changes:
        files["AEF1"].row(number, _KIND_CODE[change], _spell(on, rng, textual), "迁移前状态变更")
        result.rows["AEF1"] += 1
    active_until = changes[-1][1] if final != "registered" and changes else as_of
    for year in range(max(registered.year + 1, as_of.year - 3), as_of.year):
        on = date(year, rng.randrange(1, 7), rng.randrange(1, 29))
        if registered < on < active_until:
            files["AC60"].row(number, _spell(on, rng, textual))
            result.rows["AC60"] += 1
