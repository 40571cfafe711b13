"""Certification reminders (issue 5, 4.5): one per retiree and due date.

Revision ID: 0005_certification_reminders
Revises: 0004_auth_platform
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_certification_reminders"
down_revision = "0004_auth_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certification_reminder",
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("retiree_id", "due_on"),
    )


def downgrade() -> None:
    op.drop_table("certification_reminder")
