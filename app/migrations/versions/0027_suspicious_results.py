"""Issue 16 (0027_suspicious_results): the 2.8 comparison's results without a foreign key to the staged rows.

``suspicious_match`` rows are written by one INSERT … SELECT from ``ministry_import_row`` (they refer to staged rows
by construction) and a staged row is deleted only before its import is compared; the key's check, one trigger call
per row, took 40 % of writing a million results. ``IF EXISTS``: a benchmark database may have had it dropped by hand.

Revision ID: 0027_suspicious_results
Revises: 0026_state_periods_everyone
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0027_suspicious_results"
down_revision = "0026_state_periods_everyone"
branch_labels = None
depends_on = None

_FOREIGN_KEY = "suspicious_match_import_id_row_number_fkey"


def upgrade() -> None:
    op.execute(f"ALTER TABLE suspicious_match DROP CONSTRAINT IF EXISTS {_FOREIGN_KEY}")


def downgrade() -> None:
    op.create_foreign_key(
        _FOREIGN_KEY,
        "suspicious_match",
        "ministry_import_row",
        ["import_id", "row_number"],
        ["import_id", "row_number"],
        ondelete="CASCADE",
    )
