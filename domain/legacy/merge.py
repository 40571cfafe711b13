"""The import of a validated run (issue 17): set-based merges from staging into the registry.

First the streets, communities and employers (one transaction, by code: those already there are kept), then the
people chunk by chunk (a range of AC01 rows per transaction, with the run's ``chunks_done``), each chunk:

1. INSERT … SELECT … ON CONFLICT (id_number) DO UPDATE into ``retiree``: a new person arrives in the state their
   history ends in; one the province has synced already (approved, not registered) keeps the province's fields (name,
   personal number, payment status, pension) and takes the old system's management facts (community, registration,
   status, suspension, death, last certification).
2. INSERT … SELECT into ``status_change``: the registration (IC10) and every change (AEF1) as of its own date, with
   ``cause_type`` ``import``, ``sync_state`` ``not_sent`` and no outbox event — nothing is pushed to the province —
   and a deterministic ``cause_ref`` (unique per retiree among imported entries) so that an entry already
   imported is never imported again. The state-periods
   trigger turns them into the periods the as-of queries read.
3. INSERT … SELECT into ``certification`` and ``certification_report``: every certification date of the old system
   (AC60) as of its own date, source ``legacy`` (历史系统迁移), idempotent by ``(source, source_id)``; nothing
   pushed to the province either (``last_certified_on`` is the latest of them, set in step 1).
4. One audit entry naming every retiree of the chunk, and the chunk counted done.

A chunk either commits whole or not at all, so a run killed anywhere and run again (``hub legacy import`` resumes the
unfinished run of the same export) gives the registry one run would.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import trail
from domain.certifications.rules import CertificationSource
from domain.legacy.schema import Mapping
from domain.shared.actor import Actor

LEGACY_METHOD = "legacy"  # the old system did not record how a certification was made
SUSPENSION_REASON = "S04"  # 经办人员暂停: the old system's suspensions, whatever their cause there
_KIND = "CASE ch.kind WHEN 'moved_away' THEN 'transferred_out' ELSE ch.kind END"
_REASON = (
    "CASE ch.kind WHEN 'registered' THEN 'REG' WHEN 'suspended' THEN 'S04' WHEN 'resumed' THEN 'R02' "
    "WHEN 'deceased' THEN 'DTH' ELSE 'TOUT' END"
)

_STREETS = """
INSERT INTO institution (id, code, name, level, parent_id, path)
SELECT s.id, s.code, s.name, :level, s.parent_id, s.parent_path || s.id || '/'
FROM (
    SELECT nextval(pg_get_serial_sequence('institution', 'id')) AS id, u.code, u.name, p.id AS parent_id,
           p.path AS parent_path
    FROM legacy_stage_unit u JOIN institution p ON p.code = u.parent_code AND p.level = :parent_level
    WHERE u.run_id = :run AND u.table_code = :table AND u.problem_code IS NULL
      AND NOT EXISTS (SELECT 1 FROM institution i WHERE i.code = u.code)
) s
"""

_EMPLOYERS = """
INSERT INTO employer (code, name, insuring_agency_code)
SELECT u.code, u.name, :agency FROM legacy_stage_unit u
WHERE u.run_id = :run AND u.table_code = 'AB01' AND u.problem_code IS NULL
ON CONFLICT (code) DO NOTHING
"""

_PEOPLE = """
SELECT p.personal_number, p.id_number, p.name, p.sex, p.birth_date, p.employer_code,
       a.retirement_date, a.retirement_category, a.payment_status, a.monthly_pension::numeric AS monthly_pension,
       a.registered_on, a.final_status, c.id AS institution_id,
       h.last_on, h.death_on,
       (SELECT max(e.on_date) FROM legacy_stage_event e
        WHERE e.run_id = :run AND e.table_code = 'AC60' AND e.personal_number = p.personal_number
          AND e.problem_code IS NULL) AS certified_on
FROM legacy_stage_person p
JOIN legacy_stage_archive a ON a.run_id = p.run_id AND a.personal_number = p.personal_number AND a.problem_code IS NULL
JOIN institution c ON c.code = a.community_code AND c.level = 'community'
LEFT JOIN LATERAL (
    SELECT max(e.on_date) AS last_on, max(e.on_date) FILTER (WHERE e.kind = 'deceased') AS death_on
    FROM legacy_stage_event e
    WHERE e.run_id = :run AND e.table_code = 'AEF1' AND e.personal_number = p.personal_number
      AND e.problem_code IS NULL
) h ON true
WHERE p.run_id = :run AND p.row_no >= :lo AND p.row_no < :hi AND p.problem_code IS NULL
"""

_RETIREES = f"""
WITH src AS ({_PEOPLE})
INSERT INTO retiree AS r (
    personal_number, id_number, name, sex, birth_date, retirement_date, retirement_category, insuring_agency_code,
    employer_code, payment_status, monthly_pension, management_form, institution_id, status, suspension_reason,
    resume_to, status_since, registered_on, death_date, last_certified_on)
