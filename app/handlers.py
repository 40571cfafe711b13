"""The table a newcomer reads top to bottom: each consumer group of the hub and the handler of each event type.

Domain handlers are plain async functions ``(data, inbound, unit_of_work)`` from ``domain/``; :func:`domain_handler`
adapts them to the hub's ``(envelope, unit_of_work)`` and translates the one domain error worth retrying. The
worker subscribes each group to the topics that carry its event types (see hub/topics.py).

Every consumer group the hub runs is spelled out here, with each event type it handles and the function point it
serves: ``registry``, ``auth-platform-share``, ``mobile-notifications``, ``provincial-push`` and ``channel-push``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any

import httpx

from connectors.auth_platform.share import request_share
from connectors.channel_push.client import WebhookClient
from connectors.channel_push.pusher import ChannelPusher
from connectors.provincial.outbound import StatusFeedPusher
from connectors.provincial.service import client_from
from domain.adjustments.inbound import on_pension_adjusted, on_pensions_adjusted
from domain.certifications.inbound import on_certification_recorded, on_certifications_recorded
from domain.employers.inbound import on_employer_synced
from domain.notifications.inbound import on_person_status_changed, on_registration_rejected
from domain.notifications.service import on_certification_reminder_due, on_certification_reminders_due
from domain.retirees.inbound import (
    Inbound,
    RetireeNotYetKnown,
    on_payment_status_changed,
    on_payment_statuses_changed,
    on_retiree_approved,
    on_retiree_changed,
    on_retiree_corrected,
    on_retirees_approved,
)
from domain.shared.event_types import EventType
from domain.shared.uow import UnitOfWork
from hub.breaker import BreakerPerKey, CircuitBreaker
from hub.consumer import BatchHandler, ConsumerGroup, Handler, OutboxUnitOfWork
from hub.db import SessionFactory, create_engine, create_session_factory
from hub.envelope import Envelope
from hub.errors import TransientError
from hub.settings import Settings

DomainHandler = Callable[[Mapping[str, Any], Inbound, UnitOfWork], Awaitable[None]]
DomainBatchHandler = Callable[[Sequence[tuple[Mapping[str, Any], Inbound]], UnitOfWork], Awaitable[None]]


class WaitingForEarlierEvent(TransientError):
    """The event refers to something an event on another topic has not created yet; parked and retried."""


def domain_handler(handler: DomainHandler) -> Handler:
    async def handle(envelope: Envelope, uow: OutboxUnitOfWork) -> None:
        try:
            await handler(envelope.data, Inbound(envelope.id, envelope.time), uow)
        except RetireeNotYetKnown as error:
            raise WaitingForEarlierEvent(error.message) from error

    handle.__name__ = handler.__name__
    return handle


def domain_batch_handler(handler: DomainBatchHandler) -> BatchHandler:
    async def handle(envelopes: Sequence[Envelope], uow: OutboxUnitOfWork) -> None:
        await handler([(e.data, Inbound(e.id, e.time)) for e in envelopes], uow)

    handle.__name__ = handler.__name__
    return handle


REGISTRY = ConsumerGroup(
    "registry",
    {
        EventType.EMPLOYER_SYNCED: domain_handler(on_employer_synced),  # 2.1
        EventType.RETIREE_APPROVED: domain_handler(on_retiree_approved),  # 2.2
        EventType.RETIREE_CHANGED: domain_handler(on_retiree_changed),  # 2.3
        EventType.PAYMENT_STATUS_CHANGED: domain_handler(on_payment_status_changed),  # 2.4
        EventType.PENSION_ADJUSTED: domain_handler(on_pension_adjusted),  # 2.5
        EventType.RETIREE_CORRECTED: domain_handler(on_retiree_corrected),  # 1.5
        EventType.CERTIFICATION_RECORDED: domain_handler(on_certification_recorded),  # 2.6, 4.3, face results
    },
    ends_inbound_exchange=True,
    # The bulk arrivals (a full resync, the yearly adjustment, a proof-of-life season's face results) and the busiest
    # steady flow (payment status) take the set-based path (hub/consumer.py).
    batch_handlers={
        EventType.RETIREE_APPROVED: domain_batch_handler(on_retirees_approved),
        EventType.PAYMENT_STATUS_CHANGED: domain_batch_handler(on_payment_statuses_changed),
        EventType.PENSION_ADJUSTED: domain_batch_handler(on_pensions_adjusted),
        EventType.CERTIFICATION_RECORDED: domain_batch_handler(on_certifications_recorded),
    },
)

# Its own group, so a slow or absent authentication platform never holds the registry back.
AUTH_PLATFORM_SHARE = ConsumerGroup(
    "auth-platform-share",
    {EventType.RETIREE_APPROVED: request_share},  # issue 5: queue the face-model share of a newly approved retiree
)

# Its own group, so a slow channel never holds back the registry.
MOBILE_NOTIFICATIONS = ConsumerGroup(
    "mobile-notifications",
    {
        EventType.CERTIFICATION_REMINDER_DUE: domain_handler(
            on_certification_reminder_due
        ),  # 4.5: reminders to the app
        # issue 20: suspended/resumed (4.5), registered (4.1), transferred in (4.4); never a death to the deceased
        EventType.PERSON_STATUS_CHANGED: domain_handler(on_person_status_changed),
        EventType.REGISTRATION_REJECTED: domain_handler(on_registration_rejected),  # 4.1: rejected, with the reason
    },
    # A proof-of-life season's reminders arrive in bulk: the set-based path (bench/channel_push.py).
    batch_handlers={EventType.CERTIFICATION_REMINDER_DUE: domain_batch_handler(on_certification_reminders_due)},
)

CONSUMER_GROUPS: tuple[ConsumerGroup, ...] = (REGISTRY, AUTH_PLATFORM_SHARE, MOBILE_NOTIFICATIONS)


def provincial_push(pusher: StatusFeedPusher) -> ConsumerGroup:
    """Its own group, so the registry never waits for the provincial platform; behind the platform's circuit breaker
    (the group waits at the breaker while it is open, so an outage backs work up in Kafka)."""
    return ConsumerGroup(
        "provincial-push",
        # 6.22 outbound: each status-change entry pushed as a BusinessRecord
        {EventType.PERSON_STATUS_CHANGED: pusher.push},
        batch_handlers={EventType.PERSON_STATUS_CHANGED: pusher.push_many},
        gate=pusher.breaker,
        on_dead_letter=pusher.record_final_failure,  # the entry says its push failed for good, with the reason
    )


def status_feed_pusher(settings: Settings) -> StatusFeedPusher:
    """The provincial platform's client behind its circuit breaker, from settings."""
    breaker = CircuitBreaker(
        "provincial",
        failure_threshold=settings.provincial_breaker_failures,
        reset_seconds=settings.provincial_breaker_reset_seconds,
    )
    return StatusFeedPusher(client_from(settings), breaker, concurrency=settings.provincial_push_concurrency)


