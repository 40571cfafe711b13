"""The type of every event that crosses Kafka, one name each: the ``ce_type`` header and the key of app/handlers.py.

Each member's data is described by ``schemas/<type>.v1.json`` (see ``schemas/README.md``): the schema of
:attr:`EventType.RETIREE_APPROVED` is ``schemas/retiree.approved.v1.json``. ``tests/unit/test_event_types.py`` checks
that every schema file has a member and every member a schema file. The schemas stay a data directory (copied into
the image on their own); this module is their name in code, importable by every layer except ``hub/``, whose topic
catalog (hub/topics.py) spells the same strings because the hub imports no application package.

Audit-trail actions (``trail.record(..., "retiree.changed")``) are another vocabulary and stay strings.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    # canonical.employers — facts from the province, translated by the provincial connector
    EMPLOYER_SYNCED = "employer.synced"  # schemas/employer.synced.v1.json (2.1)
    # canonical.retirees
    RETIREE_APPROVED = "retiree.approved"  # schemas/retiree.approved.v1.json (2.2)
    RETIREE_CHANGED = "retiree.changed"  # schemas/retiree.changed.v1.json (2.3)
    RETIREE_CORRECTED = "retiree.corrected"  # schemas/retiree.corrected.v1.json (1.5)
    # canonical.payments
    PAYMENT_STATUS_CHANGED = "payment_status.changed"  # schemas/payment_status.changed.v1.json (2.4)
    PENSION_ADJUSTED = "pension.adjusted"  # schemas/pension.adjusted.v1.json (2.5)
    # canonical.certifications — from the province, the authentication platform, the ministry, staff on site
    CERTIFICATION_RECORDED = "certification.recorded"  # schemas/certification.recorded.v1.json (2.6, 2.7, 4.3)
    # domain.person-status — what the registry decided, through the outbox, to the province
    PERSON_STATUS_CHANGED = "person_status.changed"  # schemas/person_status.changed.v1.json (6.22)
    # domain.notifications — for the mobile channel
    CERTIFICATION_REMINDER_DUE = "certification.reminder_due"  # schemas/certification.reminder_due.v1.json (4.5)
    REGISTRATION_REJECTED = "registration.rejected"  # schemas/registration.rejected.v1.json (4.1, issue 20)
    # domain.channel-pushes — one notification to push to one app's webhook (issue 20)
    CHANNEL_NOTIFICATION = "channel.notification"  # schemas/channel.notification.v1.json (4.1, 4.4, 4.5)
