"""The counts of the staff worklist (待办) over the caller's query scope (1.3), in one statement of scalar subqueries:

- mobile registration applications waiting for the community (4.1), ``ix_registration_application_community_state``;
- registered retirees whose certification falls due within the window (4.3, 4.5), ``ix_retiree_certified_registered``;
- retirees suspended for missing certification (S01), ``ix_retiree_institution_status``;
- status changes the province has not acknowledged (pending, sent) and those it refused (failed) (6.22), the partial
  ``ix_status_change_unacknowledged``;
- today's registrations, suspensions and resumptions (recorded today, ``ix_status_change_entered_at``) and
  certifications (certified today, ``ix_certification_certified_on``), today in the city's calendar;
- pension overpaid after a recorded death, still to recover (4.6), ``ix_death_record_to_recover``;
- suspension batches the brake held for a city-level decision (4.5), city level only;
- employers' archive hand-over batches submitted to an agency of the scope, waiting for receipt (3.3);
- adjustment objections waiting for an answer from an insuring agency of the scope (4.10),
  ``ix_adjustment_objection_agency_state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.adjustments import objections
from domain.certifications import due
from domain.certifications.models import Certification
from domain.deaths.service import count_to_recover
from domain.dictionary.codes import ReasonCode
from domain.handover import queries as handovers
from domain.institutions.models import Institution, in_subtree
from domain.registrations.models import ApplicationState, RegistrationApplication
from domain.retirees.lifecycle import ChangeKind, Status
from domain.retirees.models import Retiree
from domain.retirees.scope import retiree_in_scope
from domain.shared.actor import Actor
from domain.staff.permissions import Permission, require
from domain.status_log.models import StatusChange, SyncState
from domain.status_log.queries import UNACKNOWLEDGED, ChangeFilter, conditions
from domain.suspensions.models import BatchState, SuspensionBatch
from domain.transfers import service as transfers


@dataclass(frozen=True)
class Counts:
    today: date
    due_within_days: int
    applications_pending: int
    certifications_due: int
    suspended_uncertified: int
    changes_unacknowledged: int
    changes_failed: int
    registered_today: int
    certified_today: int
    suspended_today: int
    resumed_today: int
    overpayments_to_recover: int = 0  # 4.6: pension overpaid after a recorded death, to recover
    transfers_incoming: int = 0  # 4.4: transfers waiting for a community of the scope to take the person in
    suspension_batches_held: int = 0  # 4.5: batches the brake held for a city-level decision (city level only)
    handovers_waiting: int = 0  # 3.3: archive hand-over batches submitted to an agency of the scope, to receive
    adjustment_objections_waiting: int = 0  # 4.10: objections waiting for an insuring agency of the scope to answer


def _held_batches(actor: Actor) -> Any:
    """The suspension batches held by the brake: a city-level decision, so counted for the city level only."""
    if not actor.is_city_level:
        return literal(0)
    return (
        select(func.count())
        .select_from(SuspensionBatch)
        .where(col(SuspensionBatch.state) == BatchState.HELD.value)
        .scalar_subquery()
    )


def _count(query: Any) -> Any:
    return select(func.count()).select_from(query.subquery()).scalar_subquery()


def _changes(actor: Actor, filters: ChangeFilter) -> Any:
    return (
        select(func.count())
        .select_from(StatusChange)
        .join(Retiree, and_(*conditions(actor, filters)))
        .scalar_subquery()
    )


async def counts(session: AsyncSession, actor: Actor, *, today: date, due_within_days: int = 30) -> Counts:
    require(actor, Permission.READ_REGISTRY)
    window = await due.window(session, today, due_within_days)
    applications = (
        select(func.count())
        .select_from(RegistrationApplication)
        .join(Institution, col(RegistrationApplication.community_id) == col(Institution.id))
        .where(in_subtree(actor.query_path))
        .where(col(RegistrationApplication.state) == ApplicationState.PENDING.value)
        .scalar_subquery()
    )
    suspended = (
        select(func.count())
        .select_from(Retiree)
        .where(col(Retiree.status) == Status.SUSPENDED.value)
        .where(col(Retiree.suspension_reason) == ReasonCode.CERTIFICATION_OVERDUE.value)
        .where(retiree_in_scope(actor))
        .scalar_subquery()
    )
    certified = (
        select(func.count())
        .select_from(Certification)
        .join(Retiree, col(Certification.retiree_id) == col(Retiree.id))
        .where(col(Certification.certified_on) == today)
        .where(retiree_in_scope(actor))
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(
                applications,
                _count(due.due_within(actor, window)),
                suspended,
                _changes(actor, ChangeFilter(sync_states=UNACKNOWLEDGED)),
                _changes(actor, ChangeFilter(sync_states=(SyncState.FAILED,))),
                _changes(actor, ChangeFilter(kind=ChangeKind.REGISTERED, recorded_on=today)),
                certified,
                _changes(actor, ChangeFilter(kind=ChangeKind.SUSPENDED, recorded_on=today)),
                _changes(actor, ChangeFilter(kind=ChangeKind.RESUMED, recorded_on=today)),
                count_to_recover(actor),
                transfers.waiting_count(actor),
                _held_batches(actor),
                handovers.waiting_count(actor),
                objections.waiting_count(actor),
            )
        )
    ).one()
    return Counts(today, due_within_days, *(int(n) for n in row))
