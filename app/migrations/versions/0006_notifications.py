"""Retiree notifications (issue 5, 4.5): the mobile channel's inbox, filled from certification reminders.

Revision ID: 0006_notifications
Revises: 0005_certification_reminders
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_notifications"
down_revision = "0005_certification_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retiree_notification",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("source_event_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_event_id", name="uq_retiree_notification_source_event"),
    )
    op.create_index(
        "ix_retiree_notification_retiree_created",
        "retiree_notification",
        ["retiree_id", sa.text("created_at DESC")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_retiree_notification_retiree_created", table_name="retiree_notification")
    op.drop_table("retiree_notification")
