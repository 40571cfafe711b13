"""4.10 调资情况反馈: a retiree's objection (异议) to this year's pension adjustment.

- The community records it (who objects, the year, a category of :class:`ObjectionCategory`, a description, a
  contact phone): the person must be in the caller's scope and have an adjustment that year — except for 未享受调整,
  which is exactly the objection of someone the year's adjustment left out (then the person must be under the
  community's management and the year one the province adjusted). One open objection per person, year and category:
  submitting it again answers the open one (idempotent), changing nothing.
- Recording it sends it to the person's insuring agency at once (``agency_code``, the person's insuring-agency code):
  it is in the worklist of every staff member whose scope holds the institution with that code — the district agency,
  or the city bureau (130100) — and of nobody else's.
- The agency (or the city) answers: 核实无误, 已更正 (with the corrected amount or a note) or 不予受理 (with the
  reason); the community sees the answer. The community may withdraw an objection not yet answered.

Every step is audited and on the person's timeline. The person's status does not change (no status-change entry),
and nothing is pushed to the province: the correction itself is made by the agency in the provincial pension system,
whose next adjustment record (2.5) brings the corrected amount here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.adjustments.models import (
    AdjustmentObjection,
    ObjectionCategory,
    ObjectionResult,
    ObjectionState,
    PensionAdjustment,
)
from domain.audit import trail
from domain.institutions import service as institutions
from domain.institutions.models import Institution, in_subtree
from domain.reports.distribution import MANAGED, OWN_LEVEL_LABEL
from domain.retirees import service as retirees
from domain.retirees.models import Retiree
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require


@dataclass(frozen=True)
class ObjectionInput:
    retiree_id: int
    adjustment_year: int
    category: ObjectionCategory
    description: str
    contact_phone: str | None = None


@dataclass(frozen=True)
class AnswerInput:
    result: ObjectionResult
    corrected_amount: Decimal | None = None
    note: str | None = None


def check_answer(given: AnswerInput) -> AnswerInput:
    """Pure: a rejection names its reason; a correction its corrected amount (above zero) or a note."""
    note = given.note.strip() if given.note else None
    if given.result is ObjectionResult.REJECTED and not note:
        raise DomainError(ErrorCode.OBJECTION_REASON_REQUIRED, "不予受理须填写原因", field="note")
    if given.result is ObjectionResult.CORRECTED:
        if given.corrected_amount is not None and given.corrected_amount <= 0:
            raise DomainError(ErrorCode.OBJECTION_CORRECTION_REQUIRED, "更正后的金额应大于零", field="corrected_amount")
        if given.corrected_amount is None and not note:
            raise DomainError(
                ErrorCode.OBJECTION_CORRECTION_REQUIRED, "已更正须填写更正后的金额或更正说明", field="corrected_amount"
            )
    amount = given.corrected_amount if given.result is ObjectionResult.CORRECTED else None
    return AnswerInput(given.result, amount, note or None)


def _agency_codes(actor: Actor) -> Any:
    return select(col(Institution.code)).where(in_subtree(actor.query_path))


def waiting_for(actor: Actor) -> ColumnElement[bool]:
    """Open objections whose insuring agency is an institution of the caller's scope: the agency's worklist."""
    return (col(AdjustmentObjection.state) == ObjectionState.OPEN.value) & col(AdjustmentObjection.agency_code).in_(
        _agency_codes(actor)
    )


def visible(actor: Actor) -> ColumnElement[bool]:
    """The community's side (the person's community in scope) or the agency's (the insuring agency in scope)."""
    communities = select(col(Institution.id)).where(in_subtree(actor.query_path))
    return or_(
        col(AdjustmentObjection.community_id).in_(communities),
        col(AdjustmentObjection.agency_code).in_(_agency_codes(actor)),
    )


