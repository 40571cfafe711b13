"""Committing an import: the valid rows applied, chunk by chunk, each chunk in its own transaction.

A :class:`Committer` applies the next chunk of one kind of import in the unit of work's transaction and says how many
rows it applied (0 when none are left); the app wires one per kind (app/imports.py, the composition root). The rows
it applies are marked ``applied`` in the same transaction as what they cause, so a commit interrupted anywhere is
carried on by the next worker without applying anything twice.

2.7 (:func:`commit_certifications`): each valid row becomes a ``certification.recorded`` event with source
``ministry_import``, published through the outbox; the registry group's handlers then record it like any other
certification (precedence, once per day, resuming an S01 suspension, the province told).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import text

from domain.ministry_imports import rules
from domain.ministry_imports.service import mark_applied_elsewhere
from domain.shared.event_types import EventType
from domain.shared.uow import UnitOfWork

DEFAULT_CHUNK = 5000


class Committer(Protocol):
    async def __call__(self, uow: UnitOfWork, import_id: int) -> int:
        """Apply the next chunk of the import's valid rows; return how many were applied (0: none left)."""
        ...


_NEXT = text(
    "SELECT r.row_number, r.record_key, r.fields, t.personal_number FROM ministry_import_row r"
    " JOIN retiree t ON t.id = r.retiree_id"
    " WHERE r.import_id = :id AND r.outcome = 'valid' ORDER BY r.row_number LIMIT :n FOR UPDATE OF r"
)
_APPLIED = text(
    "UPDATE ministry_import_row SET outcome = 'applied' WHERE import_id = :id AND row_number = ANY(:rows)"
    " AND outcome = 'valid'"
)


async def commit_certifications(uow: UnitOfWork, import_id: int, *, chunk: int = DEFAULT_CHUNK) -> int:
    """2.7: the next ``chunk`` valid rows as ``certification.recorded`` events (one statement through the outbox)."""
    session = uow.session
    while True:
        found = (await session.execute(_NEXT, {"id": import_id, "n": chunk})).all()
        if not found:
            return 0
        # A record applied by another import since this one was staged counts once: it becomes a duplicate.
        if await mark_applied_elsewhere(session, import_id, [r.row_number for r in found]):
            continue
        break
    events = [
        (
            r.personal_number,
            rules.certification_event(r.personal_number, r.record_key, r.fields, r.fields[rules.CERTIFICATION_DATE]),
        )
        for r in found
    ]
    await uow.publish_many(EventType.CERTIFICATION_RECORDED, events)
    await session.execute(_APPLIED, {"id": import_id, "rows": [r.row_number for r in found]})
    return len(found)
