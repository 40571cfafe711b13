"""Issue 16 (0021_suspicious_matches): filled in by its engineer.

Revision ID: 0021_suspicious_matches
Revises: 0020_ministry_imports
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0021_suspicious_matches"
down_revision = "0020_ministry_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
