"""How one suspicious-list row matches one registry person, and why, in words staff read (function point 2.8).

A row matches a person by identity number first: the same 18-character number (a legacy 15-character number is
upgraded first), then the names decide the kind: identical, equal once normalised (traditional/simplified,
full-width, spaces, middle dots), the same pinyin (an IME slip) or different (flagged). Without an agreeing number,
a person with the same normalised name and the same birth date is a suspected duplicate. Each :class:`Match` carries
a Chinese explanation naming what agreed and what differed.

The set-based step does not call :func:`explain` per pair to find candidates: it stores the keys of
:func:`list_keys` (id18, name, pinyin, birth date) in its staging table and those of :func:`registry_keys` in a
registry key table, joins on ``id18`` and on (``name``, ``birth_date``), and only then explains the pairs found.
These functions are the single definition of the keys.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.suspicious.idnumbers import IdKeys, candidate_keys
from domain.suspicious.names import DOT_VARIANTS, MIDDLE_DOT, name_pinyin_key, normalise_name


class MatchKind(StrEnum):
    """Kinds of match, strongest first (:data:`PRECEDENCE`); ``label`` is what staff read."""

    EXACT_ID = "exact_id"
    UPGRADED_ID = "upgraded_id"
    NAME_VARIANT = "name_variant"
    HOMOPHONE = "homophone"
    ID_NAME_DIFFERS = "id_name_differs"
    SAME_NAME_AND_BIRTH_DATE = "same_name_and_birth_date"
    NO_MATCH = "no_match"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def flagged(self) -> bool:
        """True when the match is itself a doubt a person has to resolve (not a plain confirmation)."""
        return self in _FLAGGED


_LABELS = {
    MatchKind.EXACT_ID: "身份证号完全一致",
    MatchKind.UPGRADED_ID: "15位身份证号升级为18位后一致",
    MatchKind.NAME_VARIANT: "繁简/全角/空格差异，规范化后一致",
    MatchKind.HOMOPHONE: "姓名同音：疑似录入错误",
    MatchKind.ID_NAME_DIFFERS: "身份证号一致但姓名不同",
    MatchKind.SAME_NAME_AND_BIRTH_DATE: "姓名、出生日期相同但身份证号不同：疑似重复人员",
    MatchKind.NO_MATCH: "未匹配",
}
_FLAGGED = frozenset({MatchKind.HOMOPHONE, MatchKind.ID_NAME_DIFFERS, MatchKind.SAME_NAME_AND_BIRTH_DATE})
PRECEDENCE: tuple[MatchKind, ...] = tuple(MatchKind)


@dataclass(frozen=True)
class ListEntry:
    """One row of a suspicious list as uploaded: the raw name and identity number, and a birth date if the list has
    a column for it (otherwise the birth date is taken from a valid identity number)."""

    name: str
    id_number: str
    birth_date: date | None = None


@dataclass(frozen=True)
class RegistryPerson:
    """A registered person as the comparison sees them; ``id_number`` is the registry's 18-character number."""

    personal_number: str
    name: str
    id_number: str
    birth_date: date


@dataclass(frozen=True)
class ListKeys:
    id: IdKeys
    name: str
    pinyin: str
    birth_date: date | None


@dataclass(frozen=True)
class RegistryKeys:
    personal_number: str
    id18: str
    name: str
    pinyin: str
    birth_date: date


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    candidate: RegistryPerson | None
    explanation: str


def list_keys(entry: ListEntry, *, today: date | None = None) -> ListKeys:
    """The join keys of a list row, computed once per row (staging columns)."""
    ids = candidate_keys(entry.id_number, today=today)
    return ListKeys(
        id=ids,
        name=normalise_name(entry.name),
        pinyin=name_pinyin_key(entry.name),
        birth_date=entry.birth_date or ids.birth_date,
    )


def registry_keys(person: RegistryPerson) -> RegistryKeys:
    """The join keys of a registered person, computed once per person (the registry key table)."""
    return RegistryKeys(
        personal_number=person.personal_number,
        id18=person.id_number.strip().upper(),
        name=normalise_name(person.name),
        pinyin=name_pinyin_key(person.name),
        birth_date=person.birth_date,
    )


