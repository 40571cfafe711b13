"""The brake on mass suspensions (4.5, issue 14).

A night's run first counts its candidates set-based, per rule and per managing institution (the community; a
retiree not yet registered has none). Then:

- an institution whose candidates exceed ``suspension_brake_institution`` has all of them held;
- if the rest of the night still exceeds ``suspension_brake_city``, all of the rest is held too;
- exactly the threshold passes, one more holds.

Held people go into one batch (``suspension_batch`` + ``suspension_batch_person``) for a city-level operator, who
approves all of it, some institutions or some people — each suspended through the same set-based path as the nightly
run (domain/suspensions/overdue.py: status-change log with the rule's reason code, effective the batch's night, the
event to the province, audit), skipping anyone no longer due — or rejects the rest (nobody suspended; the next night
finds them again unless fixed). While a batch is open its people are neither suspended nor held again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import false, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.dictionary.service import parameter_int
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require
from domain.suspensions import gate
from domain.suspensions.models import BatchPerson, BatchState, Outcome, SuspensionBatch
from domain.suspensions.overdue import REASONS, Cutoffs, Rule, cutoffs, due, suspend_approved

NO_INSTITUTION = "未登记（无管理机构）"
APPROVAL_CHUNK = 5000  # approved people suspended per statement group, as the nightly run's chunks


@dataclass(frozen=True)
class Thresholds:
    city: int
    institution: int


@dataclass(frozen=True)
class BrakeDecision:
    """Which candidates the brake holds: every institution above its own threshold, and — if what is left still
    exceeds the city's — everyone else too."""

    held_institutions: frozenset[int]
    city_held: bool

    def holds(self, institution_id: int | None) -> bool:
        return self.city_held or institution_id in self.held_institutions

    @property
    def holds_any(self) -> bool:
        return self.city_held or bool(self.held_institutions)


def decide(per_institution: Mapping[int | None, int], thresholds: Thresholds) -> BrakeDecision:
    """The brake's arithmetic: ``per_institution`` is the night's candidates per managing institution (``None``:
    not registered anywhere, counted against the city only)."""
    over = frozenset(i for i, n in per_institution.items() if i is not None and n > thresholds.institution)
    rest = sum(n for i, n in per_institution.items() if i not in over)
    return BrakeDecision(over, rest > thresholds.city)


async def thresholds(session: AsyncSession) -> Thresholds:
    return Thresholds(
        city=await parameter_int(session, "suspension_brake_city"),
        institution=await parameter_int(session, "suspension_brake_institution"),
    )


@dataclass(frozen=True)
class InstitutionCount:
    institution_id: int | None
    name: str
    count: int
    per_rule: dict[str, int]


@dataclass
class Preview:
    """What tonight's run would do, computed without changing anything."""

    night: date
    thresholds: Thresholds
    per_rule: dict[Rule, int]
    institutions_over: list[InstitutionCount]  # above the per-institution threshold, largest first
    decision: BrakeDecision
    would_hold: int
    would_suspend: int
    held_rules: dict[Rule, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.per_rule.values())


async def candidates(
    session: AsyncSession, limits: Cutoffs, rules: Collection[Rule] = tuple(Rule)
) -> dict[tuple[Rule, int | None], int]:
    """The night's candidates per rule and managing institution: one GROUP BY per rule, no loop over people."""
    counts: dict[tuple[Rule, int | None], int] = {}
    for rule in rules:
        rows = await session.execute(
            text(f"SELECT institution_id, count(*) FROM retiree WHERE {due(rule)} GROUP BY institution_id"),
            {"before": limits.before(rule)},
        )
        for institution_id, n in rows.all():
            counts[(rule, institution_id)] = int(n)
    return counts


async def preview(session: AsyncSession, today: date, rules: Collection[Rule] = tuple(Rule)) -> Preview:
    limits = await cutoffs(session, today)
    limit = await thresholds(session)
    counts = await candidates(session, limits, rules)
    return await _preview(session, limits, limit, counts, rules)


