"""Masking personal data the way Chinese government systems show it in lists and on receipts: ID numbers as
``130102********1234``, mobile numbers as ``138****5678``, names as ``王**``. Lists, search results and channel answers
show only masked values; the full value appears only on an audited detail view. Every function passes ``None``
through, so optional columns can be masked without a check at each call site.
"""

from __future__ import annotations


def _keep(value: str, head: int, tail: int) -> str:
    # A value too short to keep both ends and still hide something is hidden entirely: showing "all but nothing"
    # of a short number would leak it whole.
    if len(value) <= head + tail:
        return "*" * len(value)
    return f"{value[:head]}{'*' * (len(value) - head - tail)}{value[len(value) - tail :]}"


def mask_id_number(value: str | None) -> str | None:
    """Keep the area code (first 6) and last 4 of an 18-character number; of anything else the first 3 and last 2."""
    if value is None:
        return None
    if len(value) == 18:
        return _keep(value, 6, 4)
    return _keep(value, 3, 2)


def mask_phone(value: str | None) -> str | None:
    """A mainland mobile number (11 digits starting with 1) keeps its first 3 and last 4; any other number only its
    last 4 — an area code plus the last digits would narrow a landline down too far."""
    if value is None:
        return None
    if len(value) == 11 and value.isascii() and value.isdigit() and value.startswith("1"):
        return _keep(value, 3, 4)
    return _keep(value, 0, 4)


def mask_name(value: str | None) -> str | None:
    """Keep the first character (the surname, or the first of a compound surname) and hide the rest."""
    if value is None:
        return None
    return value[:1] + "*" * (len(value) - 1)
