"""Issue 18 (0029_query_speed): the indexes the section-6 queries still slower than 1 s at 1,000,000 retirees need,
as EXPLAIN ANALYZE on the benchmark's registry showed them.

``ix_retiree_institution_agency``: 6.5 and 6.6 (domain/queries/residence.py) look for the few people insured by an
agency of another district than the one they are registered in. Per community, the people of the two ranges of
agency codes other than its district's are two index range reads (1,620 communities: tens of milliseconds), instead
of every retiree of the scope compared one by one (6.5 city-wide today 4.1 s, 6.6 city-wide a year back 4.2 s).

``ix_retiree_birthday``: 6.12 lists the birthdays of a day or a range of days, whatever the year; the month and day
as one number (03-15 is 315) indexed, a week of birthdays (1.6 % of the registry) is read through it instead of
formatting every retiree's birth date (city-wide first page 1.7 s to 0.1 s).

Revision ID: 0029_query_speed
Revises: 0028_legacy_history
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0029_query_speed"
down_revision = "0028_legacy_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_retiree_institution_agency ON retiree (institution_id, insuring_agency_code)")
    op.execute(
        "CREATE INDEX ix_retiree_birthday ON retiree "
        "(((EXTRACT(MONTH FROM birth_date) * 100 + EXTRACT(DAY FROM birth_date))::int))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_retiree_birthday")
    op.execute("DROP INDEX IF EXISTS ix_retiree_institution_agency")
