"""Archive hand-over commands (3.1, 3.3): draft, edit, submit, return and receive a batch.

Archive custody is local: no provincial business type carries it, so nothing is pushed to the province, and the
person's status does not change, so no status-change entry (6.22) is written. Each step is audited once per batch,
naming every person of the batch (``retiree_ids``). The people of a batch are written and received set-based (one
statement each), so a 1,000-person batch is a handful of round trips.

Idempotency: a repeated submit, return or receive of a batch already in the state the request leads to answers the
batch as it is, without a second audit entry; an edit may carry the ``version`` it was based on and is refused
(``HANDOVER_VERSION_CONFLICT``) when the batch changed meanwhile.

Who: operators of the city bureau, or of the receiving district agency itself, draft, edit, submit, return and
receive (the employer's clerk comes to either window); staff of other institutions do not see the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.audit.trail import AuditRecord
from domain.employers.models import Employer
from domain.handover import rules
from domain.handover.models import (
    EDITABLE_STATES,
    ArchiveHandover,
    HandoverPerson,
    HandoverState,
    ReceiptResult,
)
from domain.handover.rules import Candidate, PersonItems, PersonResult, Voucher
from domain.institutions.models import Institution
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode, NotFound
from domain.staff.permissions import Permission, require

_NEXT_NUMBER = text(
    "INSERT INTO archive_handover_counter (year, last) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = archive_handover_counter.last + 1 RETURNING last"
)
_CANDIDATES = text(
    """
    SELECT i.id, r.personal_number, r.employer_code, r.status,
           EXISTS (SELECT 1 FROM archive_custody c WHERE c.retiree_id = i.id) AS handed_over,
           (SELECT h.number FROM archive_handover_person p JOIN archive_handover h ON h.id = p.handover_id
             WHERE p.retiree_id = i.id AND p.open AND p.handover_id <> :own LIMIT 1) AS other_open_batch
      FROM unnest(CAST(:ids AS bigint[])) AS i(id)
      LEFT JOIN retiree r ON r.id = i.id
    """
)
_INSERT_PEOPLE = text(
    """
    INSERT INTO archive_handover_person (handover_id, retiree_id, items, copies, deceased, open)
    SELECT :handover, p.id, string_to_array(p.items, ','), p.copies, r.status = 'deceased', true
      FROM unnest(CAST(:ids AS bigint[]), CAST(:items AS text[]), CAST(:copies AS int[])) AS p(id, items, copies)
      JOIN retiree r ON r.id = p.id
    """
)
# On submit: who has died since the batch was drafted is flagged (their archives are handed over all the same).
_REFRESH_DECEASED = text(
    """
    UPDATE archive_handover_person p SET deceased = (r.status = 'deceased')
      FROM retiree r
     WHERE p.handover_id = :handover AND r.id = p.retiree_id AND p.deceased IS DISTINCT FROM (r.status = 'deceased')
    """
)
_DELETE_PEOPLE = text("DELETE FROM archive_handover_person WHERE handover_id = :handover")
# The receipt in one statement: every person's result, and the archive's new keeper.
_RECEIVE = text(
    """
    WITH marked AS (
        UPDATE archive_handover_person p
           SET result = x.result, discrepancy = x.discrepancy, receipt_remarks = x.remarks, open = false
          FROM unnest(CAST(:ids AS bigint[]), CAST(:results AS text[]), CAST(:discrepancies AS text[]),
                      CAST(:remarks AS text[])) AS x(id, result, discrepancy, remarks)
         WHERE p.handover_id = :handover AND p.retiree_id = x.id
     RETURNING p.retiree_id, p.discrepancy
    )
    INSERT INTO archive_custody (retiree_id, institution_id, handover_id, received_on, discrepancy)
    SELECT retiree_id, :agency, :handover, :on, discrepancy FROM marked
        ON CONFLICT (retiree_id) DO UPDATE
       SET institution_id = excluded.institution_id, handover_id = excluded.handover_id,
           received_on = excluded.received_on, discrepancy = excluded.discrepancy, recorded_at = now()
    """
)


async def _employer(session: AsyncSession, employer_id: int) -> Employer:
    employer = await session.get(Employer, employer_id)
    if employer is None:
        raise NotFound(ErrorCode.HANDOVER_EMPLOYER_NOT_FOUND, "未找到该单位", field="employer_id")
    return employer


async def _agency(session: AsyncSession, actor: Actor, agency_id: int) -> Institution:
    agency = await session.get(Institution, agency_id)
    rules.check_agency(agency.level if agency else None, agency.active if agency else False)
    assert agency is not None
    rules.check_acts_for_agency(actor.covers(agency.path))
    return agency


async def _candidates(session: AsyncSession, ids: Sequence[int], own: int = 0) -> list[Candidate]:
    rows = await session.execute(_CANDIDATES, {"ids": list(ids), "own": own})
    return [Candidate(*row) for row in rows.all()]


async def _check_people(session: AsyncSession, employer: Employer, ids: Sequence[int], own: int = 0) -> None:
    rules.check_candidates(employer.code, await _candidates(session, ids, own))


async def _insert_people(session: AsyncSession, handover_id: int, people: Sequence[PersonItems]) -> None:
    await session.execute(
        _INSERT_PEOPLE,
        {
            "handover": handover_id,
            "ids": [p.retiree_id for p in people],
            "items": [",".join(i.value for i in p.items) for p in people],
            "copies": [p.copies for p in people],
        },
    )


async def person_ids(session: AsyncSession, handover_id: int) -> list[int]:
    rows = await session.execute(
        select(col(HandoverPerson.retiree_id))
        .where(col(HandoverPerson.handover_id) == handover_id)
        .order_by(col(HandoverPerson.id))
    )
    return list(rows.scalars())


async def _audit(
    session: AsyncSession, actor: Actor, action: str, batch: ArchiveHandover, ids: Sequence[int], **detail: Any
) -> None:
    record = AuditRecord(
        action,
        target=f"handover:{batch.number}",
        detail={"handover_id": batch.id, "state": batch.state.value, "count": len(ids), **detail},
        retiree_ids=tuple(ids),
    )
    await trail.record_many(session, actor, [record])


async def locked(session: AsyncSession, actor: Actor, handover_id: int, *, lock: bool = True) -> ArchiveHandover:
    """The batch (locked for a command) if its receiving agency lies in the actor's own subtree or the actor is at
    the city level; otherwise not found, so probing numbers tells nothing."""
    batch = await session.get(ArchiveHandover, handover_id, with_for_update=lock)
    agency = await session.get(Institution, batch.agency_id) if batch is not None else None
    if batch is None or agency is None or not actor.covers(agency.path):
        raise NotFound(ErrorCode.HANDOVER_NOT_FOUND, "未找到该移交批次，或不在本机构管辖范围内")
    return batch


async def draft(
    session: AsyncSession,
    actor: Actor,
    *,
    employer_id: int,
    agency_id: int,
    voucher: Voucher,
    people: Sequence[PersonItems],
    contact_person: str | None = None,
    contact_phone: str | None = None,
    remarks: str | None = None,
) -> ArchiveHandover:
    """3.1: a new batch of the employer's retirees for the receiving agency, drafted."""
    require(actor, Permission.CHANGE_REGISTRY)
    rules.check_agency_staff(actor.institution_path)
    checked = rules.check_voucher(voucher, calendar.today())
    rules.check_people(people)
    employer = await _employer(session, employer_id)
    agency = await _agency(session, actor, agency_id)
    ids = [p.retiree_id for p in people]
    await _check_people(session, employer, ids)
    today = calendar.today()
    seq = (await session.execute(_NEXT_NUMBER, {"year": today.year})).scalar_one()
    assert employer.id is not None and agency.id is not None
    batch = ArchiveHandover(
        number=f"YJ{today.year}-{seq:04d}",
        employer_id=employer.id,
        agency_id=agency.id,
        voucher_number=checked.number,
        voucher_amount=checked.amount,
        voucher_date=checked.paid_on,
        contact_person=(contact_person or "").strip() or None,
        contact_phone=(contact_phone or "").strip() or None,
        remarks=(remarks or "").strip() or None,
        person_count=len(people),
        drafted_by=actor.name,
    )
    session.add(batch)
    await session.flush()
    assert batch.id is not None
    await _insert_people(session, batch.id, people)
    await _audit(session, actor, "handover.draft", batch, ids, employer=employer.code, agency=agency.code)
    return batch