async def _preview(
    session: AsyncSession,
    limits: Cutoffs,
    limit: Thresholds,
    counts: Mapping[tuple[Rule, int | None], int],
    rules: Collection[Rule],
) -> Preview:
    per_institution: dict[int | None, int] = {}
    per_rule: dict[Rule, int] = dict.fromkeys(rules, 0)
    for (rule, institution_id), n in counts.items():
        per_institution[institution_id] = per_institution.get(institution_id, 0) + n
        per_rule[rule] += n
    decision = decide(per_institution, limit)
    held_rules: dict[Rule, int] = dict.fromkeys(rules, 0)
    for (rule, institution_id), n in counts.items():
        if decision.holds(institution_id):
            held_rules[rule] += n
    over = [i for i in per_institution if i is not None and i in decision.held_institutions]
    names = await _names(session, over)
    institutions_over = sorted(
        (
            InstitutionCount(
                i,
                names.get(i, str(i)),
                per_institution[i],
                {r.value: n for (r, j), n in counts.items() if j == i},
            )
            for i in over
        ),
        key=lambda c: (-c.count, c.name),
    )
    would_hold = sum(held_rules.values())
    return Preview(
        night=limits.today,
        thresholds=limit,
        per_rule=per_rule,
        institutions_over=institutions_over,
        decision=decision,
        would_hold=would_hold,
        would_suspend=sum(per_rule.values()) - would_hold,
        held_rules=held_rules,
    )


async def _names(session: AsyncSession, ids: Collection[int | None]) -> dict[int | None, str]:
    known = [i for i in ids if i is not None]
    names: dict[int | None, str] = {None: NO_INSTITUTION}
    if known:
        rows = await session.execute(text("SELECT id, name FROM institution WHERE id = ANY(:ids)"), {"ids": known})
        names.update({i: n for i, n in rows.all()})
    return names


async def hold(
    uow: UnitOfWork, actor: Actor, today: date, rules: Collection[Rule] = tuple(Rule)
) -> tuple[Preview, SuspensionBatch | None]:
    """Count tonight's candidates and, if the brake holds any, put them into a new batch (one INSERT … SELECT per
    rule) in the caller's transaction. The nightly run then suspends the rest as before: held people are excluded
    from its queries."""
    session = uow.session
    limits = await cutoffs(session, today)
    plan = await _preview(session, limits, await thresholds(session), await candidates(session, limits, rules), rules)
    if not plan.decision.holds_any:
        return plan, None
    batch = SuspensionBatch(night=today, state=BatchState.HELD, why=_why(plan))
    session.add(batch)
    await session.flush()
    for rule in rules:
        await session.execute(
            text(
                "INSERT INTO suspension_batch_person "
                "(batch_id, retiree_id, rule, reason_code, institution_id, outcome) "
                f"SELECT :batch, id, :rule, :reason, institution_id, 'held' FROM retiree WHERE {due(rule)} "
                "AND (:everyone OR institution_id = ANY(:institutions)) "
                "ON CONFLICT (retiree_id) WHERE outcome = 'held' DO NOTHING"
            ),
            {
                "batch": batch.id,
                "rule": rule.value,
                "reason": REASONS[rule].value,
                "before": limits.before(rule),
                "everyone": plan.decision.city_held,
                "institutions": sorted(plan.decision.held_institutions),
            },
        )
    await _recount(session, batch)
    await trail.record(
        session,
        actor,
        "suspension_batch.held",
        target=f"suspension_batch/{batch.id}",
        detail={"night": today.isoformat(), "held": batch.held, "per_rule": batch.per_rule, "why": batch.why},
    )
    return plan, batch


def _why(plan: Preview) -> str:
    parts = []
    if plan.decision.held_institutions:
        parts.append(
            f"{len(plan.decision.held_institutions)} 个管理机构超过单机构上限 {plan.thresholds.institution} 人"
        )
    if plan.decision.city_held:
        parts.append(f"其余人数超过全市上限 {plan.thresholds.city} 人")
    return "；".join(parts)


async def _recount(session: AsyncSession, batch: SuspensionBatch) -> None:
    """The batch's counts per rule and per institution, from its people (all outcomes)."""
    rows = (
        await session.execute(
            text(
                "SELECT institution_id, rule, count(*) FROM suspension_batch_person WHERE batch_id = :batch "
                "GROUP BY institution_id, rule"
            ),
            {"batch": batch.id},
        )
    ).all()
    per_rule: dict[str, int] = {}
    per_institution: dict[int | None, dict[str, int]] = {}
    for institution_id, rule, n in rows:
        per_rule[rule] = per_rule.get(rule, 0) + int(n)
        per_institution.setdefault(institution_id, {})[rule] = int(n)
    names = await _names(session, list(per_institution))
    batch.per_rule = per_rule
    batch.per_institution = sorted(
        (
            {
                "institution_id": i,
                "name": names.get(i, str(i)),
                "count": sum(by_rule.values()),
                "per_rule": by_rule,
            }
            for i, by_rule in per_institution.items()
        ),
        key=lambda c: (-int(c["count"]), str(c["name"])),
    )
    batch.held = sum(per_rule.values())


