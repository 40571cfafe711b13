"""Adjustment feedback (issue 15, 4.10).

Revision ID: 0016_adjustment_objections
Revises: 0015_community_moves
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0016_adjustment_objections"
down_revision = "0015_community_moves"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
