"""Transfers (issue 14, 4.4): the transfer record — within the city (requested → taken in | cancelled), out of the
city and in from another city (completed at once) — with who did each step and the status-change entries it wrote.

Revision ID: 0010_transfers
Revises: 0009_login_hardening
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_transfers"
down_revision = "0009_login_hardening"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "transfer",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="requested", nullable=False),
        sa.Column("from_institution_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=True),
        sa.Column("to_institution_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=True),
        sa.Column("destination_code", sa.Text(), nullable=True),
        sa.Column("destination_name", sa.Text(), nullable=True),
        sa.Column("destination_address", sa.Text(), nullable=True),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("taken_in_on", sa.Date(), nullable=True),
        sa.Column("taken_in_by", sa.Text(), nullable=True),
        sa.Column("taken_in_at", _STAMP, nullable=True),
        sa.Column("cancelled_by", sa.Text(), nullable=True),
        sa.Column("cancelled_at", _STAMP, nullable=True),
        sa.Column("out_entry_id", sa.BigInteger(), sa.ForeignKey("status_change.id"), nullable=True),
        sa.Column("in_entry_id", sa.BigInteger(), sa.ForeignKey("status_change.id"), nullable=True),
        sa.Column("cancel_entry_id", sa.BigInteger(), sa.ForeignKey("status_change.id"), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("closing_remarks", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_transfer_open", "transfer", ["retiree_id"], unique=True, postgresql_where=sa.text("state = 'requested'")
    )
    op.create_index("ix_transfer_to_state", "transfer", ["to_institution_id", "state"], unique=False)
    op.create_index("ix_transfer_from_state", "transfer", ["from_institution_id", "state"], unique=False)
    op.create_index("ix_transfer_retiree", "transfer", ["retiree_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_transfer_retiree", table_name="transfer")
    op.drop_index("ix_transfer_from_state", table_name="transfer")
    op.drop_index("ix_transfer_to_state", table_name="transfer")
    op.drop_index("ux_transfer_open", table_name="transfer")
    op.drop_table("transfer")
