"""Masking personal data the way Chinese systems show it in lists: ID numbers ``130102********1234``, mobile
numbers ``138****5678``, names ``王**``. Full values appear only on an audited detail view."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) == 18:
        return f"{value[:6]}{'*' * 8}{value[-4:]}"
    if len(value) <= 5:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 5)}{value[-2:]}"


def mask_phone(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) == 11 and value.isdigit():
        return f"{value[:3]}****{value[-4:]}"
    if len(value) <= 4:
        return "*" * len(value)
    return f"{'*' * (len(value) - 4)}{value[-4:]}"


def mask_name(value: str | None) -> str | None:
    if value is None:
        return None
    return value[:1] + "*" * (len(value) - 1)