async def edit(
    session: AsyncSession,
    actor: Actor,
    handover_id: int,
    *,
    version: int | None,
    agency_id: int,
    voucher: Voucher,
    people: Sequence[PersonItems],
    contact_person: str | None = None,
    contact_phone: str | None = None,
    remarks: str | None = None,
) -> ArchiveHandover:
    """Edit a drafted or returned batch: its agency, voucher, contact and the whole list of people (replaced)."""
    require(actor, Permission.CHANGE_REGISTRY)
    batch = await locked(session, actor, handover_id)
    rules.check_editable(batch.state)
    rules.check_version(batch.version, version)
    checked = rules.check_voucher(voucher, calendar.today())
    rules.check_people(people)
    agency = await _agency(session, actor, agency_id)
    employer = await _employer(session, batch.employer_id)
    assert batch.id is not None and agency.id is not None
    ids = [p.retiree_id for p in people]
    await _check_people(session, employer, ids, batch.id)
    before = set(await person_ids(session, batch.id))
    await session.execute(_DELETE_PEOPLE, {"handover": batch.id})
    await _insert_people(session, batch.id, people)
    batch.agency_id = agency.id
    batch.voucher_number, batch.voucher_amount, batch.voucher_date = checked.number, checked.amount, checked.paid_on
    batch.contact_person = (contact_person or "").strip() or None
    batch.contact_phone = (contact_phone or "").strip() or None
    batch.remarks = (remarks or "").strip() or None
    batch.person_count = len(people)
    batch.version += 1
    batch.updated_at = datetime.now(UTC)
    await session.flush()
    removed = sorted(before - set(ids))
    await _audit(session, actor, "handover.edit", batch, sorted(set(ids) | before), removed=removed)
    return batch


