"""Issue 16 (0021_suspicious_matches): the suspicious-list comparison (2.8): one match per list row, reviewed by
staff, and the cache of name comparison keys.

Revision ID: 0021_suspicious_matches
Revises: 0020_ministry_imports
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_suspicious_matches"
down_revision = "0020_ministry_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suspicious_match",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), nullable=True),
        sa.Column("match_kind", sa.Text(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("employer_code", sa.Text(), nullable=True),
        sa.Column("employer_name", sa.Text(), nullable=True),
        sa.Column("payment_status", sa.Text(), nullable=True),
        sa.Column("review_state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("reviewed_by", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("compared_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id", "row_number"],
            ["ministry_import_row.import_id", "ministry_import_row.row_number"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "row_number"),
    )
    op.create_index("ix_suspicious_match_worklist", "suspicious_match", ["review_state", "flagged"], unique=False)
    op.create_index("ix_suspicious_match_retiree", "suspicious_match", ["retiree_id"], unique=False)
    op.create_table(
        "suspicious_name_key",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_suspicious_name_key_key", "suspicious_name_key", ["name_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_suspicious_name_key_key", table_name="suspicious_name_key")
    op.drop_table("suspicious_name_key")
    op.drop_index("ix_suspicious_match_retiree", table_name="suspicious_match")
    op.drop_index("ix_suspicious_match_worklist", table_name="suspicious_match")
    op.drop_table("suspicious_match")
