"""Issue 18 (0032_state_period_islands): a state period lasts while the state lasts. Entries that leave status,
institution and suspension reason as they were (4.2's supplementary information, recorded for a quarter of the
registry in three years and, once collected city-wide, for everyone) no longer split a retiree's period.

As-of reads join the closed period covering the date (domain/status_log/periods.py): with a period per entry, the
benchmark's history (bench/history.py, 182,262 supplementary-information entries) doubled the closed periods covering
a date a year back (66,000 to 131,000) without a single state changing, and the city's 6.13 a year back took 0.83 s
instead of 0.55 s. Consecutive periods with the same state are now one (gaps and islands over the periods the
function built before): its ``seq`` the first one's, ``valid_from`` the first's, ``valid_to`` the last's, ``entry_id``
the entry that began it. Every as-of answer is the same; the property test of tests/integration/test_state_periods.py
(random histories against a naive recomputation from the log, exactly one period covering each date) holds.

The upgrade rebuilds the periods of every retiree who has any. The downgrade keeps the function: merged periods answer
every read as the split ones did.

Revision ID: 0032_state_period_islands
Revises: 0031_managed_people
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0032_state_period_islands"
down_revision = "0031_managed_people"
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
    ), periods AS (
        SELECT o.retiree_id, 0::bigint AS n, NULL::date AS valid_from, o.effective_date AS valid_to,
               o.before_state ->> 'status' AS status, (o.before_state ->> 'institution_id')::bigint AS institution_id,
               o.before_state ->> 'suspension_reason' AS suspension_reason, NULL::bigint AS entry_id
        FROM ordered o WHERE o.n = 1
        UNION ALL
        SELECT o.retiree_id, o.n, o.effective_date, o.next_date, o.after_state ->> 'status',
               (o.after_state ->> 'institution_id')::bigint, o.after_state ->> 'suspension_reason', o.id
        FROM ordered o WHERE o.next_date IS NULL OR o.next_date > o.effective_date
    ), marked AS (
        SELECT p.*,
               CASE WHEN p.status IS NOT DISTINCT FROM lag(p.status) OVER w
                     AND p.institution_id IS NOT DISTINCT FROM lag(p.institution_id) OVER w
                     AND p.suspension_reason IS NOT DISTINCT FROM lag(p.suspension_reason) OVER w
                     AND lag(p.n) OVER w IS NOT NULL
                    THEN 0 ELSE 1 END AS begins
        FROM periods p
        WINDOW w AS (PARTITION BY p.retiree_id ORDER BY p.n)
    ), islands AS (
        SELECT m.*, sum(m.begins) OVER (PARTITION BY m.retiree_id ORDER BY m.n) AS island FROM marked m
    )
    INSERT INTO retiree_state_period
        (retiree_id, seq, valid_from, valid_to, status, institution_id, suspension_reason, entry_id)
    SELECT i.retiree_id, min(i.n), (array_agg(i.valid_from ORDER BY i.n))[1],
           (array_agg(i.valid_to ORDER BY i.n DESC))[1], i.status, i.institution_id, i.suspension_reason,
           (array_agg(i.entry_id ORDER BY i.n))[1]
    FROM islands i
    GROUP BY i.retiree_id, i.island, i.status, i.institution_id, i.suspension_reason;
$$;
"""


def upgrade() -> None:
    op.execute(REBUILD)
    op.execute("SELECT rebuild_retiree_state_periods(ARRAY(SELECT DISTINCT retiree_id FROM retiree_state_period))")


def downgrade() -> None:
    pass  # merged periods answer every as-of read as the split ones did (see above)
