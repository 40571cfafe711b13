"""The ``person_status.changed`` event (6.22, ``schemas/person_status.changed.v1.json``): the one builder of its data.

Every path that tells the province about a status-change log entry builds the data here — one change at a time
(:func:`domain.status_log.service.apply`), the nightly rules in bulk (``domain.suspensions.overdue``) and the
reconciliation's resend — so the province receives the same fields, and the same ``institution_code``, whichever
path wrote the entry. The builder is pure; the institutions' codes are looked up by the caller, all of a set in one
query (:func:`institution_codes`), so a set-based path stays set-based.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.event_types import EventType

PERSON_STATUS_CHANGED = EventType.PERSON_STATUS_CHANGED


def log_entry_id(number: int) -> str:
    """The id the provincial platform sees for log row ``number`` (its idempotency key): ``SCL-000000000123``."""
    return f"SCL-{number:012d}"


def institution_code(institution_id: int | None, codes: Mapping[int, str], insuring_agency_code: str) -> str:
    """The ``institution_code`` (the BusinessRecord's ``orgCode``) of an entry about institution ``institution_id``.

    The entry's institution (the log entry's ``institution_id``: the institution the retiree belongs to after the
    change, else before it) when it has one. Otherwise — a retiree approved but never registered at a community,
    e.g. one the nightly rule suspends for a missed registration — the retiree's **insuring agency** (``aab034``).
    That is the organisation the province itself knows the person by: its records carry the person's ``aab034``,
    the registration of 4.1 looks the person up "by personal number and insuring agency code", and the agency is the
    one that pays the pension being suspended or resumed. The city's root institution, which an earlier bulk path
    sent, names no organisation of this person at the province. An institution whose row is gone falls back the
    same way."""
    if institution_id is not None:
        code = codes.get(institution_id)
        if code:
            return code
    return insuring_agency_code


async def institution_codes(session: AsyncSession, institution_ids: Iterable[int | None]) -> dict[int, str]:
    """The codes of these institutions, in one query (none when no id is given)."""
    ids = sorted({i for i in institution_ids if i is not None})
    if not ids:
        return {}
    rows = await session.execute(text("SELECT id, code FROM institution WHERE id = ANY(:ids)"), {"ids": ids})
    return {row[0]: row[1] for row in rows}


def person_status_changed(
    *,
    personal_number: str,
    change_kind: str,
    reason_code: str,
    effective_date: date,
    entered_at: datetime,
    institution_id: int | None,
    codes: Mapping[int, str],
    insuring_agency_code: str,
    log_entry_number: int,
    reverses_number: int | None = None,
) -> dict[str, Any]:
    """The data of ``person_status.changed`` for status-change log row ``log_entry_number``.

    ``change_kind`` and ``reason_code`` may be the enums (``ChangeKind``, ``ReasonCode``) or their stored values;
    ``codes`` maps institution ids to codes and must hold ``institution_id`` if it is not None (a missing one falls
    back as :func:`institution_code` says). ``reverses_number`` is the log row an error restoration reverses."""
    data: dict[str, Any] = {
        "personal_number": personal_number,
        "change_kind": str(change_kind),
        "reason_code": str(reason_code),
        "effective_date": effective_date.isoformat(),
        "entered_at": entered_at.isoformat(),
        "institution_code": institution_code(institution_id, codes, insuring_agency_code),
        "log_entry_id": log_entry_id(log_entry_number),
    }
    if reverses_number is not None:
        data["reverses_entry_id"] = log_entry_id(reverses_number)
    return data
