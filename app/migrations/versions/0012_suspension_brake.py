"""The brake on mass suspensions (issue 14, 4.5): the batches the nightly rules hold for a city-level decision and
the people held in them (one open batch per person at most). The two thresholds are 1.4 parameters
(``suspension_brake_city``, ``suspension_brake_institution``), added by ``hub db upgrade`` with the other built-ins.

Revision ID: 0012_suspension_brake
Revises: 0011_deaths
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_suspension_brake"
down_revision = "0011_deaths"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "suspension_batch",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("state", sa.Text(), server_default="held", nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("per_rule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("per_institution", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("created_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", _STAMP, nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_suspension_batch_night"), "suspension_batch", ["night"], unique=False)
    op.create_table(
        "suspension_batch_person",
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.Text(), server_default="held", nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["suspension_batch.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["retiree_id"], ["retiree.id"]),
        sa.PrimaryKeyConstraint("batch_id", "retiree_id"),
    )
    op.create_index(
        "ix_suspension_batch_person_batch_institution",
        "suspension_batch_person",
        ["batch_id", "institution_id"],
        unique=False,
    )
    op.create_index("ix_suspension_batch_person_retiree", "suspension_batch_person", ["retiree_id"], unique=False)
    op.create_index(
        "ux_suspension_batch_person_held",
        "suspension_batch_person",
        ["retiree_id"],
        unique=True,
        postgresql_where=sa.text("outcome = 'held'"),
    )


def downgrade() -> None:
    op.drop_index("ux_suspension_batch_person_held", table_name="suspension_batch_person")
    op.drop_index("ix_suspension_batch_person_retiree", table_name="suspension_batch_person")
    op.drop_index("ix_suspension_batch_person_batch_institution", table_name="suspension_batch_person")
    op.drop_table("suspension_batch_person")
    op.drop_index(op.f("ix_suspension_batch_night"), table_name="suspension_batch")
    op.drop_table("suspension_batch")
