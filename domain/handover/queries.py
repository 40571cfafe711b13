"""Archive hand-over queries (3.1 - 3.3, reused by 6.1, 6.2 and 7.3): the batches in the caller's scope, one batch
with its people, an employer's retirees not yet handed over, the per-employer summary, the roster's rows (streamed),
the receiving agency's waiting count, and the batches of one retiree (the timeline)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from domain.audit import trail
from domain.employers.models import Employer
from domain.handover import rules
from domain.handover.models import (
    ARCHIVE_ITEM_LABELS,
    DISCREPANCY_LABELS,
    RECEIPT_RESULT_LABELS,
    ArchiveCustody,
    ArchiveHandover,
    ArchiveItem,
    Discrepancy,
    HandoverPerson,
    HandoverState,
    ReceiptResult,
)
from domain.handover.service import locked
from domain.institutions.models import Institution, in_subtree
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.shared.actor import Actor
from domain.shared.errors import ErrorCode, NotFound
from domain.shared.masking import mask_id_number
from domain.staff.permissions import Permission, require

T = TypeVar("T")

SEX_LABELS = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}


@dataclass(frozen=True)
class BatchRow:
    batch: ArchiveHandover
    employer: Employer
    agency: Institution


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int


@dataclass(frozen=True)
class PersonRow:
    person: HandoverPerson
    retiree: Retiree


@dataclass(frozen=True)
class Detail:
    batch: ArchiveHandover
    employer: Employer
    agency: Institution
    people: list[PersonRow]


Agency = aliased(Institution)


def _visible(actor: Actor) -> Any:
    """Batches whose receiving agency lies in the caller's query scope (1.3)."""
    return col(Agency.path).like(f"{actor.query_path}%")


