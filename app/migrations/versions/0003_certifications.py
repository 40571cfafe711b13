"""Certifications (issue 5): one certification per retiree and day, every source's report of it, and the index the
overdue-certification rule scans.

Revision ID: 0003_certifications
Revises: 0002_registry
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_certifications"
down_revision = "0002_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certification",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("certified_by", sa.Text(), nullable=True),
        sa.Column("location_code", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("retiree_id", "certified_on", name="uq_certification_retiree_day"),
    )
    op.create_index("ix_certification_certified_on", "certification", ["certified_on"])
    op.create_table(
        "certification_report",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("certified_by", sa.Text(), nullable=True),
        sa.Column("location_code", sa.Text(), nullable=True),
        sa.Column("certification_id", sa.BigInteger(), sa.ForeignKey("certification.id"), nullable=True),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_certification_report_source"),
    )
    op.create_index("ix_certification_report_retiree", "certification_report", ["retiree_id", "certified_on"])
    op.create_index(
        "ix_retiree_certified_registered",
        "retiree",
        [sa.text("coalesce(last_certified_on, registered_on)")],
        postgresql_where=sa.text("status = 'registered'"),
    )


def downgrade() -> None:
    op.drop_index("ix_retiree_certified_registered", table_name="retiree")
    op.drop_index("ix_certification_report_retiree", table_name="certification_report")
    op.drop_table("certification_report")
    op.drop_index("ix_certification_certified_on", table_name="certification")
    op.drop_table("certification")
