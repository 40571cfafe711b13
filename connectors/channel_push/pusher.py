"""The ``channel-push`` group's handlers (issue 20): each ``channel.notification`` event pushed to its app's webhook.

The hub's one failure path does the rest (hub/consumer.py, hub/parking.py): a transient failure is retried inline,
then the retiree's key is parked — their later pushes wait behind it, so each retiree's notifications arrive in
order — and retried with backoff; after the last attempt (or at once when the app refuses with a 4xx) the event is
dead-lettered with the reason, and :meth:`ChannelPusher.record_final_failure` marks the ``channel_push`` row
``dead`` with it. Each app has its own breaker (:class:`hub.breaker.BreakerPerKey`, named ``channel-app:<client id>``),
so an app that is down backs up only its own pushes: once its circuit opens, a push to it fails at once
(:class:`AppCircuitOpen`, no call, no timeout) and takes the failure path above, while the other apps' pushes in the
same batch go out. Only when every app tried so far is down does the group pause at the gate (the batch waits in
Kafka, nothing is parked), as behind one breaker. Quiet hours (the 1.4 parameter ``notification_quiet_hours``) hold the
group the same way: nothing is pushed at night, and what was held goes out in order when the window ends. There is no
other path: every push is sent by the event's handler, after the quiet-hours check.

Never sent twice: each push carries the notification's source event id as its ``Idempotency-Key``; a delivery is
recorded on the ``channel_push`` row, and a push found delivered is not sent again (also when a set-based run fails
part-way: its deliveries are recorded in their own transaction before the run is re-pushed one by one).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.channel_push.client import AppUnavailable, PushRefused, WebhookClient, encode
from domain.dictionary.service import parameter_text
from domain.notifications.models import PushState
from domain.notifications.quiet import QuietHours
from domain.notifications.service import KIND_LABELS
from hub import metrics
from hub.breaker import BreakerPerKey, CircuitOpen
from hub.consumer import OutboxUnitOfWork
from hub.db import SessionFactory
from hub.delivery import Delivery, Failure
from hub.envelope import Envelope
from hub.errors import TransientError

log = logging.getLogger(__name__)

QuietSource = Callable[[AsyncSession], Awaitable[str]]
QUIET_HOURS = "notification_quiet_hours"


async def quiet_hours_parameter(session: AsyncSession) -> str:
    return await parameter_text(session, QUIET_HOURS)


class QuietHoursHold(CircuitOpen):
    """Quiet hours: abandon the batch (nothing committed) and wait at the gate, like an open circuit."""


class AppCircuitOpen(TransientError):
    """This app's circuit is open: its push is not tried now (the hub retries it, parked behind the retiree's key);
    unlike :class:`hub.breaker.CircuitOpen` the batch goes on, so the other apps' pushes are not held."""


class ChannelGate:
    """What holds the group between batches: quiet hours (waited in slices, the handler looks again after each, so
    a changed parameter takes effect within a slice), then the apps' breakers while every one of them is open."""

    def __init__(self, breakers: BreakerPerKey, *, slice_seconds: float) -> None:
        self.breakers = breakers
        self.slice_seconds = slice_seconds
        self.quiet_until: datetime | None = None

    async def wait_for_passage(self) -> None:
        if self.quiet_until is not None:
            remaining = (self.quiet_until - datetime.now(UTC)).total_seconds()
            if remaining > 0:
                await asyncio.sleep(min(remaining, self.slice_seconds))
        await self.breakers.wait_while_all_open()


# For each push asked for (in the order asked): the push itself, and before it the retiree's earlier pushes to the
# same app still pending, oldest fact first. The facts behind a retiree's notifications come on different topics
# (a status change, a rejected application, a reminder) and may be read in another order than they happened; when
# the app was down, everything held goes out in the order the facts happened.
_TARGETS = text(
    """
    WITH wanted AS (
        SELECT k.ord, n.id, k.client_id, n.personal_number, n.occurred_at
        FROM unnest(CAST(:ids AS bigint[]), CAST(:clients AS text[]))
             WITH ORDINALITY AS k(notification_id, client_id, ord)
        JOIN retiree_notification n ON n.id = k.notification_id
    )
    SELECT w.ord, p.notification_id = w.id AS asked, p.notification_id, p.client_id, p.state, n.personal_number,
           n.kind, n.title, n.body, n.due_on, n.created_at, n.source_event_id, c.webhook_url, c.signing_secret, c.active
    FROM wanted w
    CROSS JOIN LATERAL (
        SELECT p.notification_id, p.client_id, p.state FROM channel_push p
        WHERE p.notification_id = w.id AND p.client_id = w.client_id
        UNION
        SELECT p.notification_id, p.client_id, p.state FROM channel_push p
        JOIN retiree_notification e ON e.id = p.notification_id
        WHERE p.personal_number = w.personal_number AND p.client_id = w.client_id AND p.state = 'pending'
          AND (e.occurred_at, e.id) < (w.occurred_at, w.id)
    ) p
    JOIN retiree_notification n ON n.id = p.notification_id
    JOIN channel_client c ON c.client_id = p.client_id
    ORDER BY w.ord, n.occurred_at, n.id
    """
)
_MARK = text(
    """
    UPDATE channel_push p SET state = :state, delivered_at = CASE WHEN :state = 'delivered' THEN now() END,
           attempts = p.attempts + 1, last_error = :error
    FROM unnest(CAST(:ids AS bigint[]), CAST(:clients AS text[])) AS k(notification_id, client_id)
    WHERE p.notification_id = k.notification_id AND p.client_id = k.client_id AND p.state <> 'delivered'
    """
)

