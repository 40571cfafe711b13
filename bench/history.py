"""A realistic history on the benchmarks' registry (issue 18: the section-6 and section-7 figures "on a history built
for it"). The seed (seed/loader.py) gives 1,000,000 people one registration each; a city's registry after three years
also has people who moved to another community, were suspended and resumed, or died. This adds that history, once,
as the legacy system's history is brought over (the seed's own registrations are recorded the same way): status-change
entries already acknowledged by the province, each entered on the day it took effect, the state periods rebuilt by the
log's own trigger, the retiree rows left in their last state, a death record for each death.

Over the three years before today, by a fixed pseudo-random draw of the registered people (about 850,000 at 1,000,000):

- 4 % moved to another community of their street (4.8, 机构拆分合并), a quarter of them dying later;
- 6 % died (死亡减员), spread over the three years;
- 3 % suspended for an overdue certification (超过6个月未认证), 60 % of them resumed 45–195 days later;
- 3 % insured by another district's agency than the one they live and are registered in (6.5, 6.6);
- a certification a year over the last two years (12 % not yet this year), mostly by face recognition (6.13, 7.11);
- the sync date (``created_at``, 6.21): people approved after the go-live two years back arrived the day after their
  approval; the others at the go-live (the legacy migration).

    python -m bench.history          # make bench-history; idempotent (a second run finds the history and stops)

Set-based (a few INSERT … SELECT and UPDATE statements in one transaction); about a minute at 1,000,000 retirees.
Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import psycopg

from bench.support import DEFAULT_URL
from domain.shared import calendar

MARK = "bench-history"

_PLAN = """
CREATE TEMP TABLE history_plan ON COMMIT DROP AS
WITH siblings AS (
    SELECT parent_id, array_agg(id ORDER BY id) AS ids
    FROM institution WHERE level = 'community' AND active GROUP BY parent_id HAVING count(*) > 1
), drawn AS (
    SELECT r.id, r.personal_number, r.institution_id, r.registered_on, (r.id * 7919) %% 1000 AS g,
           c.parent_id
    FROM retiree r JOIN institution c ON c.id = r.institution_id
    WHERE r.status = 'registered' AND r.registered_on < %(today)s - 120
), dated AS (
    SELECT d.*,
           greatest(d.registered_on + 30, %(today)s - 30 - ((d.id * 31) %% 1060)::int) AS moved_on,
           greatest(d.registered_on + 30, %(today)s - 20 - ((d.id * 13) %% 900)::int) AS suspended_on,
           greatest(d.registered_on + 30, %(today)s - 1 - ((d.id * 17) %% 1090)::int) AS died_on,
           s.ids
    FROM drawn d LEFT JOIN siblings s ON s.parent_id = d.parent_id
)
SELECT id, personal_number, institution_id AS old_institution,
       CASE WHEN g < 40 AND ids IS NOT NULL THEN
            CASE WHEN ids[1 + id %% cardinality(ids)] <> institution_id THEN ids[1 + id %% cardinality(ids)]
                 ELSE ids[1 + (id + 1) %% cardinality(ids)] END
       END AS new_institution,
       CASE WHEN g < 40 AND ids IS NOT NULL THEN moved_on END AS moved_on,
       CASE WHEN g >= 90 AND g < 120 THEN suspended_on END AS suspended_on,
       CASE WHEN g >= 90 AND g < 108 AND suspended_on + 45 + (id %% 150)::int < %(today)s
            THEN suspended_on + 45 + (id %% 150)::int END AS resumed_on,
       CASE WHEN g >= 30 AND g < 90
            THEN least(%(today)s - 1, CASE WHEN g < 40 THEN greatest(died_on, moved_on + 30) ELSE died_on END)
       END AS died_on
