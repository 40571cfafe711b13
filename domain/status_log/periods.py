"""Every retiree's state as of any past date (issue 18; the counts of 7.x), read from ``retiree_state_period``:
periods kept by the database from the status-change log in the transaction that writes it (migration
0022_state_periods). One join, set-based, whatever the scope: a retiree with history has exactly one period
covering any date; a retiree without has been as they are since approval.

Use :data:`STATE_ON_JOIN` after ``FROM retiree r`` (it binds ``:on``), then :data:`STATUS_ON` and
:data:`INSTITUTION_ON` wherever the query reads ``r.status`` and ``r.institution_id``, and :data:`IN_REGISTRY_ON`
to leave out people approved after the date. The open period reads the retiree's own row (the same state, the log
and the row being written together), so a current query and an as-of-today query agree by construction.
"""

from __future__ import annotations

STATE_ON_JOIN = """
    LEFT JOIN retiree_state_period sp ON sp.retiree_id = r.id
         AND (sp.valid_from IS NULL OR sp.valid_from <= :on)
         AND (sp.valid_to IS NULL OR sp.valid_to > :on)
"""
_FROM_ROW = "sp.retiree_id IS NULL OR sp.valid_to IS NULL"
STATUS_ON = f"(CASE WHEN {_FROM_ROW} THEN r.status ELSE sp.status END)"
INSTITUTION_ON = f"(CASE WHEN {_FROM_ROW} THEN r.institution_id ELSE sp.institution_id END)"
SUSPENSION_REASON_ON = f"(CASE WHEN {_FROM_ROW} THEN r.suspension_reason ELSE sp.suspension_reason END)"
IN_REGISTRY_ON = "(r.approval_date IS NULL OR r.approval_date <= :on)"