def waiting_count(actor: Actor) -> Any:
    """The worklist's count (a scalar subquery): objections waiting for an answer from an agency of the scope."""
    return select(func.count()).select_from(AdjustmentObjection).where(waiting_for(actor)).scalar_subquery()


async def _open(session: AsyncSession, given: ObjectionInput) -> AdjustmentObjection | None:
    return (
        await session.execute(
            select(AdjustmentObjection)
            .where(col(AdjustmentObjection.retiree_id) == given.retiree_id)
            .where(col(AdjustmentObjection.adjustment_year) == given.adjustment_year)
            .where(col(AdjustmentObjection.category) == given.category.value)
            .where(col(AdjustmentObjection.state) == ObjectionState.OPEN.value)
        )
    ).scalar_one_or_none()


async def _check_adjusted(session: AsyncSession, retiree: Retiree, given: ObjectionInput) -> None:
    adjusted = exists().where(
        col(PensionAdjustment.retiree_id) == retiree.id, col(PensionAdjustment.adjustment_year) == given.adjustment_year
    )
    if (await session.execute(select(adjusted))).scalar_one():
        return
    if given.category is ObjectionCategory.NOT_ADJUSTED and retiree.status in MANAGED:
        year_adjusted = exists().where(col(PensionAdjustment.adjustment_year) == given.adjustment_year)
        if (await session.execute(select(year_adjusted))).scalar_one():
            return
    raise DomainError(
        ErrorCode.OBJECTION_NO_ADJUSTMENT,
        f"该人员没有{given.adjustment_year}年的调资记录，不能登记对该年度调资的异议",
        field="adjustment_year",
    )