FROM dated
WHERE g < 120
"""

_STATE = "jsonb_build_object('status', {status}, 'institution_id', {institution}, 'suspension_reason', {reason}, "
_STATE += "'resume_to', {resume_to})"


def _state(status: str, institution: str, reason: str = "null", resume_to: str = "null") -> str:
    return _STATE.format(status=status, institution=institution, reason=reason, resume_to=resume_to)


def _entries(
    kind: str,
    reason: str,
    when: str,
    from_status: str,
    to_status: str,
    before: str,
    after: str,
    institution: str,
    where: str,
) -> str:
    """An INSERT of one kind of entry for the planned people, entered at 10:00 on its effective date."""
    return f"""
    INSERT INTO status_change (retiree_id, personal_number, kind, reason_code, from_status, to_status, before_state,
                               after_state, effective_date, entered_at, institution_id, cause_type, cause_ref, actor,
                               sync_state, sent_at, acknowledged_at, receipt_no)
    SELECT p.id, p.personal_number, '{kind}', '{reason}', '{from_status}', '{to_status}', {before}, {after},
           {when}, {when} + time '10:00', {institution}, 'import', '{MARK}:{kind}', '{MARK}', 'acknowledged',
           {when} + time '10:01', {when} + time '10:05', 'BH' || p.id || '{reason}'
    FROM history_plan p WHERE {where}
    ORDER BY {when}, p.id
    """


def _statements() -> list[tuple[str, str]]:
    moved = "coalesce(p.new_institution, p.old_institution)"
    institution_at_death = f"CASE WHEN p.moved_on IS NOT NULL THEN {moved} ELSE p.old_institution END"
    return [
        (
            "moves (institution_changed, ORG)",
            _entries(
                "institution_changed",
                "ORG",
                "p.moved_on",
                "registered",
                "registered",
                _state("'registered'", "p.old_institution"),
                _state("'registered'", "p.new_institution"),
                "p.new_institution",
                "p.moved_on IS NOT NULL",
            ),
        ),
        (
            "suspensions (suspended, S01)",
            _entries(
                "suspended",
                "S01",
                "p.suspended_on",
                "registered",
                "suspended",
                _state("'registered'", "p.old_institution"),
                _state("'suspended'", "p.old_institution", "'S01'", "'registered'"),
                "p.old_institution",
                "p.suspended_on IS NOT NULL",
            ),
        ),
        (
            "resumptions (resumed, R01)",
            _entries(
                "resumed",
                "R01",
                "p.resumed_on",
                "suspended",
                "registered",
                _state("'suspended'", "p.old_institution", "'S01'", "'registered'"),
                _state("'registered'", "p.old_institution"),
                "p.old_institution",
                "p.resumed_on IS NOT NULL",
            ),
        ),
        (
            "deaths (deceased, DTH)",
            _entries(
                "deceased",
                "DTH",
                "p.died_on",
                "registered",
                "deceased",
                _state("'registered'", institution_at_death),
                _state("'deceased'", institution_at_death),
                institution_at_death,
                "p.died_on IS NOT NULL",
            ),
        ),
        (
            "death records",
            f"""
            INSERT INTO death_record (retiree_id, status_change_id, death_date, evidence, recorded_on, recorded_by,
                                      recorded_at, monthly_pension, overpaid_amount)
            SELECT sc.retiree_id, sc.id, sc.effective_date, 'death_certificate', sc.effective_date, '{MARK}',
                   sc.entered_at, coalesce(r.monthly_pension, 0), 0
            FROM status_change sc JOIN retiree r ON r.id = sc.retiree_id
            WHERE sc.cause_ref = '{MARK}:deceased'
            """,
        ),
        (
            "retirees left in their last state",
            f"""
            UPDATE retiree r
            SET status = last.after_state ->> 'status',
                institution_id = (last.after_state ->> 'institution_id')::bigint,
                suspension_reason = last.after_state ->> 'suspension_reason',
                resume_to = last.after_state ->> 'resume_to',
                status_since = CASE WHEN last.changed_on IS NOT NULL THEN last.changed_on ELSE r.status_since END,
                death_date = CASE WHEN last.after_state ->> 'status' = 'deceased' THEN last.effective_date END,
                version = r.version + last.entries,
                updated_at = now()
            FROM (
                SELECT DISTINCT ON (sc.retiree_id) sc.retiree_id, sc.after_state, sc.effective_date,
                       count(*) OVER (PARTITION BY sc.retiree_id) AS entries,
                       max(sc.effective_date) FILTER (WHERE sc.from_status <> sc.to_status)
                           OVER (PARTITION BY sc.retiree_id) AS changed_on
                FROM status_change sc WHERE sc.cause_ref LIKE '{MARK}:%%'
                ORDER BY sc.retiree_id, sc.effective_date DESC, sc.id DESC
            ) last
            WHERE r.id = last.retiree_id
            """,
        ),
        (
            "sync dates (created_at) since the go-live",
            """
            UPDATE retiree
            SET created_at = CASE WHEN approval_date >= %(go_live)s THEN approval_date + interval '1 day 09:00'
                                  ELSE %(go_live)s + interval '09:00' END,
                insuring_agency_code = CASE WHEN (id * 6007) %% 100 < 3 AND status <> 'approved'
                    THEN coalesce((SELECT a.code FROM institution a WHERE a.level = 'district'
                                     AND a.code <> retiree.insuring_agency_code
                                   ORDER BY (a.id * 31 + retiree.id) %% 97, a.id LIMIT 1), insuring_agency_code)
                    ELSE insuring_agency_code END
            """,
        ),
        ("certifications (last year and this year)", _CERTIFICATIONS),
        (
            "last certification dates",
            """
            UPDATE retiree r SET last_certified_on = c.last
            FROM (SELECT retiree_id, max(certified_on) AS last FROM certification GROUP BY retiree_id) c
            WHERE r.id = c.retiree_id
            """,
        ),
    ]


# One certification a year for everyone managed then (registered before it, not dead yet), on a pseudo-random day
# of each of the two years before today; 12 % not yet this year. Most by face recognition (the authentication
# platform), then on site, the province's copies, and cross-region files (6.13's local / cross-region split).
_CERTIFICATIONS = f"""
WITH due AS (
    SELECT r.id AS retiree_id, y.year_back,
           %(today)s - 365 * y.year_back - 1 - ((r.id * 7 + y.year_back * 13) %% 360)::int AS on_date,
           (r.id * 104729) %% 100 AS kind
    FROM retiree r CROSS JOIN (VALUES (0), (1)) y(year_back)
    WHERE r.registered_on IS NOT NULL AND NOT (y.year_back = 0 AND (r.id * 15485863) %% 100 < 12)
), certified AS (
    SELECT d.*, CASE WHEN kind < 70 THEN 'face_recognition' WHEN kind < 90 THEN 'on_site'
                     WHEN kind < 95 THEN 'provincial_sync' ELSE 'ministry_import' END AS source,
                CASE WHEN kind < 70 THEN 'face' WHEN kind < 90 THEN 'on_site'
                     WHEN kind < 95 THEN 'video' ELSE 'cross_region' END AS method
    FROM due d JOIN retiree r ON r.id = d.retiree_id
    WHERE d.on_date > r.registered_on AND (r.death_date IS NULL OR d.on_date < r.death_date)
), made AS (
    INSERT INTO certification (retiree_id, certified_on, source, method, certified_by, recorded_at)
    SELECT retiree_id, on_date, source, method, '{MARK}', on_date + time '11:00' FROM certified
    ORDER BY on_date, retiree_id
    RETURNING id, retiree_id, certified_on, source, method, recorded_at
)
INSERT INTO certification_report (retiree_id, source, source_id, method, certified_on, result, certified_by,
                                  certification_id, recorded_at)
