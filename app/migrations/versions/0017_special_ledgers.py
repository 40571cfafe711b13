"""Special ledgers (issue 15, 5.1).

Revision ID: 0017_special_ledgers
Revises: 0016_adjustment_objections
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0017_special_ledgers"
down_revision = "0016_adjustment_objections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
