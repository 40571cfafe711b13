"""Issue 18 (0026_state_periods_everyone): a state period for every retiree and the indexes the as-of reads need
(filled in by its engineer; may stay empty).

Revision ID: 0026_state_periods_everyone
Revises: 0025_legacy_migration
Create Date: 2026-11-28
"""

from __future__ import annotations

revision = "0026_state_periods_everyone"
down_revision = "0025_legacy_migration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
