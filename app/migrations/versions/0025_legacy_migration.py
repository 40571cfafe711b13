"""The legacy migration of the 2007 system (issue 17): runs and their reports, UNLOGGED staging, and the mark that
the migration is complete (the go-live gate of the suspension rules reads it).

Revision ID: 0025_legacy_migration
Revises: 0024_talent_archives
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_legacy_migration"
down_revision = "0024_talent_archives"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)
_STAGES = ("legacy_stage_person", "legacy_stage_archive", "legacy_stage_unit", "legacy_stage_event")


def _count(name: str, default: int = 0) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default=str(default), nullable=False)


def _run_key() -> sa.Column[int]:
    return sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("legacy_run.id", ondelete="CASCADE"), nullable=False)


def _problem() -> list[sa.Column[str]]:
    return [sa.Column(name, sa.Text(), nullable=True) for name in ("problem_code", "problem_column", "problem_message")]


def upgrade() -> None:
    op.create_table(
        "legacy_run",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("state", sa.Text(), server_default="staging", nullable=False),
        _count("chunk_size", 10000),
        _count("chunks_total"),
        _count("chunks_done"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", _STAMP, nullable=True),
        sa.Column("updated_at", _STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "legacy_run_table",
        _run_key(),
        sa.Column("table_code", sa.Text(), nullable=False),
        _count("rows_read"),
        _count("would_import"),
        _count("would_merge"),
        _count("refused"),
        sa.PrimaryKeyConstraint("run_id", "table_code"),
    )
    op.create_table(
        "legacy_run_status",
        _run_key(),
        sa.Column("status", sa.Text(), nullable=False),
        _count("people"),
        _count("merged"),
        sa.PrimaryKeyConstraint("run_id", "status"),
    )
    op.create_table(
        "legacy_run_difference",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        _run_key(),
        sa.Column("retiree_id", sa.BigInteger(), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("registry_value", sa.Text(), nullable=True),
        sa.Column("legacy_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legacy_run_difference_run", "legacy_run_difference", ["run_id", "field", "id"])
    op.create_table(
        "legacy_migration_state",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("completed_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.Column("completed_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("id = 1", name="ck_legacy_migration_state_single"),
    )
    op.create_table(
        "legacy_stage_person",
        sa.Column("run_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("row_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=True),
        sa.Column("id_number", sa.Text(), nullable=True),
        sa.Column("id_upgraded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("employer_code", sa.Text(), nullable=True),
        *_problem(),
        sa.PrimaryKeyConstraint("run_id", "row_no"),
        prefixes=["UNLOGGED"],
    )
    op.create_index("ix_legacy_stage_person_number", "legacy_stage_person", ["run_id", "personal_number"])
    op.create_index("ix_legacy_stage_person_id_number", "legacy_stage_person", ["run_id", "id_number"])
    op.create_table(
        "legacy_stage_archive",
        sa.Column("run_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("row_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=True),
        sa.Column("retirement_date", sa.Date(), nullable=True),
        sa.Column("retirement_category", sa.Text(), nullable=True),
        sa.Column("community_code", sa.Text(), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("payment_status", sa.Text(), nullable=True),
        sa.Column("monthly_pension", sa.Text(), nullable=True),
        sa.Column("final_status", sa.Text(), nullable=True),
        *_problem(),
        sa.PrimaryKeyConstraint("run_id", "row_no"),
        prefixes=["UNLOGGED"],
    )
    op.create_index("ix_legacy_stage_archive_number", "legacy_stage_archive", ["run_id", "personal_number"])
    op.create_table(
        "legacy_stage_unit",
        sa.Column("run_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("table_code", sa.Text(), nullable=False),
        sa.Column("row_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("parent_code", sa.Text(), nullable=True),
        *_problem(),
        sa.PrimaryKeyConstraint("run_id", "table_code", "row_no"),
        prefixes=["UNLOGGED"],
    )
    op.create_table(
        "legacy_stage_event",
        sa.Column("run_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("table_code", sa.Text(), nullable=False),
        sa.Column("row_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        *_problem(),
        sa.PrimaryKeyConstraint("run_id", "table_code", "row_no"),
        prefixes=["UNLOGGED"],
    )
    op.create_index("ix_legacy_stage_event_number", "legacy_stage_event", ["run_id", "personal_number"])
    op.create_index(
        "ux_status_change_import",
        "status_change",
        ["retiree_id", "cause_ref"],
        unique=True,
        postgresql_where=sa.text("cause_type = 'import'"),
    )


def downgrade() -> None:
    op.drop_index("ux_status_change_import", table_name="status_change")
    for name in reversed(_STAGES):
        op.drop_table(name)
    op.drop_table("legacy_migration_state")
    op.drop_index("ix_legacy_run_difference_run", table_name="legacy_run_difference")
    op.drop_table("legacy_run_difference")
    op.drop_table("legacy_run_status")
    op.drop_table("legacy_run_table")
    op.drop_table("legacy_run")
