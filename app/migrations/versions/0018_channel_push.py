"""The mobile channel's caller identity and pushes (issue 20): each app's signing secret, webhook and rate limit,
the retiree assertions used once, the apps each retiree uses, each notification's push per app, and the address and
phone of an institution (the community a retiree looks up).

Revision ID: 0018_channel_push
Revises: 0017_special_ledgers
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_channel_push"
down_revision = "0017_special_ledgers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("channel_client", sa.Column("signing_secret", sa.Text(), nullable=True))
    op.add_column("channel_client", sa.Column("webhook_url", sa.Text(), nullable=True))
    op.add_column(
        "channel_client", sa.Column("rate_limit_per_minute", sa.Integer(), server_default="600", nullable=False)
    )
    op.add_column("institution", sa.Column("address", sa.Text(), nullable=True))
    op.add_column("institution", sa.Column("phone", sa.Text(), nullable=True))
    op.create_table(
        "channel_used_assertion",
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("jti", sa.Text(), nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti"),
    )
    op.create_index("ix_channel_used_assertion_expires", "channel_used_assertion", ["expires_at"])
    op.create_table(
        "channel_binding",
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("retiree_id", "client_id"),
    )
    op.create_index("ix_channel_binding_client", "channel_binding", ["client_id"])
    op.create_table(
        "channel_push",
        sa.Column("notification_id", sa.BigInteger(), sa.ForeignKey("retiree_notification.id"), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("notification_id", "client_id"),
    )
    op.create_index("ix_channel_push_client_state", "channel_push", ["client_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_channel_push_client_state", table_name="channel_push")
    op.drop_table("channel_push")
    op.drop_index("ix_channel_binding_client", table_name="channel_binding")
    op.drop_table("channel_binding")
    op.drop_index("ix_channel_used_assertion_expires", table_name="channel_used_assertion")
    op.drop_table("channel_used_assertion")
    op.drop_column("institution", "phone")
    op.drop_column("institution", "address")
    op.drop_column("channel_client", "rate_limit_per_minute")
    op.drop_column("channel_client", "webhook_url")
    op.drop_column("channel_client", "signing_secret")
