"""Authentication platform (issue 5): face results received by the webhook (replay check) and face-model shares.

Revision ID: 0004_auth_platform
Revises: 0003_certifications
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_auth_platform"
down_revision = "0003_certifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_result_receipt",
        sa.Column("result_id", sa.Text(), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("result_id"),
    )
    op.create_table(
        "face_model_share",
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("batch_id", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("retiree_id"),
    )
    op.create_index(
        "ix_face_model_share_due",
        "face_model_share",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_face_model_share_due", table_name="face_model_share")
    op.drop_table("face_model_share")
    op.drop_table("face_result_receipt")