def require_city_operator(actor: Actor) -> None:
    require(actor, Permission.CHANGE_REGISTRY)
    if not actor.is_city_level:
        raise Forbidden(ErrorCode.CITY_LEVEL_ONLY, "挂起的批量暂停仅市级经办人可以查看和审批")


def require_city_reader(actor: Actor) -> None:
    require(actor, Permission.READ_REGISTRY)
    if not actor.is_city_level:
        raise Forbidden(ErrorCode.CITY_LEVEL_ONLY, "挂起的批量暂停仅市级经办人可以查看和审批")


async def _open_batch(session: AsyncSession, batch_id: int) -> SuspensionBatch:
    batch = (
        await session.execute(select(SuspensionBatch).where(col(SuspensionBatch.id) == batch_id).with_for_update())
    ).scalar_one_or_none()
    if batch is None:
        raise NotFound(ErrorCode.SUSPENSION_BATCH_NOT_FOUND, f"没有编号为 {batch_id} 的批量暂停批次")
    if batch.state is not BatchState.HELD:
        raise Conflict(ErrorCode.SUSPENSION_BATCH_DECIDED, f"批次 {batch_id} 已审批完毕，不能再次审批")
    return batch


@dataclass(frozen=True)
class Decision:
    batch: SuspensionBatch
    suspended: int
    skipped: int
    rejected: int


async def approve(
    uow: UnitOfWork,
    actor: Actor,
    batch_id: int,
    *,
    retiree_ids: Collection[int] | None = None,
    institution_ids: Collection[int | None] | None = None,
) -> Decision:
    """Approve all of a held batch (no selection), or its people in ``institution_ids`` / ``retiree_ids``: each is
    suspended if the rule still finds them due on the batch's night, else skipped. The batch stays open while
    anyone in it is still held."""
    require_city_operator(actor)
    session = uow.session
    await gate.require_migration_complete(session)  # issue 17: approving suspends, so not before go-live
    batch = await _open_batch(session, batch_id)
    chosen = select(col(BatchPerson.retiree_id), col(BatchPerson.rule)).where(
        col(BatchPerson.batch_id) == batch_id, col(BatchPerson.outcome) == Outcome.HELD
    )
    if retiree_ids is not None:
        chosen = chosen.where(col(BatchPerson.retiree_id).in_(list(retiree_ids)))
    if institution_ids is not None:
        wanted = [i for i in institution_ids if i is not None]
        unregistered = col(BatchPerson.institution_id).is_(None) if None in institution_ids else false()
        chosen = chosen.where(or_(col(BatchPerson.institution_id).in_(wanted), unregistered))
    people = (await session.execute(chosen.order_by(col(BatchPerson.retiree_id)))).all()
    if not people:
        raise DomainError(
            ErrorCode.SUSPENSION_BATCH_EMPTY_SELECTION, "所选人员均不在该批次的待审批名单中", field="selection"
        )
    limits = await cutoffs(session, batch.night)
    by_rule: dict[Rule, list[int]] = {}
    for retiree_id, rule in people:
        by_rule.setdefault(Rule(rule), []).append(retiree_id)
    suspended: list[int] = []
    for rule, ids in by_rule.items():
        for start in range(0, len(ids), APPROVAL_CHUNK):  # one transaction; statements of a bounded size
            suspended += await suspend_approved(
                uow,
                actor,
                rule,
                limits,
                ids[start : start + APPROVAL_CHUNK],
                cause_ref=f"{rule.value}:{batch.night.isoformat()}:batch-{batch_id}",
            )
    every = [retiree_id for retiree_id, _ in people]
    skipped = sorted(set(every) - set(suspended))
    await _mark(session, batch_id, suspended, Outcome.SUSPENDED)
    await _mark(session, batch_id, skipped, Outcome.SKIPPED)
    await _close_if_decided(session, actor, batch)
    await trail.record(
        session,
        actor,
        "suspension_batch.approved",
        target=f"suspension_batch/{batch_id}",
        detail={
            "selection": "all" if retiree_ids is None and institution_ids is None else "part",
            "institution_ids": sorted(map(str, institution_ids)) if institution_ids is not None else None,
            "retiree_ids": len(list(retiree_ids)) if retiree_ids is not None else None,
            "suspended": len(suspended),
            "skipped": len(skipped),
        },
    )
    return Decision(batch, len(suspended), len(skipped), 0)


