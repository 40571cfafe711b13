"""Issue 17 (0028_legacy_history): the legacy migration's certification history and run guard
(filled in by its engineer; may stay empty).

Revision ID: 0028_legacy_history
Revises: 0027_suspicious_results
Create Date: 2026-11-28
"""

from __future__ import annotations

revision = "0028_legacy_history"
down_revision = "0027_suspicious_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
