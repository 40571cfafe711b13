"""(0025_legacy_migration): laid out empty; filled in by its engineer (may stay empty).

Revision ID: 0025_legacy_migration
Revises: 0024_talent_archives
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0025_legacy_migration"
down_revision = "0024_talent_archives"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