async def record(uow: UnitOfWork, actor: Actor, given: ObjectionInput) -> tuple[AdjustmentObjection, bool]:
    """Record an objection (sent to the insuring agency at once); ``(objection, created)``. The same open
    objection submitted again is returned unchanged with ``created`` false."""
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    retiree = await retirees.in_scope(session, actor, given.retiree_id)
    assert retiree.id is not None
    if retiree.institution_id is None:
        raise NotFound(ErrorCode.RETIREE_NOT_FOUND, "该人员尚未在社区登记，不能登记调资异议")
    description = given.description.strip()
    if not description:
        raise DomainError(ErrorCode.OBJECTION_DESCRIPTION_REQUIRED, "请填写异议内容", field="description")
    await _check_adjusted(session, retiree, given)
    existing = await _open(session, given)
    if existing is not None:
        return existing, False
    phone = given.contact_phone.strip() if given.contact_phone else None
    row = AdjustmentObjection(
        retiree_id=retiree.id,
        adjustment_year=given.adjustment_year,
        category=given.category,
        description=description,
        contact_phone=phone or None,
        community_id=retiree.institution_id,
        agency_code=retiree.insuring_agency_code,
        state=ObjectionState.OPEN,
        recorded_by=actor.name,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # the same objection recorded at the same moment by another request
        existing = await _open(session, given)
        if existing is None:
            raise
        return existing, False
    await trail.record(
        session,
        actor,
        "adjustment_objection.recorded",
        retiree_id=retiree.id,
        target=retiree.personal_number,
        detail={
            "objection_id": row.id,
            "year": given.adjustment_year,
            "category": given.category.value,
            "agency_code": row.agency_code,
        },
    )
    return row, True


async def _visible_row(session: AsyncSession, actor: Actor, objection_id: int, *, lock: bool) -> AdjustmentObjection:
    query = select(AdjustmentObjection).where(col(AdjustmentObjection.id) == objection_id).where(visible(actor))
    row = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if row is None:
        raise NotFound(ErrorCode.OBJECTION_NOT_FOUND, "未找到该调资异议，或不在本机构管辖范围内")
    return row


async def agency_of(session: AsyncSession, code: str) -> Institution | None:
    return (await session.execute(select(Institution).where(col(Institution.code) == code))).scalar_one_or_none()


async def answer(uow: UnitOfWork, actor: Actor, objection_id: int, given: AnswerInput) -> AdjustmentObjection:
    """The insuring agency's (or the city's) answer; refused for anyone else, and once answered or withdrawn."""
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    row = await _visible_row(session, actor, objection_id, lock=True)
    agency = await agency_of(session, row.agency_code)
    if not actor.covers(agency.path if agency else None):
        raise Forbidden(ErrorCode.OBJECTION_AGENCY_ONLY, "调资异议由参保经办机构（或市级）核实答复，社区不能答复")
    if row.state is not ObjectionState.OPEN:
        raise Conflict(ErrorCode.OBJECTION_CLOSED, "该异议已答复或已撤回，不能再答复")
    checked = check_answer(given)
    row.state, row.result = ObjectionState.ANSWERED, checked.result
    row.corrected_amount, row.answer_note = checked.corrected_amount, checked.note
    row.answered_by, row.answered_at = actor.name, datetime.now(UTC)
    await session.flush()
    await trail.record(
        session,
        actor,
        "adjustment_objection.answered",
        retiree_id=row.retiree_id,
        target=str(row.id),
        detail={
            "result": checked.result.value,
            "corrected_amount": str(checked.corrected_amount) if checked.corrected_amount is not None else None,
        },
    )
    return row


async def withdraw(uow: UnitOfWork, actor: Actor, objection_id: int) -> AdjustmentObjection:
    """The community withdraws an objection not yet answered."""
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    row = await _visible_row(session, actor, objection_id, lock=True)
    community = await session.get(Institution, row.community_id)
    if not actor.covers(community.path if community else None):
        raise Forbidden(ErrorCode.OBJECTION_COMMUNITY_ONLY, "只有登记异议的社区（或其上级）可以撤回")
    if row.state is not ObjectionState.OPEN:
        raise Conflict(ErrorCode.OBJECTION_CLOSED, "该异议已答复或已撤回，不能撤回")
    row.state, row.withdrawn_by, row.withdrawn_at = ObjectionState.WITHDRAWN, actor.name, datetime.now(UTC)
    await session.flush()
    await trail.record(session, actor, "adjustment_objection.withdrawn", retiree_id=row.retiree_id, target=str(row.id))
    return row


@dataclass(frozen=True)
class Listed:
    objection: AdjustmentObjection
    retiree: Retiree
    community: Institution


async def read(uow: UnitOfWork, actor: Actor, objection_id: int) -> Listed:
    """One objection with the contact phone unmasked (to call back); audited like a detail view."""
    require(actor, Permission.READ_REGISTRY)
    session = uow.session
    row = await _visible_row(session, actor, objection_id, lock=False)
    retiree = await session.get(Retiree, row.retiree_id)
    community = await session.get(Institution, row.community_id)
    assert retiree is not None and community is not None
    await trail.record(
        session, actor, "adjustment_objection.viewed", retiree_id=row.retiree_id, target=str(objection_id)
    )
    return Listed(row, retiree, community)


@dataclass(frozen=True)
class ListFilter:
    year: int | None = None
    state: ObjectionState | None = None
    institution_id: int | None = None  # objections of people of this institution's subtree (in the caller's scope)
    waiting: bool = False  # only those waiting for an answer from an agency of the caller's scope


async def listing(
    session: AsyncSession, actor: Actor, filters: ListFilter, *, page: int, size: int
) -> tuple[Sequence[Listed], int]:
    """Objections the caller sees, newest first."""
    require(actor, Permission.READ_REGISTRY)
    conditions: list[ColumnElement[bool]] = [waiting_for(actor) if filters.waiting else visible(actor)]
    if filters.year is not None:
        conditions.append(col(AdjustmentObjection.adjustment_year) == filters.year)
    if filters.state is not None:
        conditions.append(col(AdjustmentObjection.state) == filters.state.value)
    if filters.institution_id is not None:
        institution = await institutions.visible(session, actor, filters.institution_id)
        conditions.append(in_subtree(institution.path))
    base = (
        select(AdjustmentObjection, Retiree, Institution)
        .join(Retiree, col(Retiree.id) == col(AdjustmentObjection.retiree_id))
        .join(Institution, col(Institution.id) == col(AdjustmentObjection.community_id))
        .where(*conditions)
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(
        base.order_by(col(AdjustmentObjection.id).desc()).offset((page - 1) * size).limit(size)
    )
    return [Listed(o, r, i) for o, r, i in rows.all()], int(total)


async def of_retiree(session: AsyncSession, retiree_id: int) -> list[AdjustmentObjection]:
    rows = await session.execute(
        select(AdjustmentObjection)
        .where(col(AdjustmentObjection.retiree_id) == retiree_id)
        .order_by(col(AdjustmentObjection.id))
    )
    return list(rows.scalars())


# --- the summary (汇总), per unit under the caller's scope ------------------------------------------------------------

SUMMARY_STATES = ("open", *(r.value for r in ObjectionResult), "withdrawn")  # open, each answer, withdrawn

_SUMMARY_GROUPS = text(
    """
    SELECT split_part(substr(i.path, :depth), '/', 1) AS unit, o.category, o.state, o.result, count(*) AS n
    FROM adjustment_objection o JOIN institution i ON i.id = o.community_id
    WHERE i.path LIKE :prefix AND o.adjustment_year = :year
    GROUP BY 1, 2, 3, 4
    """
)


@dataclass
class SummaryCounts:
    total: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in ObjectionCategory})
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMMARY_STATES, 0))

    def add(self, category: str, state: str, result: str | None, n: int) -> None:
        self.total += n
        self.by_category[category] = self.by_category.get(category, 0) + n
        key = result if state == ObjectionState.ANSWERED.value and result else state
        self.by_state[key] = self.by_state.get(key, 0) + n


