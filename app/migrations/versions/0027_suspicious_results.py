"""Issue 16 (0027_suspicious_results): storage of the 2.8 comparison's results
(filled in by its engineer; may stay empty).

Revision ID: 0027_suspicious_results
Revises: 0026_state_periods_everyone
Create Date: 2026-11-28
"""

from __future__ import annotations

revision = "0027_suspicious_results"
down_revision = "0026_state_periods_everyone"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
