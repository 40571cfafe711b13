"""Issue 18 (0030_query_pages): the indexes the last section-6 pages slower than 1 s at 1,000,000 retirees need, as
EXPLAIN ANALYZE on the benchmark's registry (with its three years of history, bench/history.py) showed them.

``ix_status_change_entered`` (replaces ``ix_status_change_entered_at``): 6.22 lists the log newest first
(``entered_at DESC NULLS LAST``, then the entry number), the order the index keeps, so the city's first page reads
20 entries instead of sorting 970,000 (0.70 s to under 1 ms); a period of entry dates reads it as the old one did.

``ix_status_change_institution_entered``: 6.22 below the city, the entries of the scope's institutions in the same
order (a district's count 0.5 s to 12 ms).

``ix_retiree_created``: 6.21 lists the newly approved by the date their approval reached the hub, newest first.

``ix_retiree_state_period_managed_closed``: 6.4's people who left — the closed periods in which someone was managed
(registered, suspended, transferring out) — per institution, read index-only instead of every period.

Revision ID: 0030_query_pages
Revises: 0029_query_speed
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0030_query_pages"
down_revision = "0029_query_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_status_change_entered_at")
    op.execute("CREATE INDEX ix_status_change_entered ON status_change (entered_at DESC NULLS LAST, id)")
    op.execute(
        "CREATE INDEX ix_status_change_institution_entered "
        "ON status_change (institution_id, entered_at DESC NULLS LAST, id)"
    )
    op.execute("CREATE INDEX ix_retiree_created ON retiree (created_at DESC NULLS LAST, id)")
    op.execute(
        "CREATE INDEX ix_retiree_state_period_managed_closed ON retiree_state_period (institution_id) "
        "INCLUDE (retiree_id, seq, valid_from, valid_to) "
        "WHERE valid_to IS NOT NULL AND status IN ('registered', 'suspended', 'transferring_out')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_retiree_state_period_managed_closed")
    op.execute("DROP INDEX IF EXISTS ix_retiree_created")
    op.execute("DROP INDEX IF EXISTS ix_status_change_institution_entered")
    op.execute("DROP INDEX IF EXISTS ix_status_change_entered")
    op.execute("CREATE INDEX ix_status_change_entered_at ON status_change (entered_at)")
