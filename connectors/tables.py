"""Imports every connector's tables, so that Alembic and the tests see them."""

from connectors.auth_platform.models import FaceModelShare, FaceResultReceipt
from connectors.provincial.models import ExchangeRowSeen, FeedPosition

__all__ = ["ExchangeRowSeen", "FaceModelShare", "FaceResultReceipt", "FeedPosition"]