def channel_push(pusher: ChannelPusher) -> ConsumerGroup:
    """Its own group, so a slow or absent app never holds back the notifications or the registry; each app behind its
    own breaker (an app that is down backs up only its own pushes; the group waits at its gate for quiet hours, or
    while every app is down), each retiree's pushes in order (parked per retiree)."""
    return ConsumerGroup(
        "channel-push",
        {EventType.CHANNEL_NOTIFICATION: pusher.push},  # issue 20 (4.1, 4.4, 4.5): a notification to an app's webhook
        batch_handlers={EventType.CHANNEL_NOTIFICATION: pusher.push_many},
        gate=pusher.gate,
        on_dead_letter=pusher.record_final_failure,  # the push row says it failed for good, with the reason
    )


def channel_pusher(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> ChannelPusher:
    """The apps' webhook client, each app behind its own breaker (``channel-app:<client id>``, made on first use), from
    settings (its own small pool for the rare write outside the event's transaction, opened on first use)."""
    breakers = BreakerPerKey(
        "channel-app",
        partial(
            CircuitBreaker,
            failure_threshold=settings.channel_push_breaker_failures,
            reset_seconds=settings.channel_push_breaker_reset_seconds,
        ),
    )
    factories: list[SessionFactory] = []

    def sessions() -> SessionFactory:
        if not factories:
            factories.append(create_session_factory(create_engine(settings)))
        return factories[0]

    return ChannelPusher(
        WebhookClient(timeout=settings.channel_push_timeout_seconds, transport=transport),
        breakers,
        sessions,
        concurrency=settings.channel_push_concurrency,
        refresh_seconds=settings.channel_quiet_hours_refresh_seconds,
    )


def consumer_groups(settings: Settings) -> tuple[ConsumerGroup, ...]:
    """Every group a worker runs (``hub worker --group NAME`` picks some)."""
    return (*CONSUMER_GROUPS, provincial_push(status_feed_pusher(settings)), channel_push(channel_pusher(settings)))
