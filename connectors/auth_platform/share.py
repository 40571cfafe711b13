"""Sharing newly approved retirees with the authentication platform, so it can build their face model (issue 5).

Two halves, like an outbox: the ``auth-platform-share`` consumer group turns each ``retiree.approved`` event into a
pending row of ``face_model_share`` (idempotently), and :func:`share_due` sends pending rows in batches, marking
them shared when the platform accepts them (a person it already had counts as shared), rescheduling the batch with
backoff when the platform is unavailable, and setting aside a person the platform refuses, with its reason, for
staff to correct. Nothing is lost if the process dies mid-batch: the rows stay pending and the platform treats the
re-sent persons as duplicates.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from connectors.auth_platform.client import AuthPlatformClient, AuthPlatformUnavailable, BatchRefused
from connectors.auth_platform.mapping import share_person
from connectors.auth_platform.models import FaceModelShare, ShareState
from domain.retirees.models import Retiree
from hub import metrics
from hub.consumer import OutboxUnitOfWork
from hub.db import SessionFactory
from hub.envelope import Envelope
from hub.errors import TransientError
from hub.retry import Backoff, poll_forever

log = logging.getLogger(__name__)
RETRY_BACKOFF = Backoff(30.0, 3600.0)


class ApprovalNotYetApplied(TransientError):
    """The registry has not applied the approval yet (another consumer group); parked and retried."""


async def request_share(envelope: Envelope, uow: OutboxUnitOfWork) -> None:
    """Handler of ``retiree.approved`` in the ``auth-platform-share`` group: queue the retiree's share once."""
    personal_number = envelope.data["personal_number"]
    retiree_id = (
        await uow.session.execute(select(col(Retiree.id)).where(col(Retiree.personal_number) == personal_number))
    ).scalar_one_or_none()
    if retiree_id is None:
        raise ApprovalNotYetApplied(f"retiree {personal_number} not in the registry yet")
    await uow.session.execute(
        insert(FaceModelShare)
        .values(retiree_id=retiree_id, personal_number=personal_number)
        .on_conflict_do_nothing(index_elements=["retiree_id"])
    )


@dataclass
class ShareReport:
    shared: int = 0
    duplicates: int = 0
    refused: int = 0
    rescheduled: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.shared + self.refused + self.rescheduled


async def share_due(sessions: SessionFactory, client: AuthPlatformClient, *, batch_size: int) -> ShareReport:
    """Send one batch of due shares. Rows are locked (SKIP LOCKED) for the call, so two senders never send the
    same person at once."""
    report = ShareReport()
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        rows = (
            await session.execute(
                select(FaceModelShare, Retiree)
                .join(Retiree, col(Retiree.id) == col(FaceModelShare.retiree_id))
                .where(col(FaceModelShare.state) == ShareState.PENDING.value)
                .where(col(FaceModelShare.next_attempt_at) <= now)
                .order_by(col(FaceModelShare.next_attempt_at))
                .limit(batch_size)
                .with_for_update(of=FaceModelShare, skip_locked=True)
            )
        ).all()
        if not rows:
            return report
        batch_id = f"b-{uuid.uuid4().hex}"
        persons = [
            share_person(r.personal_number, r.id_number, r.name, r.sex, r.birth_date, r.insuring_agency_code, now)
            for _, r in rows
        ]
        shares = [share for share, _ in rows]
        for share in shares:
            share.attempts += 1
            share.batch_id = batch_id
        try:
            answer = await client.share(batch_id, persons)
        except AuthPlatformUnavailable as error:
            delay = timedelta(seconds=RETRY_BACKOFF.delay(max(s.attempts for s in shares)))
            for share in shares:
                share.next_attempt_at = now + delay
                share.last_error = str(error)[:500]
            report.rescheduled = len(shares)
            report.errors.append(str(error))
            log.warning("auth platform unavailable, %d shares rescheduled in %s: %s", len(shares), delay, error)
        except BatchRefused as refused:
            culprits = [s for s in shares if s.personal_number == refused.personal_number] or shares
            for share in culprits:
                share.state = ShareState.REFUSED.value
                share.last_error = f"{refused.code}: {refused.message}"[:500]
            report.refused = len(culprits)
            report.errors.append(str(refused))
            log.error("auth platform refused %d shares of batch %s: %s", len(culprits), batch_id, refused)
        else:
            for share in shares:
                share.state = ShareState.SHARED.value
                share.shared_at = now
                share.last_error = None
            report.shared = len(shares)
            report.duplicates = len(answer.duplicates)
    for outcome, count in (("shared", report.shared), ("refused", report.refused), ("rescheduled", report.rescheduled)):
        if count:
            metrics.face_shares.labels(outcome=outcome).inc(count)
    return report


async def share_until_stopped(
    sessions: SessionFactory, client: AuthPlatformClient, *, batch_size: int, poll_seconds: float, stop: asyncio.Event
) -> None:
    """The sender's loop (`hub auth-platform share`): batches while there are due shares, then a look every
    ``poll_seconds``. The platform being down reschedules rows (in :func:`share_due`); the database or anything
    else transient going away backs the loop off and it tries again — the rows stay pending, nothing is lost."""

    async def one_batch() -> bool:
        report = await share_due(sessions, client, batch_size=batch_size)
        return bool(report.handled and not report.rescheduled)

    await poll_forever("auth-platform share sender", one_batch, stop, idle_seconds=poll_seconds)


async def pending_count(sessions: SessionFactory) -> int:
    async with sessions() as session:
        count = await session.scalar(select(func.count()).where(col(FaceModelShare.state) == ShareState.PENDING.value))
    return int(count or 0)


__all__ = ["ApprovalNotYetApplied", "ShareReport", "pending_count", "request_share", "share_due", "share_until_stopped"]
