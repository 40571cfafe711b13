"""Where each retiree was managed on a past date (4.8, for the reports of 7.x): the institution before the earliest
institution change (split or merge, kind ``institution_changed``) that took effect after that date, else the current
one. Set-based: a join over the few institution changes after the date (``ix_status_change_institution_changed``),
not a lookup per retiree, so a report over the whole city costs one extra hash join.

Use :data:`INSTITUTION_ON_JOIN` after ``FROM retiree r`` (it binds ``:on``) and :data:`INSTITUTION_ON` wherever the
report reads ``r.institution_id``.
"""

from __future__ import annotations

INSTITUTION_ON_JOIN = """
    LEFT JOIN (
        SELECT DISTINCT ON (sc.retiree_id)
               sc.retiree_id, (sc.before_state ->> 'institution_id')::bigint AS institution_id
        FROM status_change sc
        WHERE sc.kind = 'institution_changed' AND sc.effective_date > :on
        ORDER BY sc.retiree_id, sc.effective_date, sc.id
    ) AS was_at ON was_at.retiree_id = r.id
"""
INSTITUTION_ON = "coalesce(was_at.institution_id, r.institution_id)"
