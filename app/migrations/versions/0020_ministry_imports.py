"""Issue 16 (0020_ministry_imports): filled in by its engineer.

Revision ID: 0020_ministry_imports
Revises: 0019_push_order
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0020_ministry_imports"
down_revision = "0019_push_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
