"""Employer hand-over of retirees' archives (issue 15, 3.1-3.3): the batches, their people (one open batch per
retiree at most), where each retiree's archive is kept now, and the yearly batch-number counter.

Revision ID: 0014_archive_handover
Revises: 0013_residence
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_archive_handover"
down_revision = "0013_residence"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "archive_handover",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("employer_id", sa.BigInteger(), sa.ForeignKey("employer.id"), nullable=False),
        sa.Column("agency_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("state", sa.Text(), server_default="drafted", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("voucher_number", sa.Text(), nullable=False),
        sa.Column("voucher_amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("voucher_date", sa.Date(), nullable=False),
        sa.Column("contact_person", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("person_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("drafted_by", sa.Text(), nullable=False),
        sa.Column("drafted_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", _STAMP, nullable=True),
        sa.Column("submitted_by", sa.Text(), nullable=True),
        sa.Column("submitted_at", _STAMP, nullable=True),
        sa.Column("returned_by", sa.Text(), nullable=True),
        sa.Column("returned_at", _STAMP, nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("received_by", sa.Text(), nullable=True),
        sa.Column("received_at", _STAMP, nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_archive_handover_agency_state", "archive_handover", ["agency_id", "state"], unique=False)
    op.create_index("ix_archive_handover_employer", "archive_handover", ["employer_id"], unique=False)
    op.create_table(
        "archive_handover_person",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "handover_id", sa.BigInteger(), sa.ForeignKey("archive_handover.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("items", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("copies", sa.Integer(), server_default="1", nullable=False),
        sa.Column("deceased", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("open", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("discrepancy", sa.Text(), nullable=True),
        sa.Column("receipt_remarks", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_archive_handover_person", "archive_handover_person", ["handover_id", "retiree_id"], unique=True)
    op.create_index(
        "ux_archive_handover_person_open",
        "archive_handover_person",
        ["retiree_id"],
        unique=True,
        postgresql_where=sa.text("open"),
    )
    op.create_index("ix_archive_handover_person_retiree", "archive_handover_person", ["retiree_id"], unique=False)
    op.create_table(
        "archive_custody",
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id", ondelete="CASCADE"), nullable=False),
        sa.Column("institution_id", sa.BigInteger(), sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("handover_id", sa.BigInteger(), sa.ForeignKey("archive_handover.id"), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("discrepancy", sa.Text(), nullable=True),
        sa.Column("recorded_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("retiree_id"),
    )
    op.create_index("ix_archive_custody_institution", "archive_custody", ["institution_id"], unique=False)
    op.create_index("ix_archive_custody_handover_id", "archive_custody", ["handover_id"], unique=False)
    op.create_table(
        "archive_handover_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )


def downgrade() -> None:
    op.drop_table("archive_handover_counter")
    op.drop_index("ix_archive_custody_handover_id", table_name="archive_custody")
    op.drop_index("ix_archive_custody_institution", table_name="archive_custody")
    op.drop_table("archive_custody")
    op.drop_index("ix_archive_handover_person_retiree", table_name="archive_handover_person")
    op.drop_index("ux_archive_handover_person_open", table_name="archive_handover_person")
    op.drop_index("ux_archive_handover_person", table_name="archive_handover_person")
    op.drop_table("archive_handover_person")
    op.drop_index("ix_archive_handover_employer", table_name="archive_handover")
    op.drop_index("ix_archive_handover_agency_state", table_name="archive_handover")
    op.drop_table("archive_handover")
