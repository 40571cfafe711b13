"""6.1 talent retirees (人才退休人员): an employer marked as the talent service centre keeps its retirees' archives.

Revision ID: 0024_talent_archives
Revises: 0023_query_indexes
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_talent_archives"
down_revision = "0023_query_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("employer", sa.Column("talent_centre", sa.Boolean(), nullable=False, server_default=sa.text("false")))


def downgrade() -> None:
    op.execute("ALTER TABLE employer DROP COLUMN IF EXISTS talent_centre")