async def submit(session: AsyncSession, actor: Actor, handover_id: int) -> ArchiveHandover:
    """Submit a drafted or returned batch for receipt; its people are checked again. Submitting again answers the
    batch as it is."""
    require(actor, Permission.CHANGE_REGISTRY)
    batch = await locked(session, actor, handover_id)
    if batch.state is HandoverState.SUBMITTED:
        return batch
    rules.check_state(batch.state, EDITABLE_STATES, "提交")
    assert batch.id is not None
    employer = await _employer(session, batch.employer_id)
    ids = await person_ids(session, batch.id)
    await _check_people(session, employer, ids, batch.id)
    await session.execute(_REFRESH_DECEASED, {"handover": batch.id})
    batch.state = HandoverState.SUBMITTED
    batch.submitted_by, batch.submitted_at = actor.name, datetime.now(UTC)
    batch.version += 1
    await session.flush()
    await _audit(session, actor, "handover.submit", batch, ids)
    return batch


async def return_batch(session: AsyncSession, actor: Actor, handover_id: int, *, reason: str | None) -> ArchiveHandover:
    """3.3: the agency sends a submitted batch back with a reason (the archives do not match the form); it can be
    edited and submitted again. Returning again answers the batch as it is."""
    require(actor, Permission.CHANGE_REGISTRY)
    batch = await locked(session, actor, handover_id)
    if batch.state is HandoverState.RETURNED:
        return batch
    rules.check_state(batch.state, (HandoverState.SUBMITTED,), "退回")
    why = rules.check_reason(reason)
    assert batch.id is not None
    batch.state = HandoverState.RETURNED
    batch.returned_by, batch.returned_at, batch.return_reason = actor.name, datetime.now(UTC), why
    batch.version += 1
    await session.flush()
    await _audit(session, actor, "handover.return", batch, await person_ids(session, batch.id), reason=why)
    return batch


async def receive(
    session: AsyncSession, actor: Actor, handover_id: int, *, results: Sequence[PersonResult]
) -> ArchiveHandover:
    """3.3: the agency checks the archives against the form and the roster and confirms receipt, each person received
    or with a discrepancy (recorded; the receipt still completes). Every archive is then kept by the agency.
    Receiving again answers the batch as it is."""
    require(actor, Permission.CHANGE_REGISTRY)
    batch = await locked(session, actor, handover_id)
    if batch.state is HandoverState.RECEIVED:
        return batch
    rules.check_state(batch.state, (HandoverState.SUBMITTED,), "接收")
    assert batch.id is not None
    ids = await person_ids(session, batch.id)
    rules.check_results(ids, results)
    today = calendar.today()
    await session.execute(
        _RECEIVE,
        {
            "handover": batch.id,
            "agency": batch.agency_id,
            "on": today,
            "ids": [r.retiree_id for r in results],
            "results": [r.result.value for r in results],
            "discrepancies": [
                r.discrepancy.value if r.discrepancy and r.result is ReceiptResult.DISCREPANCY else None
                for r in results
            ],
            "remarks": [(r.remarks or "").strip() or None for r in results],
        },
    )
    batch.state = HandoverState.RECEIVED
    batch.received_by, batch.received_at, batch.received_on = actor.name, datetime.now(UTC), today
    batch.version += 1
    await session.flush()
    discrepancies = [
        {"retiree_id": r.retiree_id, "code": r.discrepancy.value}
        for r in results
        if r.result is ReceiptResult.DISCREPANCY and r.discrepancy is not None
    ]
    await _audit(session, actor, "handover.receive", batch, ids, discrepancies=discrepancies)
    return batch