SELECT personal_number, id_number, name, sex, birth_date, retirement_date, retirement_category, :agency,
       employer_code, payment_status, monthly_pension, :form, institution_id, final_status,
       CASE WHEN final_status = 'suspended' THEN '{SUSPENSION_REASON}' END,
       CASE WHEN final_status = 'suspended' THEN 'registered' END,
       coalesce(last_on, registered_on), registered_on, death_on, certified_on
FROM src
ON CONFLICT (id_number) DO UPDATE SET
    institution_id = EXCLUDED.institution_id,
    status = EXCLUDED.status,
    suspension_reason = EXCLUDED.suspension_reason,
    resume_to = EXCLUDED.resume_to,
    status_since = EXCLUDED.status_since,
    registered_on = EXCLUDED.registered_on,
    death_date = coalesce(r.death_date, EXCLUDED.death_date),
    last_certified_on = greatest(r.last_certified_on, EXCLUDED.last_certified_on),
    employer_code = coalesce(r.employer_code, EXCLUDED.employer_code),
    retirement_date = coalesce(r.retirement_date, EXCLUDED.retirement_date),
    version = r.version + 1,
    updated_at = now()
WHERE (r.institution_id, r.status, r.registered_on, r.status_since, r.last_certified_on)
      IS DISTINCT FROM
      (EXCLUDED.institution_id, EXCLUDED.status, EXCLUDED.registered_on, EXCLUDED.status_since,
       greatest(r.last_certified_on, EXCLUDED.last_certified_on))
"""

_HISTORY = f"""
WITH people AS (
    SELECT src.personal_number, src.registered_on, src.institution_id, r.id AS retiree_id,
           r.personal_number AS registry_number
    FROM ({_PEOPLE}) src JOIN retiree r ON r.id_number = src.id_number
), changes AS (
    SELECT pe.retiree_id, pe.registry_number, pe.institution_id, 'registered' AS kind, pe.registered_on AS on_date,
           0 AS seq, NULL::text AS remarks, 'IC10' AS source
    FROM people pe
    UNION ALL
    SELECT pe.retiree_id, pe.registry_number, pe.institution_id, e.kind, e.on_date, e.row_no, e.reason, 'AEF1'
    FROM people pe
    JOIN legacy_stage_event e ON e.run_id = :run AND e.table_code = 'AEF1'
         AND e.personal_number = pe.personal_number AND e.problem_code IS NULL
), chained AS (
    SELECT c.*, t.to_status,
           lag(t.to_status, 1, 'approved') OVER (PARTITION BY c.retiree_id ORDER BY c.on_date, c.seq) AS from_status,
           'legacy:' || c.source || ':' || c.kind || ':' || c.on_date AS ref
    FROM changes c
    CROSS JOIN LATERAL (SELECT CASE c.kind WHEN 'resumed' THEN 'registered' ELSE c.kind END AS to_status) t
)
INSERT INTO status_change (
    retiree_id, personal_number, kind, reason_code, from_status, to_status, before_state, after_state,
    effective_date, institution_id, cause_type, cause_ref, actor, remarks, sync_state)
SELECT ch.retiree_id, ch.registry_number, {_KIND}, {_REASON}, ch.from_status, ch.to_status,
       jsonb_build_object(
           'status', ch.from_status,
           'institution_id', CASE WHEN ch.from_status = 'approved' THEN NULL ELSE ch.institution_id END,
           'suspension_reason', CASE WHEN ch.from_status = 'suspended' THEN '{SUSPENSION_REASON}' END,
           'resume_to', CASE WHEN ch.from_status = 'suspended' THEN 'registered' END),
       jsonb_build_object(
           'status', ch.to_status,
           'institution_id', ch.institution_id,
           'suspension_reason', CASE WHEN ch.to_status = 'suspended' THEN '{SUSPENSION_REASON}' END,
           'resume_to', CASE WHEN ch.to_status = 'suspended' THEN 'registered' END),
       ch.on_date, ch.institution_id, 'import', ch.ref, :actor, ch.remarks, 'not_sent'
