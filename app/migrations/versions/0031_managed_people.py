"""Issue 18 (0031_managed_people): ``ix_retiree_managed``, the people the registry manages today (registered,
suspended, transferring out, in an institution) in personal-id order, with their approval date: the list every
city-wide count of managed people joins with in id order.

6.13 counts a period's certifications of the people managed on a date. Hashing the 800,000 managed people from the
retiree table (240 bytes a row) took 0.7 s; a merge of this index (index-only, 16 bytes an entry) with the
certifications in person order (``uq_certification_retiree_day``, index-only) takes 0.3 s at 1,000,000 retirees with
two years of certifications (EXPLAIN ANALYZE on the benchmark's registry, bench/history.py). A status change already
rewrites the row's index entries (``ix_retiree_status``), so the index adds no new kind of write.

Revision ID: 0031_managed_people
Revises: 0030_query_pages
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0031_managed_people"
down_revision = "0030_query_pages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_retiree_managed ON retiree (id) INCLUDE (approval_date) "
        "WHERE status IN ('registered', 'suspended', 'transferring_out') AND institution_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_retiree_managed")