def _variant_reasons(raw: str) -> list[str]:
    """What ``raw`` writes differently from its normalised form, in staff's words."""
    folded = unicodedata.normalize("NFKC", raw)
    compact = [character for character in folded if not character.isspace()]
    reasons = []
    if len(compact) != len(folded) or any(unicodedata.category(character) == "Cf" for character in folded):
        reasons.append("空格")
    if any(unicodedata.normalize("NFKC", character) != character for character in raw if not character.isspace()):
        reasons.append("全角字符")
    if any(character in DOT_VARIANTS and character != MIDDLE_DOT for character in compact):
        reasons.append("间隔号写法")
    if any(character.upper() != character for character in compact):
        reasons.append("大小写")
    if any(
        not character.isascii() and character not in DOT_VARIANTS and normalise_name(character) != character
        for character in compact
    ):
        reasons.append("繁体字")
    return reasons


def _name_variant_text(listed: str, registered: str) -> str:
    reasons = dict.fromkeys(_variant_reasons(listed) + _variant_reasons(registered))
    why = f"（{'、'.join(reasons)}差异）" if reasons else ""
    return f"姓名规范化后一致：名单为“{listed}”，登记为“{registered}”{why}"


def _id_agreement(ids: IdKeys) -> str:
    if ids.upgraded:
        return f"15位身份证号“{ids.raw.strip()}”升级为18位“{ids.id18}”后与登记一致"
    return "身份证号一致"


def _id_disagreement(ids: IdKeys, registered: str) -> str:
    if ids.id18 is None:
        return f"名单身份证号“{ids.raw.strip()}”无效（{ids.problem}）"
    return f"身份证号不同：名单为“{ids.raw.strip()}”，登记为“{registered}”"


def explain(entry: ListEntry, candidate: RegistryPerson, *, today: date | None = None) -> Match | None:
    """How ``entry`` matches ``candidate``, or None when it does not (see the module docstring for the rules)."""
    row = list_keys(entry, today=today)
    person = registry_keys(candidate)
    listed, registered = entry.name.strip(), candidate.name.strip()
    names_equal = row.name != "" and row.name == person.name
    if row.id.id18 is not None and row.id.id18 == person.id18:
        id_part = _id_agreement(row.id)
        if names_equal and listed == registered:
            kind = MatchKind.UPGRADED_ID if row.id.upgraded else MatchKind.EXACT_ID
            return Match(kind, candidate, f"{id_part}；姓名一致（“{listed}”）")
        if names_equal:
            kind = MatchKind.UPGRADED_ID if row.id.upgraded else MatchKind.NAME_VARIANT
            return Match(kind, candidate, f"{id_part}；{_name_variant_text(listed, registered)}")
        if row.pinyin != "" and row.pinyin == person.pinyin:
            return Match(
                MatchKind.HOMOPHONE,
                candidate,
                f"{id_part}；姓名同音不同字：名单为“{listed}”，登记为“{registered}”"
                f"（读音均为 {row.pinyin}），疑似录入错误",
            )
        return Match(
            MatchKind.ID_NAME_DIFFERS, candidate, f"{id_part}；姓名不同：名单为“{listed}”，登记为“{registered}”"
        )
    if names_equal and row.birth_date is not None and row.birth_date == person.birth_date:
        name_part = f"姓名一致（“{listed}”）" if listed == registered else _name_variant_text(listed, registered)
        return Match(
            MatchKind.SAME_NAME_AND_BIRTH_DATE,
            candidate,
            f"{name_part}；出生日期一致（{row.birth_date.isoformat()}）；{_id_disagreement(row.id, person.id18)}，"
            "疑似重复人员",
        )
    return None


def best_match(entry: ListEntry, candidates: Iterable[RegistryPerson], *, today: date | None = None) -> Match:
    """The strongest match of ``entry`` among ``candidates`` by :data:`PRECEDENCE`; among equally strong matches the
    first in the given order (the set-based step passes them ordered by personal number). When none matches, a
    NO_MATCH with the reason."""
    best: Match | None = None
    for candidate in candidates:
        found = explain(entry, candidate, today=today)
        if found is not None and (best is None or PRECEDENCE.index(found.kind) < PRECEDENCE.index(best.kind)):
            best = found
    if best is not None:
        return best
    return Match(MatchKind.NO_MATCH, None, _no_match_text(entry, today=today))


def _no_match_text(entry: ListEntry, *, today: date | None) -> str:
    row = list_keys(entry, today=today)
    if row.id.id18 is None:
        id_part = f"名单身份证号“{row.id.raw.strip()}”无效（{row.id.problem}）"
    else:
        id_part = f"登记中无身份证号为“{row.id.id18}”的人员"
    if row.birth_date is None:
        return f"未匹配：{id_part}；名单无有效出生日期，无法按姓名、出生日期比对"
    return f"未匹配：{id_part}；也无姓名为“{entry.name.strip()}”且出生日期为{row.birth_date.isoformat()}的人员"
