"""Issue 18 (0023_query_indexes): indexes the queries of section 6 need, filled in by their engineer (may stay
empty).

Revision ID: 0023_query_indexes
Revises: 0022_state_periods
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0023_query_indexes"
down_revision = "0022_state_periods"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
