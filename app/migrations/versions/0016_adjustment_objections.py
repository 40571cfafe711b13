"""Adjustment notice and feedback (issue 15, 4.9, 4.10): the years adjusted read from an index on
``pension_adjustment``, and the retirees' objections to a year's adjustment (recorded by the community, answered by
the insuring agency; one open objection per retiree, year and category).

Revision ID: 0016_adjustment_objections
Revises: 0015_community_moves
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_adjustment_objections"
down_revision = "0015_community_moves"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_index("ix_pension_adjustment_year", "pension_adjustment", ["adjustment_year"], unique=False)
    op.create_table(
        "adjustment_objection",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("adjustment_year", sa.Integer(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("community_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("agency_code", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="open", nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("corrected_amount", sa.Numeric(12, 2), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("answered_by", sa.Text(), nullable=True),
        sa.Column("answered_at", _STAMP, nullable=True),
        sa.Column("withdrawn_by", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", _STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_adjustment_objection_open",
        "adjustment_objection",
        ["retiree_id", "adjustment_year", "category"],
        unique=True,
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_index("ix_adjustment_objection_agency_state", "adjustment_objection", ["agency_code", "state"])
    op.create_index(
        "ix_adjustment_objection_community_year", "adjustment_objection", ["community_id", "adjustment_year"]
    )
    op.create_index("ix_adjustment_objection_retiree", "adjustment_objection", ["retiree_id"])


def downgrade() -> None:
    op.drop_index("ix_adjustment_objection_retiree", table_name="adjustment_objection")
    op.drop_index("ix_adjustment_objection_community_year", table_name="adjustment_objection")
    op.drop_index("ix_adjustment_objection_agency_state", table_name="adjustment_objection")
    op.drop_index("ux_adjustment_objection_open", table_name="adjustment_objection")
    op.drop_table("adjustment_objection")
    op.drop_index("ix_pension_adjustment_year", table_name="pension_adjustment")
