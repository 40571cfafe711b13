"""(0024_talent_archives): laid out empty; filled in by its engineer (may stay empty).

Revision ID: 0024_talent_archives
Revises: 0023_query_indexes
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0024_talent_archives"
down_revision = "0023_query_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