async def reject(uow: UnitOfWork, actor: Actor, batch_id: int, reason: str) -> Decision:
    """Reject everyone still held in the batch: nobody suspended; the rules find them again next night."""
    require_city_operator(actor)
    session = uow.session
    batch = await _open_batch(session, batch_id)
    result = await session.execute(
        update(BatchPerson)
        .where(col(BatchPerson.batch_id) == batch_id, col(BatchPerson.outcome) == Outcome.HELD)
        .values(outcome=Outcome.REJECTED)
    )
    rejected = int(getattr(result, "rowcount", 0) or 0)
    batch.rejection_reason = reason
    await _close_if_decided(session, actor, batch)
    await trail.record(
        session,
        actor,
        "suspension_batch.rejected",
        target=f"suspension_batch/{batch_id}",
        detail={"reason": reason, "rejected": rejected},
    )
    return Decision(batch, 0, 0, rejected)


async def _mark(session: AsyncSession, batch_id: int, ids: list[int], outcome: Outcome) -> None:
    if ids:
        await session.execute(
            update(BatchPerson)
            .where(col(BatchPerson.batch_id) == batch_id, col(BatchPerson.retiree_id).in_(ids))
            .values(outcome=outcome)
        )


async def _close_if_decided(session: AsyncSession, actor: Actor, batch: SuspensionBatch) -> None:
    counts = await outcomes(session, batch.id or 0)
    batch.decided_by = actor.name
    batch.decided_at = datetime.now(UTC)
    if counts.get(Outcome.HELD, 0):
        return
    approved = counts.get(Outcome.SUSPENDED, 0) + counts.get(Outcome.SKIPPED, 0)
    if not approved:
        batch.state = BatchState.REJECTED
    elif counts.get(Outcome.REJECTED, 0):
        batch.state = BatchState.PARTLY_APPROVED
    else:
        batch.state = BatchState.APPROVED


async def outcomes(session: AsyncSession, batch_id: int) -> dict[Outcome, int]:
    rows = await session.execute(
        text("SELECT outcome, count(*) FROM suspension_batch_person WHERE batch_id = :batch GROUP BY outcome"),
        {"batch": batch_id},
    )
    return {Outcome(o): int(n) for o, n in rows.all()}


async def held_batches(session: AsyncSession) -> int:
    return int((await session.execute(text("SELECT count(*) FROM suspension_batch WHERE state = 'held'"))).scalar_one())


async def batches(session: AsyncSession, actor: Actor, state: BatchState | None = None) -> list[SuspensionBatch]:
    """The batches, newest first (the city level only)."""
    require_city_reader(actor)
    query = select(SuspensionBatch).order_by(col(SuspensionBatch.id).desc()).limit(200)
    if state is not None:
        query = query.where(col(SuspensionBatch.state) == state)
    return list((await session.execute(query)).scalars().all())


async def batch(session: AsyncSession, actor: Actor, batch_id: int) -> SuspensionBatch:
    require_city_reader(actor)
    found = await session.get(SuspensionBatch, batch_id)
    if found is None:
        raise NotFound(ErrorCode.SUSPENSION_BATCH_NOT_FOUND, f"没有编号为 {batch_id} 的批量暂停批次")
    return found


@dataclass(frozen=True)
class HeldPerson:
    retiree_id: int
    personal_number: str
    name: str
    id_number: str
    status: str
    institution_id: int | None
    institution: str
    rule: str
    reason_code: str
    outcome: str


async def people(
    session: AsyncSession,
    actor: Actor,
    batch_id: int,
    *,
    institution_id: int | None = None,
    rule: Rule | None = None,
    outcome: Outcome | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[HeldPerson], int]:
    """A page of the batch's people (ordered by institution, then id) and how many match the filters."""
    await batch(session, actor, batch_id)
    where = "p.batch_id = :batch"
    params: dict[str, Any] = {"batch": batch_id, "limit": size, "offset": (page - 1) * size}
    if institution_id is not None:
        where += " AND p.institution_id = :institution"
        params["institution"] = institution_id
    if rule is not None:
        where += " AND p.rule = :rule"
        params["rule"] = rule.value
    if outcome is not None:
        where += " AND p.outcome = :outcome"
        params["outcome"] = outcome.value
    total = int(
        (
            await session.execute(text(f"SELECT count(*) FROM suspension_batch_person p WHERE {where}"), params)
        ).scalar_one()
    )
    rows = await session.execute(
        text(
            "SELECT p.retiree_id, r.personal_number, r.name, r.id_number, r.status, p.institution_id, "
            f"coalesce(i.name, '{NO_INSTITUTION}'), p.rule, p.reason_code, p.outcome "
            "FROM suspension_batch_person p JOIN retiree r ON r.id = p.retiree_id "
            f"LEFT JOIN institution i ON i.id = p.institution_id WHERE {where} "
            "ORDER BY i.name NULLS FIRST, p.retiree_id LIMIT :limit OFFSET :offset"
        ),
        params,
    )
    return [HeldPerson(*row) for row in rows.all()], total
