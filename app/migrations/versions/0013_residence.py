"""Non-local residents (issue 14, 4.7): a retiree's residence history (the current one marked; a residence in another
city makes the retiree non-local) and the people insured elsewhere who live here, kept by their community.

Revision ID: 0013_residence
Revises: 0012_suspension_brake
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_residence"
down_revision = "0012_suspension_brake"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retiree_residence",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id", ondelete="CASCADE"), nullable=False),
        sa.Column("city_code", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("current", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retiree_residence_retiree_id", "retiree_residence", ["retiree_id"], unique=False)
    op.create_index(
        "ux_retiree_residence_current",
        "retiree_residence",
        ["retiree_id"],
        unique=True,
        postgresql_where=sa.text("current"),
    )
    op.create_index(
        "ix_retiree_residence_current_city",
        "retiree_residence",
        ["city_code"],
        unique=False,
        postgresql_where=sa.text("current"),
    )
    op.create_table(
        "incoming_resident",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("id_number", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("insuring_place_code", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("community_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("created_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", _STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number"),
    )
    op.create_index("ix_incoming_resident_community_id", "incoming_resident", ["community_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_incoming_resident_community_id", table_name="incoming_resident")
    op.drop_table("incoming_resident")
    op.drop_index("ix_retiree_residence_current_city", table_name="retiree_residence")
    op.drop_index("ux_retiree_residence_current", table_name="retiree_residence")
    op.drop_index("ix_retiree_residence_retiree_id", table_name="retiree_residence")
    op.drop_table("retiree_residence")