@dataclass(frozen=True)
class SummaryRow:
    code: str
    name: str
    counts: SummaryCounts


@dataclass(frozen=True)
class Summary:
    year: int
    scope_name: str
    rows: list[SummaryRow]  # the scope's children, then 本级直管 when there is any
    total: SummaryCounts


async def summary(session: AsyncSession, actor: Actor, year: int) -> Summary:
    """The objections of ``year`` per institution one level under the caller's scope (as 7.2's rows): total, by
    category, by state (open, each answer, withdrawn) — one grouped query."""
    require(actor, Permission.READ_REGISTRY)
    prefix = actor.query_path
    node = (await session.execute(select(Institution).where(col(Institution.path) == prefix))).scalar_one_or_none()
    children = (
        await session.execute(
            select(Institution)
            .where(col(Institution.parent_id) == node.id if node else col(Institution.parent_id).is_(None))
            .order_by(col(Institution.code))
        )
    ).scalars()
    by_unit: dict[str, SummaryCounts] = defaultdict(SummaryCounts)
    total = SummaryCounts()
    groups = await session.execute(_SUMMARY_GROUPS, {"depth": len(prefix) + 1, "prefix": f"{prefix}%", "year": year})
    for unit, category, state, result, n in groups.all():
        for counts in (by_unit[unit], total):
            counts.add(category, state, result, int(n))
    rows = [SummaryRow(child.code, child.name, by_unit.get(str(child.id), SummaryCounts())) for child in children]
    if "" in by_unit:
        rows.append(SummaryRow(node.code if node else "", OWN_LEVEL_LABEL, by_unit[""]))
    return Summary(year, node.name if node else "全市", rows, total)


async def agency_paths(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    """The institution paths of insuring-agency codes (to tell who may answer)."""
    if not codes:
        return {}
    rows = await session.execute(
        select(col(Institution.code), col(Institution.path)).where(col(Institution.code).in_(codes))
    )
    return {code: path for code, path in rows.all()}
