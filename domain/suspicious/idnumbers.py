"""The identity-number key of a suspicious-list row: the 18-character number the registry holds, or why there is none.

Parsing, the MOD 11-2 check and the 15 → 18 upgrade are those of :mod:`domain.retirees.idnumber` (one definition of
a valid number); this module only records, per row, what the comparison needs: the key, whether it was upgraded from
a legacy 15-character number, and otherwise the refusal staff read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from domain.retirees.idnumber import IdNumber, InvalidIdNumber
from domain.shared.errors import ErrorCode


@dataclass(frozen=True)
class IdKeys:
    """``id18`` is the number to join on (None when the raw text is not a valid number: then ``problem_code`` and
    ``problem`` say why); ``upgraded`` is True when the list gave a legacy 15-character number."""

    raw: str
    id18: str | None
    upgraded: bool = False
    problem_code: ErrorCode | None = None
    problem: str | None = None

    @property
    def birth_date(self) -> date | None:
        """The birth date the number carries (None for an invalid number, which is not trusted for it)."""
        return None if self.id18 is None else IdNumber(self.id18).birth_date


def candidate_keys(raw: str, *, today: date | None = None) -> IdKeys:
    """The keys of the list's raw identity number; never raises for bad input (the refusal is in the result)."""
    try:
        number = IdNumber.parse(raw, today=today)
    except InvalidIdNumber as refusal:
        return IdKeys(raw=raw, id18=None, problem_code=refusal.code, problem=refusal.message)
    # IdNumber.parse drops whitespace after NFKC the same way, so a 15-character text here is what it upgraded.
    compact = "".join(unicodedata.normalize("NFKC", raw).split())
    return IdKeys(raw=raw, id18=number.value, upgraded=len(compact) == 15)