async def listing(
    session: AsyncSession,
    actor: Actor,
    *,
    employer_code: str | None = None,
    state: HandoverState | None = None,
    agency_id: int | None = None,
    voucher_number: str | None = None,
    page: int = 1,
    size: int = 20,
) -> Page[BatchRow]:
    """The hand-over batches of the caller's scope, newest first, filtered by employer, state, agency, voucher."""
    require(actor, Permission.READ_REGISTRY)
    query = (
        select(ArchiveHandover, Employer, Agency)
        .join(Employer, col(Employer.id) == col(ArchiveHandover.employer_id))
        .join(Agency, col(Agency.id) == col(ArchiveHandover.agency_id))
        .where(_visible(actor))
    )
    if employer_code:
        query = query.where(col(Employer.code) == employer_code.strip())
    if state is not None:
        query = query.where(col(ArchiveHandover.state) == state.value)
    if agency_id is not None:
        query = query.where(col(ArchiveHandover.agency_id) == agency_id)
    if voucher_number:
        query = query.where(col(ArchiveHandover.voucher_number) == voucher_number.strip())
    total = int((await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one())
    rows = await session.execute(query.order_by(col(ArchiveHandover.id).desc()).offset((page - 1) * size).limit(size))
    return Page([BatchRow(b, e, a) for b, e, a in rows.all()], total, page, size)


async def detail(session: AsyncSession, actor: Actor, handover_id: int) -> Detail:
    """One batch with its people (names in full for checking the archives, ID numbers masked); audited."""
    require(actor, Permission.READ_REGISTRY)
    batch = await locked(session, actor, handover_id, lock=False)
    employer = await session.get(Employer, batch.employer_id)
    agency = await session.get(Institution, batch.agency_id)
    assert employer is not None and agency is not None
    rows = await session.execute(
        select(HandoverPerson, Retiree)
        .join(Retiree, col(Retiree.id) == col(HandoverPerson.retiree_id))
        .where(col(HandoverPerson.handover_id) == handover_id)
        .order_by(col(HandoverPerson.id))
    )
    people = [PersonRow(p, r) for p, r in rows.all()]
    await trail.record(session, actor, "handover.view", target=f"handover:{batch.number}")
    return Detail(batch, employer, agency, people)


async def employer_by_code(session: AsyncSession, actor: Actor, code: str) -> Employer:
    require(actor, Permission.READ_REGISTRY)
    rules.check_agency_staff(actor.institution_path)
    employer = (await session.execute(select(Employer).where(col(Employer.code) == code.strip()))).scalar_one_or_none()
    if employer is None:
        raise NotFound(ErrorCode.HANDOVER_EMPLOYER_NOT_FOUND, "未找到该单位")
    return employer


async def search_employers(session: AsyncSession, actor: Actor, q: str, *, limit: int = 20) -> list[Employer]:
    """Employers by code prefix or name fragment, for the operator picking the employer at the window."""
    require(actor, Permission.READ_REGISTRY)
    rules.check_agency_staff(actor.institution_path)
    term = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(Employer).order_by(col(Employer.code)).limit(limit)
    if term:
        query = query.where(or_(col(Employer.code).like(f"{term}%"), col(Employer.name).like(f"%{term}%")))
    return list((await session.execute(query)).scalars())


def _handed_over() -> Any:
    return exists().where(col(ArchiveCustody.retiree_id) == col(Retiree.id))


def _in_open_batch() -> Any:
    return exists().where(and_(col(HandoverPerson.retiree_id) == col(Retiree.id), col(HandoverPerson.open)))


def _not_handed_over(code: str) -> Any:
    return (
        select(Retiree)
        .where(col(Retiree.employer_code) == code)
        .where(col(Retiree.status) != Status.MOVED_AWAY.value)
        .where(~_handed_over())
        .where(~_in_open_batch())
    )


@dataclass(frozen=True)
class Candidate:
    retiree: Retiree
    in_own_scope: bool  # managed inside the caller's subtree: the name is shown in full, else masked (as 6.7)


async def not_handed_over(
    session: AsyncSession, actor: Actor, employer_code: str, *, page: int = 1, size: int = 20
) -> tuple[Employer, Page[Candidate]]:
    """The employer's retirees (still in the city; the deceased included, as their archives are handed over too)
    whose archive has not been received and who are in no open batch — to pick a batch's people from."""
    employer = await employer_by_code(session, actor, employer_code)
    query = _not_handed_over(employer.code)
    total = int((await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one())
    rows = await session.execute(
        query.add_columns(col(Institution.path))
        .outerjoin(Institution, col(Institution.id) == col(Retiree.institution_id))
        .order_by(col(Retiree.personal_number))
        .offset((page - 1) * size)
        .limit(size)
    )
    return employer, Page([Candidate(r, actor.covers(path)) for r, path in rows.all()], total, page, size)


@dataclass(frozen=True)
class Summary:
    employer_code: str
    employer_name: str
    total: int
    handed_over: int
    in_progress: int
    not_handed_over: int
    with_discrepancy: int


def summary_query(employer_codes: Any) -> Any:
    """Per employer: handed over (received), in progress (in an open batch), not handed over (still in the city),
    and handed over with a discrepancy noted — one grouped statement, for 3.1 and reusable by 6.1/6.2."""
    custody = col(ArchiveCustody.retiree_id).is_not(None)
    open_ = col(HandoverPerson.retiree_id).is_not(None)
    return (
        select(
            col(Retiree.employer_code),
            func.count().filter(custody),
            func.count().filter(~custody & open_),
            func.count().filter(~custody & ~open_ & (col(Retiree.status) != Status.MOVED_AWAY.value)),
            func.count().filter(col(ArchiveCustody.discrepancy).is_not(None)),
        )
        .outerjoin(ArchiveCustody, col(ArchiveCustody.retiree_id) == col(Retiree.id))
        .outerjoin(HandoverPerson, and_(col(HandoverPerson.retiree_id) == col(Retiree.id), col(HandoverPerson.open)))
        .where(col(Retiree.employer_code).in_(employer_codes))
        .group_by(col(Retiree.employer_code))
    )


async def summary(session: AsyncSession, actor: Actor, employer_code: str) -> Summary:
    employer = await employer_by_code(session, actor, employer_code)
    row = (await session.execute(summary_query([employer.code]))).first()
    handed, progress, waiting, discrepancy = (int(n) for n in row[1:]) if row else (0, 0, 0, 0)
    return Summary(employer.code, employer.name, handed + progress + waiting, handed, progress, waiting, discrepancy)


def items_label(items: Sequence[str]) -> str:
    return "、".join(ARCHIVE_ITEM_LABELS[ArchiveItem(i)] if i in set(ArchiveItem) else i for i in items)


def result_label(person: HandoverPerson) -> str:
    if person.result is None:
        return "待接收"
    text = RECEIPT_RESULT_LABELS[ReceiptResult(person.result)]
    if person.discrepancy is not None:
        text += f"：{DISCREPANCY_LABELS[Discrepancy(person.discrepancy)]}"
    if person.receipt_remarks:
        text += f"（{person.receipt_remarks}）"
    if person.deceased:
        text += "；已故"
    return text


async def roster_rows(
    session: AsyncSession, handover_id: int
) -> AsyncIterator[tuple[int, str, str, str, str, date, date | None, str, int, str]]:
    """The roster's rows (3.2) streamed from the database: 序号, 个人编号, 姓名, 性别, 身份证号 (masked), 出生日期,
    退休日期, 移交材料, 份数, 接收结果/备注. The caller checked the batch is the actor's."""
    result = await session.stream(
        select(HandoverPerson, Retiree)
        .join(Retiree, col(Retiree.id) == col(HandoverPerson.retiree_id))
        .where(col(HandoverPerson.handover_id) == handover_id)
        .order_by(col(HandoverPerson.id))
        .execution_options(yield_per=500)
    )
    n = 0
    async for person, retiree in result:
        n += 1
        yield (
            n,
            retiree.personal_number,
            retiree.name,
            SEX_LABELS.get(retiree.sex, retiree.sex),
            mask_id_number(retiree.id_number) or "",
            retiree.birth_date,
            retiree.retirement_date,
            items_label(person.items),
            person.copies,
            result_label(person),
        )


def waiting_count(actor: Actor) -> Any:
    """The worklist's count (a scalar subquery): submitted batches waiting for an agency of the caller's scope."""
    return (
        select(func.count())
        .select_from(ArchiveHandover)
        .join(Institution, col(ArchiveHandover.agency_id) == col(Institution.id))
        .where(in_subtree(actor.query_path))
        .where(col(ArchiveHandover.state) == HandoverState.SUBMITTED.value)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class RetireeBatch:
    number: str
    state: HandoverState
    agency: str
    submitted_at: datetime | None
    received_at: datetime | None
    result: ReceiptResult | None
    discrepancy: Discrepancy | None


async def of_retiree(session: AsyncSession, retiree_id: int) -> list[RetireeBatch]:
    """The batches a retiree was submitted in (for the timeline)."""
    rows = await session.execute(
        select(ArchiveHandover, HandoverPerson, col(Institution.name))
        .join(HandoverPerson, col(HandoverPerson.handover_id) == col(ArchiveHandover.id))
        .join(Institution, col(Institution.id) == col(ArchiveHandover.agency_id))
        .where(col(HandoverPerson.retiree_id) == retiree_id)
        .order_by(col(ArchiveHandover.id))
    )
    return [
        RetireeBatch(b.number, b.state, name, b.submitted_at, b.received_at, p.result, p.discrepancy)
        for b, p, name in rows.all()
    ]
