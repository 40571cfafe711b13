"""Each retiree's pushes in the order the facts happened (issue 20, 4.5): the source event's time on every
notification, and the pending pushes of one retiree to one app found by index (the pusher sends the earlier ones
first).

Revision ID: 0019_push_order
Revises: 0018_channel_push
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_push_order"
down_revision = "0018_channel_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "retiree_notification",
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.execute("UPDATE retiree_notification SET occurred_at = created_at")
    op.create_index(
        "ix_channel_push_pending_retiree",
        "channel_push",
        ["personal_number", "client_id"],
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_channel_push_pending_retiree", table_name="channel_push")
    op.drop_column("retiree_notification", "occurred_at")
