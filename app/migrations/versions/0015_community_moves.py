"""Community split and merge (issue 15, 4.8).

Revision ID: 0015_community_moves
Revises: 0014_archive_handover
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0015_community_moves"
down_revision = "0014_archive_handover"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
