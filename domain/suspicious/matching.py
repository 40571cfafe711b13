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

The plain cases (the same number with the name written identically, the same after a 15 → 18 upgrade, and no
candidate at all) are decided by the set-based step in SQL, a million rows at once; their explanations come from
:func:`plain_template`, which :func:`explain` and :func:`best_match` use too, so the two paths cannot drift apart.
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


@dataclass(frozen=True)
class _RowKeys:
    """:class:`ListKeys` without the pinyin, which :func:`_explain` reads (``name_pinyin_key``, cached) only for the
    rows whose names differ: most rows never need it."""

    id: IdKeys
    name: str
    birth_date: date | None


def _row_keys(entry: ListEntry, *, today: date | None) -> _RowKeys:
    ids = candidate_keys(entry.id_number, today=today)
    return _RowKeys(id=ids, name=normalise_name(entry.name), birth_date=entry.birth_date or ids.birth_date)


def list_keys(entry: ListEntry, *, today: date | None = None) -> ListKeys:
    """The join keys of a list row, computed once per row (staging columns)."""
    row = _row_keys(entry, today=today)
    return ListKeys(id=row.id, name=row.name, pinyin=name_pinyin_key(entry.name), birth_date=row.birth_date)


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


# The explanation pieces the set-based step also writes (placeholders filled by str.format here, by replace in SQL).
_ID_AGREES = "身份证号一致"
_ID_UPGRADED_AGREES = "15位身份证号“{raw}”升级为18位“{id18}”后与登记一致"
_SAME_NAME = "姓名一致（“{listed}”）"
_NO_MATCH_VALID_ID = "未匹配：登记中无身份证号为“{id18}”的人员；也无姓名为“{listed}”且出生日期为{birth_date}的人员"
PLAIN_KINDS: tuple[MatchKind, ...] = (MatchKind.EXACT_ID, MatchKind.UPGRADED_ID, MatchKind.NO_MATCH)


def plain_template(kind: MatchKind) -> str:
    """The explanation of a plain case, with placeholders ``{listed}`` (the list's name, stripped), ``{raw}`` (the
    list's number as written, stripped), ``{id18}`` and ``{birth_date}`` (ISO): EXACT_ID and UPGRADED_ID with the name
    written identically, NO_MATCH of a row with a valid number. The single source of these texts for :func:`explain`
    and for the set-based step, which fills them in SQL."""
    if kind is MatchKind.EXACT_ID:
        return f"{_ID_AGREES}；{_SAME_NAME}"
    if kind is MatchKind.UPGRADED_ID:
        return f"{_ID_UPGRADED_AGREES}；{_SAME_NAME}"
    if kind is MatchKind.NO_MATCH:
        return _NO_MATCH_VALID_ID
    raise ValueError(f"{kind} is not a plain kind: its explanation depends on more than a template")


def _id_agreement(ids: IdKeys) -> str:
    if ids.upgraded:
        return _ID_UPGRADED_AGREES.format(raw=ids.raw.strip(), id18=ids.id18)
    return _ID_AGREES


def _id_disagreement(ids: IdKeys, registered: str) -> str:
    if ids.id18 is None:
        return f"名单身份证号“{ids.raw.strip()}”无效（{ids.problem}）"
    return f"身份证号不同：名单为“{ids.raw.strip()}”，登记为“{registered}”"


def explain(entry: ListEntry, candidate: RegistryPerson, *, today: date | None = None) -> Match | None:
    """How ``entry`` matches ``candidate``, or None when it does not (see the module docstring for the rules)."""
    return _explain(entry, _row_keys(entry, today=today), candidate)


def _explain(entry: ListEntry, row: _RowKeys, candidate: RegistryPerson) -> Match | None:
    # The keys of registry_keys(candidate), the pinyin read only when the names differ.
    person_id18, person_name = candidate.id_number.strip().upper(), normalise_name(candidate.name)
    listed, registered = entry.name.strip(), candidate.name.strip()
    names_equal = row.name != "" and row.name == person_name
    if row.id.id18 is not None and row.id.id18 == person_id18:
        id_part = _id_agreement(row.id)
        if names_equal and listed == registered:
            kind = MatchKind.UPGRADED_ID if row.id.upgraded else MatchKind.EXACT_ID
            return Match(
                kind, candidate, plain_template(kind).format(raw=row.id.raw.strip(), id18=row.id.id18, listed=listed)
            )
        if names_equal:
            kind = MatchKind.UPGRADED_ID if row.id.upgraded else MatchKind.NAME_VARIANT
            return Match(kind, candidate, f"{id_part}；{_name_variant_text(listed, registered)}")
        pinyin = name_pinyin_key(entry.name)
        if pinyin != "" and pinyin == name_pinyin_key(candidate.name):
            return Match(
                MatchKind.HOMOPHONE,
                candidate,
                f"{id_part}；姓名同音不同字：名单为“{listed}”，登记为“{registered}”（读音均为 {pinyin}），疑似录入错误",
            )
        return Match(
            MatchKind.ID_NAME_DIFFERS, candidate, f"{id_part}；姓名不同：名单为“{listed}”，登记为“{registered}”"
        )
    if names_equal and row.birth_date is not None and row.birth_date == candidate.birth_date:
        name_part = _SAME_NAME.format(listed=listed) if listed == registered else _name_variant_text(listed, registered)
        return Match(
            MatchKind.SAME_NAME_AND_BIRTH_DATE,
            candidate,
            f"{name_part}；出生日期一致（{row.birth_date.isoformat()}）；{_id_disagreement(row.id, person_id18)}，"
            "疑似重复人员",
        )
    return None


def best_match(entry: ListEntry, candidates: Iterable[RegistryPerson], *, today: date | None = None) -> Match:
    """The strongest match of ``entry`` among ``candidates`` by :data:`PRECEDENCE`; among equally strong matches the
    first in the given order (the set-based step passes them ordered by personal number). When none matches, a
    NO_MATCH with the reason."""
    row = _row_keys(entry, today=today)  # once per row, not once per candidate
    best: Match | None = None
    for candidate in candidates:
        found = _explain(entry, row, candidate)
        if found is not None and (best is None or PRECEDENCE.index(found.kind) < PRECEDENCE.index(best.kind)):
            best = found
    if best is not None:
        return best
    return Match(MatchKind.NO_MATCH, None, _no_match_text(entry, row))


def _no_match_text(entry: ListEntry, row: _RowKeys) -> str:
    if row.id.id18 is not None and row.birth_date is not None:
        template = plain_template(MatchKind.NO_MATCH)
        return template.format(id18=row.id.id18, listed=entry.name.strip(), birth_date=row.birth_date.isoformat())
    if row.id.id18 is None:
        id_part = f"名单身份证号“{row.id.raw.strip()}”无效（{row.id.problem}）"
    else:
        id_part = f"登记中无身份证号为“{row.id.id18}”的人员"
    if row.birth_date is None:
        return f"未匹配：{id_part}；名单无有效出生日期，无法按姓名、出生日期比对"
    return f"未匹配：{id_part}；也无姓名为“{entry.name.strip()}”且出生日期为{row.birth_date.isoformat()}的人员"
