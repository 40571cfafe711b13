"""Each retiree's states with their validity ranges (issue 18: every count and list as of any past date), kept by
the database in the transaction that writes the status-change log, whatever writes it (a staff command, the
nightly rules' set-based writer, a split or merge, the legacy migration).

``retiree_state_period`` holds, for every retiree with at least one log entry, consecutive periods covering all of
time: the state before the first entry (``valid_from`` NULL: since the beginning), then the state after each entry
until the next one took effect (``valid_to`` exclusive; NULL: still). Entries restored as errors, and the restoring
entries themselves, count as never made; entries taking effect on the same day follow the log's order (the later
entry wins, as :func:`domain.status_log.service.state_on` reads it). A retiree without entries has been as they are
since approval and has no period: an as-of query reads their current row (domain/status_log/periods.py).

A statement-level trigger with a transition table rebuilds the periods of the retirees an INSERT (or COPY) touched,
set-based, so a run of the nightly rules writing 150,000 entries rebuilds 150,000 retirees in one statement.

Revision ID: 0022_state_periods
Revises: 0021_suspicious_matches
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_state_periods"
down_revision = "0021_suspicious_matches"
branch_labels = None
depends_on = None

REBUILD = """
CREATE OR REPLACE FUNCTION rebuild_retiree_state_periods(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM retiree_state_period p WHERE p.retiree_id = ANY(ids);
    WITH live AS (
        SELECT e.id, e.retiree_id, e.effective_date, e.before_state, e.after_state
        FROM status_change e
        WHERE e.retiree_id = ANY(ids)
          AND e.kind <> 'error_restored'
          AND NOT EXISTS (SELECT 1 FROM status_change x WHERE x.reverses_id = e.id)
    ), ordered AS (
        SELECT l.*, row_number() OVER w AS n, lead(l.effective_date) OVER w AS next_date
        FROM live l
        WINDOW w AS (PARTITION BY l.retiree_id ORDER BY l.effective_date, l.id)
    )
    INSERT INTO retiree_state_period
        (retiree_id, seq, valid_from, valid_to, status, institution_id, suspension_reason, entry_id)
    SELECT o.retiree_id, 0, NULL, o.effective_date, o.before_state ->> 'status',
           (o.before_state ->> 'institution_id')::bigint, o.before_state ->> 'suspension_reason', NULL
    FROM ordered o WHERE o.n = 1
    UNION ALL
    SELECT o.retiree_id, o.n, o.effective_date, o.next_date, o.after_state ->> 'status',
           (o.after_state ->> 'institution_id')::bigint, o.after_state ->> 'suspension_reason', o.id
    FROM ordered o WHERE o.next_date IS NULL OR o.next_date > o.effective_date;
$$;

CREATE OR REPLACE FUNCTION refresh_retiree_state_periods() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rebuild_retiree_state_periods(ARRAY(SELECT DISTINCT n.retiree_id FROM new_entries n));
    RETURN NULL;
END;
$$;

CREATE TRIGGER status_change_state_periods
    AFTER INSERT ON status_change
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refresh_retiree_state_periods();
"""


def upgrade() -> None:
    op.create_table(
        "retiree_state_period",
        sa.Column("retiree_id", sa.BigInteger(), sa.ForeignKey("retiree.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.BigInteger(), nullable=True),
        sa.Column("suspension_reason", sa.Text(), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("retiree_id", "seq"),
    )
    op.create_index("ix_retiree_state_period_institution", "retiree_state_period", ["institution_id", "status"])
    op.execute(REBUILD)
    # Every retiree with a log entry so far, in one set-based statement.
    op.execute("SELECT rebuild_retiree_state_periods(ARRAY(SELECT DISTINCT retiree_id FROM status_change))")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS status_change_state_periods ON status_change")
    op.execute("DROP FUNCTION IF EXISTS refresh_retiree_state_periods()")
    op.execute("DROP FUNCTION IF EXISTS rebuild_retiree_state_periods(bigint[])")
    op.drop_index("ix_retiree_state_period_institution", table_name="retiree_state_period")
    op.drop_table("retiree_state_period")
