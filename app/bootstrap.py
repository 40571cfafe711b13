"""The application's bootstrap: the hub's machinery wired with every consumer group of the handler table."""

from __future__ import annotations

from app.handlers import consumer_groups
from hub.bootstrap import Hub, bootstrap
from hub.settings import Settings


def bootstrap_application(settings: Settings | None = None, *, client_suffix: str = "") -> Hub:
    """A hub that knows every consumer group (so every dead-letter topic too), for processes that consume or that
    manage the topics of all of them."""
    settings = settings or Settings()
    return bootstrap(settings, consumer_groups=consumer_groups(settings), client_suffix=client_suffix)
