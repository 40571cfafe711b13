"""Imports every connector's tables, so that Alembic and the tests see them."""

from connectors.auth_platform.models import FaceModelShare, FaceResultReceipt

__all__ = ["FaceModelShare", "FaceResultReceipt"]
