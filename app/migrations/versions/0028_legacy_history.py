"""Issue 17 (0028_legacy_history): the legacy migration's certification history and run guard — the refused rows of
a run kept outside staging (``legacy_run_refusal``, filled from the staging of the runs there are) and the moment a
run's staging was purged (``legacy_run.staging_purged_at``). The certification history itself needs no schema (rows
of ``certification``/``certification_report`` with source ``legacy``); the run guard is an advisory lock.

Revision ID: 0028_legacy_history
Revises: 0027_suspicious_results
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_legacy_history"
down_revision = "0027_suspicious_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("legacy_run", sa.Column("staging_purged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "legacy_run_refusal",
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("legacy_run.id", ondelete="CASCADE"), nullable=False),
        sa.Column("table_code", sa.Text(), nullable=False),
        sa.Column("row_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("problem_code", sa.Text(), nullable=False),
        sa.Column("problem_column", sa.Text(), nullable=True),
        sa.Column("problem_message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "table_code", "row_no"),
    )
    op.execute("""
        INSERT INTO legacy_run_refusal (run_id, table_code, row_no, problem_code, problem_column, problem_message)
        SELECT run_id, table_code, row_no, problem_code, problem_column, problem_message FROM (
            SELECT run_id, table_code, row_no, problem_code, problem_column, problem_message FROM legacy_stage_unit
            UNION ALL SELECT run_id, 'AC01', row_no, problem_code, problem_column, problem_message
            FROM legacy_stage_person
            UNION ALL SELECT run_id, 'IC10', row_no, problem_code, problem_column, problem_message
            FROM legacy_stage_archive
            UNION ALL SELECT run_id, table_code, row_no, problem_code, problem_column, problem_message
            FROM legacy_stage_event
        ) r
        WHERE problem_code IS NOT NULL AND EXISTS (SELECT 1 FROM legacy_run l WHERE l.id = r.run_id)
    """)


def downgrade() -> None:
    op.drop_table("legacy_run_refusal")
    op.drop_column("legacy_run", "staging_purged_at")