SELECT retiree_id, source, '{MARK}:' || id, method, certified_on, 'passed', '{MARK}', id, recorded_at FROM made
"""


def main() -> None:
    url = os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL).replace("postgresql+psycopg://", "postgresql://")
    today = calendar.today()
    params = {"today": today, "go_live": today - timedelta(days=730)}
    with psycopg.connect(url) as connection:
        found = connection.execute(
            "SELECT count(*) FROM status_change WHERE cause_type = 'import' AND cause_ref LIKE %s", (f"{MARK}:%",)
        ).fetchone()
        if found and found[0]:
            print(f"the history is already there ({found[0]} entries): nothing to do")
            return
        started = time.perf_counter()
        connection.execute("SET LOCAL work_mem = '128MB'")
        connection.execute(_PLAN, params)
        for name, statement in _statements():
            step = time.perf_counter()
            rows = connection.execute(statement, params).rowcount
            print(f"{name:<45} {rows:>9} rows  {time.perf_counter() - step:6.1f} s", flush=True)
        connection.commit()
        print(f"history added in {time.perf_counter() - started:.1f} s")
    # Every retiree row was rewritten once (its sync date): compact the table, or every scan reads twice the pages
    # (a city-wide count 0.4 s to 1.2 s) — a registry that grew over years is not half dead rows.
    with psycopg.connect(url, autocommit=True) as connection:
        step = time.perf_counter()
        connection.execute("VACUUM (FULL, ANALYZE) retiree")
        connection.execute(
            "VACUUM (ANALYZE) retiree, status_change, retiree_state_period, death_record, certification, "
            "certification_report"
        )
        print(f"vacuumed and analysed in {time.perf_counter() - step:.1f} s")


if __name__ == "__main__":
    main()
