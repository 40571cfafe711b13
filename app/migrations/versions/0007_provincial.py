"""The provincial connector (issue 4): feed positions, exchange rows above the watermark, the platform's receipt on
the status-change log (6.22), and pension adjustments (2.5).

Revision ID: 0007_provincial
Revises: 0006_notifications
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_provincial"
down_revision = "0006_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provincial_feed_position",
        sa.Column("feed", sa.Text(), primary_key=True),
        sa.Column("position", sa.Text(), nullable=False, server_default=""),
        sa.Column("high_mark", sa.BigInteger(), nullable=True),
        sa.Column("records_read", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "provincial_exchange_row_seen",
        sa.Column("row_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.add_column("status_change", sa.Column("receipt_no", sa.Text(), nullable=True))
    op.create_table(
        "pension_adjustment",
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("batch_id", sa.Text(), nullable=False),
        sa.Column("adjustment_year", sa.Integer(), nullable=False),
        sa.Column("amount_before", sa.Numeric(12, 2), nullable=False),
        sa.Column("amount_after", sa.Numeric(12, 2), nullable=False),
        sa.Column("increase", sa.Numeric(12, 2), nullable=False),
        sa.Column("effective_month", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("retiree_id", "batch_id"),
    )


def downgrade() -> None:
    op.drop_table("pension_adjustment")
    op.drop_column("status_change", "receipt_no")
    op.drop_table("provincial_exchange_row_seen")
    op.drop_table("provincial_feed_position")
