"""Issue 18 (0026_state_periods_everyone): the indexes the as-of reads and 6.15 need, as EXPLAIN ANALYZE on the
benchmarks' 1,000,000 retirees showed them.

An as-of read (domain/status_log/periods.py) joins only the *closed* period covering the date: a retiree whose open
period covers it (most of the registry, a year back) is read from their own row, which the open period equals by
construction; a retiree without history has no period and is read from their row too. So the join reads the few
periods that closed after the date (28,000 a year back) through ``ix_retiree_state_period_closed`` — an index-only
scan, partial on ``valid_to IS NOT NULL`` — instead of hashing all 1,700,000 periods (city-wide 6.3 count a year
back: 2.4 s to 0.95 s on a loaded machine; a community 3.3 s to 0.2 s with the scope candidates of
domain/queries/sql.py). Giving every retiree an open period (a 1,000,000-row backfill) was the first plan; the plans
showed the open periods are never what makes an as-of read slow, so they are not written twice.

``ix_status_change_suspensions``: 6.15 lists suspensions and resumptions newest first; without it every page read
the whole log (850,000 entries, 0.5 s for an empty answer).

Revision ID: 0026_state_periods_everyone
Revises: 0025_legacy_migration
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0026_state_periods_everyone"
down_revision = "0025_legacy_migration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_retiree_state_period_closed ON retiree_state_period (valid_to, retiree_id) "
        "INCLUDE (valid_from, status, institution_id, suspension_reason) WHERE valid_to IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX ix_status_change_suspensions ON status_change (effective_date, id) INCLUDE (institution_id) "
        "WHERE kind IN ('suspended', 'resumed')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_status_change_suspensions")
    op.execute("DROP INDEX IF EXISTS ix_retiree_state_period_closed")