Key = tuple[int, str]


@dataclass(frozen=True)
class Target:
    key: Key
    url: str
    secret: str
    idempotency_key: str
    body: bytes
    created_at: datetime
    asked: bool = True  # False: an earlier pending push of the retiree sent first (it has its own event too)


def _payload(row: Any) -> dict[str, Any]:
    return {
        "idempotencyKey": row.source_event_id,
        "notificationId": row.notification_id,
        "personalNumber": row.personal_number,
        "kind": row.kind,
        "kindLabel": KIND_LABELS.get(row.kind, "消息"),
        "title": row.title,
        "body": row.body,
        "dueOn": row.due_on.isoformat() if row.due_on else None,
        "createdAt": row.created_at.isoformat(),
    }


def _key(envelope: Envelope) -> Key:
    return int(envelope.data["notification_id"]), str(envelope.data["client_id"])


async def _mark(session: AsyncSession, keys: Iterable[Key], state: PushState, error: str | None = None) -> None:
    keys = list(keys)
    if keys:
        ids, clients = [k[0] for k in keys], [k[1] for k in keys]
        await session.execute(_MARK, {"ids": ids, "clients": clients, "state": state.value, "error": error})


class ChannelPusher:
    def __init__(
        self,
        client: WebhookClient,
        breakers: BreakerPerKey,
        sessions: Callable[[], SessionFactory],
        *,
        concurrency: int = 32,
        quiet_source: QuietSource = quiet_hours_parameter,
        refresh_seconds: float = 30.0,
    ) -> None:
        self.client = client
        self.breakers = breakers  # one per app, keyed by client id, made on first use
        self.gate = ChannelGate(breakers, slice_seconds=refresh_seconds)
        self._sessions = sessions
        self._concurrency = concurrency
        self._quiet_source = quiet_source
        self._refresh_seconds = refresh_seconds
        self._quiet: tuple[float, QuietHours | None] | None = None

    async def _check_quiet(self, session: AsyncSession) -> None:
        if self._quiet is None or time.monotonic() - self._quiet[0] > self._refresh_seconds:
            value = await self._quiet_source(session)
            try:
                window: QuietHours | None = QuietHours.parse(value)
            except ValueError:
                log.warning("quiet hours %r unreadable: pushing as if there were none", value)
                window = None
            self._quiet = (time.monotonic(), window)
        window = self._quiet[1]
        now = datetime.now(UTC)
        if window is not None and window.holds_at(now):
            self.gate.quiet_until = window.ends_after(now)
            metrics.channel_pushes.labels(outcome="held").inc()
            raise QuietHoursHold(
                f"quiet hours {window.start:%H:%M}-{window.end:%H:%M}: held until {self.gate.quiet_until}"
            )
        self.gate.quiet_until = None

    async def _targets(self, session: AsyncSession, keys: Sequence[Key]) -> tuple[list[list[Target]], list[Key]]:
        """For each push still to send, the chain to send in order (the retiree's earlier pending pushes to that app,
        then the push); and the pushes to skip (the app disabled or without webhook). A push already delivered is
        not sent again; a push in two chains is sent in the first."""
        rows = await session.execute(_TARGETS, {"ids": [k[0] for k in keys], "clients": [k[1] for k in keys]})
        by_ask: dict[int, list[Any]] = {}
        for row in rows:
            by_ask.setdefault(row.ord, []).append(row)
        chains: list[list[Target]] = []
        skipped: list[Key] = []
        claimed: set[Key] = set()
        for ord_ in sorted(by_ask):
            found = by_ask[ord_]
            asked = next((row for row in found if row.asked), None)
            if asked is None or asked.state == PushState.DELIVERED:
                continue
            if not asked.active or not asked.webhook_url or not asked.signing_secret:
                skipped.append((asked.notification_id, asked.client_id))
                continue
            chain = []
            for row in found:
                key = (row.notification_id, row.client_id)
                if key in claimed:
                    continue
                claimed.add(key)
                body = encode(_payload(row))
                chain.append(
                    Target(key, row.webhook_url, row.signing_secret, row.source_event_id, body, row.created_at)
                )
            if chain:
                chains.append(chain)
        return chains, skipped

    async def _send(self, target: Target) -> None:
        await self.client.push(target.url, target.secret, target.idempotency_key, target.body, target.key[1])

    def _delivered_metrics(self, targets: Sequence[Target]) -> None:
        now = datetime.now(UTC)
        for target in targets:
            metrics.channel_push_latency.observe(max(0.0, (now - target.created_at).total_seconds()))
        metrics.channel_pushes.labels(outcome="delivered").inc(len(targets))

    async def _skip(self, session: AsyncSession, skipped: Sequence[Key]) -> None:
        if skipped:
            await _mark(session, skipped, PushState.SKIPPED, "应用已停用或未配置推送地址")
            metrics.channel_pushes.labels(outcome="skipped").inc(len(skipped))

    async def push(self, envelope: Envelope, uow: OutboxUnitOfWork) -> None:
        """Handler of ``channel.notification``: one push (after the retiree's earlier ones still pending), in the
        event's own transaction."""
        await self._deliver([envelope], uow)

    async def push_many(self, envelopes: Sequence[Envelope], uow: OutboxUnitOfWork) -> None:
        """A run of pushes, one per retiree, the retirees served concurrently."""
        await self._deliver(envelopes, uow)

    def _circuit_open(self, client_id: str) -> Exception:
        """The error for a push to an app whose circuit is open: the batch goes on without it, unless every app tried
        so far is down (then the batch is abandoned and the group waits at its gate, as behind a single breaker)."""
        breaker = self.breakers(client_id)
        if self.breakers.all_open():
            return CircuitOpen(f"every channel app's circuit is open ({breaker.name} among them); waiting for the apps")
        return AppCircuitOpen(f"circuit {breaker.name} is open: app {client_id} is down; its push waits")

    async def _deliver(self, envelopes: Sequence[Envelope], uow: OutboxUnitOfWork) -> None:
        """Each retiree's chain in order, the chains concurrently, each through its own app's breaker: a chain to an
        app whose circuit is open fails at once, without a call. If any fails, the pushes delivered are recorded in
        their own transaction (so the retry that follows does not send them again) and the failure is raised: the
        hub retries, parks the retiree's key or dead-letters. A failure to reach an app counts against that app's
        breaker only; once every app tried is down the batch is abandoned instead (the group waits at its gate)."""
        await self._check_quiet(uow.session)
        chains, skipped = await self._targets(uow.session, [_key(e) for e in envelopes])
        await self._skip(uow.session, skipped)
        limit = asyncio.Semaphore(self._concurrency)
        sent: list[Target] = []
        answered: set[str] = set()
        unavailable: set[str] = set()

        async def one(chain: Sequence[Target]) -> None:
            app = chain[0].key[1]  # a chain is one retiree's pushes to one app
            breaker = self.breakers(app)
            async with limit:
                for target in chain:
                    if not breaker.allows_call():
                        raise self._circuit_open(app)
                    try:
                        await self._send(target)
                    except AppUnavailable:
                        metrics.channel_pushes.labels(outcome="unavailable").inc()
                        unavailable.add(app)
                        breaker.record_failure()
                        raise
                    except PushRefused as refused:
                        answered.add(app)  # the app is up: it answered
                        if target.asked:
                            raise
                        # an earlier push the app refuses for good: its own event dead-letters it with the reason
                        log.warning(
                            "earlier push %s refused: left to its own event (dead-lettered with the reason): %s",
                            target.key,
                            refused,
                        )
                        continue
                    answered.add(app)
                    sent.append(target)

        results = await asyncio.gather(*(one(chain) for chain in chains), return_exceptions=True)
        for app in answered - unavailable:
            self.breakers(app).record_success()
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            if sent:
                async with self._sessions()() as session, session.begin():
                    await _mark(session, [t.key for t in sent], PushState.DELIVERED)
                self._delivered_metrics(sent)
            abandon = next((f for f in failures if isinstance(f, CircuitOpen)), None)
            if abandon is None and unavailable and self.breakers.all_open():
                # the last app still up just went down: abandon the batch rather than park every retiree's push
                abandon = CircuitOpen(f"every channel app's circuit is open after {failures[0]}")
            raise abandon or failures[0]
        await _mark(uow.session, [t.key for t in sent], PushState.DELIVERED)
        self._delivered_metrics(sent)

    async def record_final_failure(self, session: AsyncSession, delivery: Delivery, failure: Failure) -> None:
        """The push is dead-lettered: say so on its ``channel_push`` row, with the reason."""
        try:
            data = json.loads(delivery.value or b"{}")
            key = (int(data["notification_id"]), str(data["client_id"]))
        except (ValueError, KeyError, TypeError):
            return
        reason = f"{type(failure.error).__name__}: {failure.error} (attempts: {failure.attempts})"[:2000]
        await _mark(session, [key], PushState.DEAD, reason)
        metrics.channel_pushes.labels(outcome="refused" if not failure.transient else "dead").inc()
        log.error("push of notification %s to %s failed for good: %s", key[0], key[1], reason)


__all__ = ["AppCircuitOpen", "ChannelGate", "ChannelPusher", "QuietHoursHold", "quiet_hours_parameter"]