FROM chained ch
ORDER BY ch.retiree_id, ch.on_date, ch.seq
ON CONFLICT (retiree_id, cause_ref) WHERE cause_type = 'import' DO NOTHING
"""

# The old system's certification dates (AC60) as certifications of their own dates, source ``legacy``: one report
# per person and date (``source_id`` "AC60:<old personal number>:<date>", so idempotent by (source, source_id)),
# joined to the certification of that day when another source has one already (it keeps its source: legacy is the
# lowest in rules.SOURCE_PRECEDENCE), else a new one. Written in SQL, never through the certification service: no
# outbox event, nothing sent to the province, no resumption — history, like the status changes above.
_CERTIFICATIONS = f"""
WITH certs AS (
    SELECT DISTINCT ON (r.id, e.on_date) r.id AS retiree_id, e.on_date,
           'AC60:' || src.personal_number || ':' || e.on_date AS source_id
    FROM ({_PEOPLE}) src
    JOIN retiree r ON r.id_number = src.id_number
    JOIN legacy_stage_event e ON e.run_id = :run AND e.table_code = 'AC60'
         AND e.personal_number = src.personal_number AND e.problem_code IS NULL
    ORDER BY r.id, e.on_date
), made AS (
    INSERT INTO certification (retiree_id, certified_on, source, method, certified_by)
    SELECT c.retiree_id, c.on_date, '{CertificationSource.LEGACY}', '{LEGACY_METHOD}', :actor FROM certs c
    ORDER BY c.retiree_id, c.on_date
    ON CONFLICT ON CONSTRAINT uq_certification_retiree_day DO NOTHING
    RETURNING id, retiree_id, certified_on
)
INSERT INTO certification_report (
    retiree_id, source, source_id, method, certified_on, result, certified_by, certification_id)
SELECT c.retiree_id, '{CertificationSource.LEGACY}', c.source_id, '{LEGACY_METHOD}', c.on_date, 'passed', :actor,
       coalesce(m.id, (SELECT x.id FROM certification x  -- looked up only for a day another source had already
                       WHERE x.retiree_id = c.retiree_id AND x.certified_on = c.on_date))
FROM certs c
LEFT JOIN made m ON m.retiree_id = c.retiree_id AND m.certified_on = c.on_date
ORDER BY c.retiree_id, c.on_date
ON CONFLICT ON CONSTRAINT uq_certification_report_source DO NOTHING
"""

_CHUNK_IDS = f"SELECT r.id FROM ({_PEOPLE}) src JOIN retiree r ON r.id_number = src.id_number ORDER BY r.id"


async def merge_units(session: AsyncSession, actor: Actor, run_id: int, mapping: Mapping) -> dict[str, int]:
    """Create the streets, communities and employers the registry does not have yet (by code)."""
    created: dict[str, int] = {}
    for table, level, parent in (("AF08", "street", "district"), ("AF02", "community", "street")):
        result = await session.execute(
            text(_STREETS), {"run": run_id, "table": table, "level": level, "parent_level": parent}
        )
        created[level] = int(result.rowcount)  # type: ignore[attr-defined]
    agency = mapping.defaults["insuring_agency_code"]
    result = await session.execute(text(_EMPLOYERS), {"run": run_id, "agency": agency})
    created["employer"] = int(result.rowcount)  # type: ignore[attr-defined]
    await trail.record(session, actor, "legacy.units", target=f"legacy_run:{run_id}", detail=created)
    return created


async def merge_chunk(session: AsyncSession, actor: Actor, run_id: int, mapping: Mapping, lo: int, hi: int) -> int:
    """Merge the people of AC01 rows ``lo`` ≤ row < ``hi`` with their history; returns the retirees touched."""
    params = {
        "run": run_id,
        "lo": lo,
        "hi": hi,
        "agency": mapping.defaults["insuring_agency_code"],
        "form": mapping.defaults["management_form"],
        "actor": actor.name,
    }
    await session.execute(text(_RETIREES), params)
    await session.execute(text(_HISTORY), params)
    await session.execute(text(_CERTIFICATIONS), params)
    ids = [int(i) for i in (await session.execute(text(_CHUNK_IDS), params)).scalars()]
    await trail.record_bulk(session, actor, "legacy.import", ids, {"run_id": run_id, "rows": [lo, hi]})
    return len(ids)
