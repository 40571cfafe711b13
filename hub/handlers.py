"""The table a newcomer reads top to bottom: each consumer group of the hub and the handler of each event type.

Domain handlers are plain async functions ``(data, inbound, unit_of_work)`` from ``domain/``; :func:`domain_handler`
adapts them to the hub's ``(envelope, unit_of_work)`` and translates the one domain error worth retrying. The
worker subscribes each group to the topics that carry its event types (see hub/topics.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connectors.auth_platform.share import request_share
from domain.certifications.inbound import on_certification_recorded
from domain.employers.inbound import on_employer_synced
from domain.retirees.inbound import (
    Inbound,
    RetireeNotYetKnown,
    on_payment_status_changed,
    on_retiree_approved,
    on_retiree_changed,
    on_retiree_corrected,
)
from domain.shared.uow import UnitOfWork as DomainUnitOfWork
from hub.consumer import ConsumerGroup, Handler, UnitOfWork
from hub.envelope import Envelope
from hub.errors import TransientError

DomainHandler = Callable[[Mapping[str, Any], Inbound, DomainUnitOfWork], Awaitable[None]]


class WaitingForEarlierEvent(TransientError):
    """The event refers to something an event on another topic has not created yet; parked and retried."""


def domain_handler(handler: DomainHandler) -> Handler:
    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        try:
            await handler(envelope.data, Inbound(envelope.id, envelope.time), uow)
        except RetireeNotYetKnown as error:
            raise WaitingForEarlierEvent(error.message) from error

    handle.__name__ = handler.__name__
    return handle


REGISTRY = ConsumerGroup(
    "registry",
    {
        "employer.synced": domain_handler(on_employer_synced),  # 2.1
        "retiree.approved": domain_handler(on_retiree_approved),  # 2.2
        "retiree.changed": domain_handler(on_retiree_changed),  # 2.3
        "payment_status.changed": domain_handler(on_payment_status_changed),  # 2.4
        "retiree.corrected": domain_handler(on_retiree_corrected),  # 1.5
        "certification.recorded": domain_handler(on_certification_recorded),  # 2.6, 4.3, face results
    },
)

# Its own group, so a slow or absent authentication platform never holds the registry back.
AUTH_PLATFORM_SHARE = ConsumerGroup(
    "auth-platform-share",
    {"retiree.approved": request_share},  # issue 5: queue the face-model share of a newly approved retiree
)

CONSUMER_GROUPS: tuple[ConsumerGroup, ...] = (REGISTRY, AUTH_PLATFORM_SHARE)
