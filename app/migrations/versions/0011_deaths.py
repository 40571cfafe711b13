"""Deaths (issue 14, 4.6): the death record staff keep — how the death is known, the status-change entry it made and
the pension overpaid after it (months, amount, to_recover → recovered | waived).

Revision ID: 0011_deaths
Revises: 0010_transfers
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_deaths"
down_revision = "0010_transfers"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "death_record",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("status_change_id", sa.BigInteger(), sa.ForeignKey("status_change.id"), nullable=False),
        sa.Column("death_date", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("overpaid_months", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("monthly_pension", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("overpaid_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("recovery_state", sa.Text(), server_default="none", nullable=False),
        sa.Column("recovery_remarks", sa.Text(), nullable=True),
        sa.Column("recovery_marked_by", sa.Text(), nullable=True),
        sa.Column("recovery_marked_at", _STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("status_change_id"),
    )
    op.create_index("ix_death_record_retiree", "death_record", ["retiree_id", "id"], unique=False)
    op.create_index(
        "ix_death_record_to_recover",
        "death_record",
        ["recovery_state"],
        unique=False,
        postgresql_where=sa.text("recovery_state = 'to_recover'"),
    )


def downgrade() -> None:
    op.drop_index("ix_death_record_to_recover", table_name="death_record")
    op.drop_index("ix_death_record_retiree", table_name="death_record")
    op.drop_table("death_record")
