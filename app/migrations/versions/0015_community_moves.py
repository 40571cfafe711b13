"""Community split and merge (issue 15, 4.8): the move and its member snapshot, and the index the reports use to
find where a retiree was on a past date (the institution changes after it).

Revision ID: 0015_community_moves
Revises: 0014_archive_handover
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015_community_moves"
down_revision = "0014_archive_handover"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)
_OPEN = sa.text("state IN ('pending', 'running', 'failed')")


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "community_move",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("source_institution_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("target_institution_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("street_institution_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("selection", postgresql.JSONB(), nullable=False),
        sa.Column("account_handling", sa.Text(), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        _count("total"),
        _count("done"),
        _count("moved"),
        _count("skipped"),
        sa.Column("excluded", postgresql.JSONB(), nullable=False),
        _count("excluded_count"),
        _count("accounts_handled"),
        sa.Column("source_deactivated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _count("attempts"),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", _STAMP, nullable=True),
        sa.Column("finished_at", _STAMP, nullable=True),
        sa.Column("updated_at", _STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index(
        "ux_community_move_open_source",
        "community_move",
        ["source_institution_id"],
        unique=True,
        postgresql_where=_OPEN,
    )
    op.create_index("ix_community_move_street", "community_move", ["street_institution_id", "id"], unique=False)
    op.create_index("ix_community_move_open", "community_move", ["state"], unique=False, postgresql_where=_OPEN)
    op.create_table(
        "community_move_member",
        sa.Column("move_id", sa.BigInteger(), sa.ForeignKey("community_move.id", ondelete="CASCADE"), nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("done", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("outcome", sa.Text(), server_default="waiting", nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("move_id", "retiree_id"),
    )
    op.create_index(
        "ix_community_move_member_waiting",
        "community_move_member",
        ["move_id", "retiree_id"],
        unique=False,
        postgresql_where=sa.text("NOT done"),
    )
    op.create_index("ix_community_move_member_retiree", "community_move_member", ["retiree_id"], unique=False)
    op.create_index(
        "ix_status_change_institution_changed",
        "status_change",
        ["effective_date", "retiree_id", "id"],
        unique=False,
        postgresql_where=sa.text("kind = 'institution_changed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_status_change_institution_changed", table_name="status_change")
    op.drop_index("ix_community_move_member_retiree", table_name="community_move_member")
    op.drop_index("ix_community_move_member_waiting", table_name="community_move_member")
    op.drop_table("community_move_member")
    op.drop_index("ix_community_move_open", table_name="community_move")
    op.drop_index("ix_community_move_street", table_name="community_move")
    op.drop_index("ux_community_move_open_source", table_name="community_move")
    op.drop_table("community_move")
