"""Ministry batch imports (issue 16, 2.7/2.8): the staged import pipeline's tables — the import, its stored file and
its staged rows.

Revision ID: 0020_ministry_imports
Revises: 0019_push_order
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020_ministry_imports"
down_revision = "0019_push_order"
branch_labels = None
depends_on = None


_STAMP = sa.DateTime(timezone=True)


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "ministry_import",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_digest", sa.Text(), nullable=False),
        sa.Column("file_size", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("state", sa.Text(), server_default="uploaded", nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=False),
        _count("total_rows"),
        _count("valid_rows"),
        _count("exception_rows"),
        _count("duplicate_rows"),
        _count("applied_rows"),
        _count("processed_rows"),
        sa.Column("warnings", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("uploaded_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("staged_at", _STAMP, nullable=True),
        sa.Column("committed_at", _STAMP, nullable=True),
        sa.Column("committed_by", sa.Text(), nullable=True),
        sa.Column("corrects_import_id", sa.BigInteger(), sa.ForeignKey("ministry_import.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_ministry_import_digest",
        "ministry_import",
        ["kind", "file_digest"],
        unique=True,
        postgresql_where=sa.text("state NOT IN ('failed', 'abandoned')"),
    )
    op.create_index("ix_ministry_import_institution", "ministry_import", ["institution_id", "id"])
    op.create_index(
        "ix_ministry_import_active",
        "ministry_import",
        ["state"],
        postgresql_where=sa.text("state IN ('uploaded', 'staging', 'committing')"),
    )
    op.create_table(
        "ministry_import_file",
        sa.Column(
            "import_id", sa.BigInteger(), sa.ForeignKey("ministry_import.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("import_id"),
    )
    op.create_table(
        "ministry_import_row",
        sa.Column(
            "import_id", sa.BigInteger(), sa.ForeignKey("ministry_import.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("row_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("id_number", sa.Text(), nullable=True),
        sa.Column("id_number_18", sa.Text(), nullable=True),
        sa.Column("personal_number", sa.Text(), nullable=True),
        sa.Column("retiree_id", sa.BigInteger(), nullable=True),
        sa.Column("fields", postgresql.JSONB(), nullable=False),
        sa.Column("problems", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("outcome", sa.Text(), server_default="valid", nullable=False),
        sa.Column("record_key", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("import_id", "row_number"),
    )
    op.create_index("ix_ministry_import_row_outcome", "ministry_import_row", ["import_id", "outcome"])
    op.create_index("ix_ministry_import_row_record_key", "ministry_import_row", ["record_key"])


def downgrade() -> None:
    op.drop_index("ix_ministry_import_row_record_key", table_name="ministry_import_row")
    op.drop_index("ix_ministry_import_row_outcome", table_name="ministry_import_row")
    op.drop_table("ministry_import_row")
    op.drop_table("ministry_import_file")
    op.drop_index("ix_ministry_import_active", table_name="ministry_import")
    op.drop_index("ix_ministry_import_institution", table_name="ministry_import")
    op.drop_index("ux_ministry_import_digest", table_name="ministry_import")
    op.drop_table("ministry_import")
