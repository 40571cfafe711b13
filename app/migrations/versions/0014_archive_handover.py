"""Employer hand-over of retirees' archives (issue 15, 3.1-3.3).

Revision ID: 0014_archive_handover
Revises: 0013_residence
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0014_archive_handover"
down_revision = "0013_residence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
