"""The table a newcomer reads top to bottom: each consumer group of the hub and the handler of each event type.

Handlers are plain async functions ``(event, unit_of_work) -> None`` from the domain's service layer; the hub's
worker subscribes each group to the topics that carry its event types (see hub/topics.py).
"""

from __future__ import annotations

from hub.consumer import ConsumerGroup

# The registry's consumers (2.1-2.6, 1.5) join here as the domain contexts land.
CONSUMER_GROUPS: tuple[ConsumerGroup, ...] = ()
