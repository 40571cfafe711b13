"""A realistic history on the benchmarks' registry (issue 18: the section-6 and section-7 figures "on a history built
for it"). The seed (seed/loader.py) gives 1,000,000 people one registration each; a city's registry after three years
also has people who moved to another community, were suspended and resumed, or died. This adds that history, once,
as the legacy system's history is brought over (the seed's own registrations are recorded the same way): status-change
entries already acknowledged by the province, each entered on the day it took effect, the state periods rebuilt by the
log's own trigger, the retiree rows left in their last state, a death record for each death.

Over the three years before today, by fixed pseudo-random draws, each part drawing people the parts before it left
alone (no death followed by a transfer), at 1,000,000 retirees (about 850,000 registered):

- 4 % moved to another community of their street (4.8, 机构拆分合并), a quarter of them dying later;
- 6 % died (死亡减员), spread over the three years;
- 3 % suspended for an overdue certification (超过6个月未认证), 60 % of them resumed 45–195 days later;
- 3 % insured by another district's agency than the one they live and are registered in (6.5, 6.6);
- a certification a year over the last two years (12 % not yet this year), mostly by face recognition (6.13, 7.11);
- the sync date (``created_at``, 6.21): people approved after the go-live two years back arrived the day after their
  approval; the others at the go-live (the legacy migration);
- transfers (4.4, 6.14), about 20,000: 9,500 within the city taken in 3–27 days later (400 cancelled by the sender,
  the last weeks' still waiting), 5,900 out of the city (moved away), 4,000 arriving from another city (approved
  here, registered at a community of their agency's district) — each with its TOUT / TIN / TCAN entries;
- supplementary information (4.2) recorded for a quarter of the registered (182,000 SUP entries), with the special
  categories behind the ledgers (5.1, 6.10; about 110,000 people on one);
- 25,000 retirees living in another city and 8,000 people insured elsewhere living here (4.7, 6.16);
- each district agency's largest employer marked as its talent service centre (6.1);
- the archive hand-overs of the people approved in the three years (3.1–3.3, 6.2, 6.1): one batch per employer and
  half-year, by payment voucher, to the employer's district agency (42,000 batches, 90,000 people, the latest still
  drafted or submitted, a few returned once), the archives then kept by the agency;
- the yearly pension adjustment of each year for everyone receiving a pension on 1 January (2.5, 6.20; 2.7 million
  rows), the amounts chained back from today's pension.

    python -m bench.history          # make bench-history; idempotent per part (each finds its own rows and skips)

Set-based (INSERT … SELECT and UPDATE statements, one transaction per part). Measured at 1,000,000 retirees on a
registry without history (2 cores, shared): 6.4 minutes in all — the first part 4.5 (its sync dates and last
certification dates rewrite every retiree row), the seven others 1.6 (adjustments 38 s, supplementary information
37 s, transfers 11 s, hand-overs 7 s), then VACUUM FULL of the retiree table 16 s.
Runs against HUB_BENCH_DATABASE_URL (default retiree_hub_bench).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg

from bench.support import DEFAULT_URL
from domain.residence.cities import CITY_NAMES, is_local
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
            """
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
                FROM status_change sc WHERE sc.cause_ref = ANY(%(first_refs)s)
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


# --- transfers (4.4, 6.14) ------------------------------------------------------------------------------------------
# Drawn from people the first part left alone ((id * 7919) % 1000 >= 120: never moved, suspended or dead): 1.35 % of
# the registered transferred within the city (3 % of those cancelled by the sender, the last weeks' not yet taken
# in), 0.8 % out of the city (moved_away), 3 % of the approved never registered here arriving from another city
# (registered at a community of their insuring agency's district). Ids are taken from the sequences in the plan so
# that each transfer names its entries and each entry its transfer (cause_ref), as the workflow's would.
_TRANSFER_PLAN = """
CREATE TEMP TABLE transfer_plan ON COMMIT DROP AS
WITH communities AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM institution WHERE level = 'community' AND active
), district_communities AS (
    SELECT d.code, array_agg(c.id ORDER BY c.id) AS ids
    FROM institution d JOIN institution c ON c.path LIKE d.path || '%%' AND c.level = 'community' AND c.active
    WHERE d.level = 'district' GROUP BY d.code
), drawn AS (
    SELECT r.id, r.personal_number, r.institution_id, r.insuring_agency_code, r.status,
           CASE WHEN r.status = 'approved' THEN 'into_city' WHEN (r.id * 6151) %% 10000 < 135 THEN 'within_city'
                ELSE 'out_of_city' END AS kind,
           CASE WHEN r.status = 'approved'
                THEN greatest(r.approval_date + 15, %(today)s - 2 - ((r.id * 37) %% 1093)::int)
                ELSE greatest(r.registered_on + 30, %(today)s - 2 - ((r.id * 37) %% 1093)::int) END AS effective
    FROM retiree r
    WHERE (r.id * 7919) %% 1000 >= 120
      AND ((r.status = 'registered' AND r.registered_on < %(today)s - 60 AND (r.id * 6151) %% 10000 < 215)
           OR (r.status = 'approved' AND r.approval_date < %(today)s - 30 AND (r.id * 6151) %% 10000 < 300))
), dated AS (
    SELECT d.*, d.effective + 3 + (d.id %% 25)::int AS taken_in_on, d.effective + 2 + (d.id %% 5)::int AS cancelled_on,
           d.kind = 'within_city' AND (d.id * 3) %% 100 < 3 AS cancelling
    FROM drawn d
), stated AS (
    SELECT d.*,
           CASE WHEN d.kind <> 'within_city' THEN 'completed'
                WHEN d.cancelling AND d.cancelled_on <= %(today)s THEN 'cancelled'
                WHEN NOT d.cancelling AND d.taken_in_on <= %(today)s THEN 'taken_in'
                ELSE 'requested' END AS state
    FROM dated d
)
SELECT s.id, s.personal_number, s.kind, s.state, s.effective,
       CASE WHEN s.kind = 'within_city' AND s.state = 'taken_in' THEN s.taken_in_on
            WHEN s.kind = 'into_city' THEN s.effective END AS taken_in_on,
       CASE WHEN s.state = 'cancelled' THEN s.cancelled_on END AS cancelled_on,
       nextval('transfer_id_seq') AS transfer_id,
       CASE WHEN s.kind <> 'into_city' THEN s.institution_id END AS from_id,
       CASE s.kind
            WHEN 'within_city' THEN
                CASE WHEN c.ids[1 + (s.id * 13) %% cardinality(c.ids)] <> s.institution_id
                     THEN c.ids[1 + (s.id * 13) %% cardinality(c.ids)]
                     ELSE c.ids[1 + (s.id * 13 + 1) %% cardinality(c.ids)] END
            WHEN 'into_city' THEN
                (coalesce(dc.ids, c.ids))[1 + (s.id * 17) %% cardinality(coalesce(dc.ids, c.ids))]
       END AS to_id,
       CASE WHEN s.kind <> 'into_city' THEN nextval('status_change_id_seq') END AS out_entry,
       CASE WHEN s.kind = 'into_city' OR s.state = 'taken_in' THEN nextval('status_change_id_seq') END AS in_entry,
       CASE WHEN s.state = 'cancelled' THEN nextval('status_change_id_seq') END AS cancel_entry,
       CASE WHEN s.kind = 'out_of_city' THEN 1 + (s.id * 19) %% cardinality(%(city_codes)s::text[]) END AS destination
FROM stated s CROSS JOIN communities c LEFT JOIN district_communities dc ON dc.code = s.insuring_agency_code
"""

_ENTRY_COLUMNS = """
    INSERT INTO status_change (id, retiree_id, personal_number, kind, reason_code, from_status, to_status, before_state,
                               after_state, effective_date, entered_at, institution_id, cause_type, cause_ref, actor,
                               sync_state, sent_at, acknowledged_at, receipt_no, reverses_id)
"""


def _transfer_entry(
    entry: str, kind: str, reason: str, from_status: str, to_status: str, before: str, after: str, **more: str
) -> str:
    """The entries of one step of the planned transfers, entered at 10:00 on ``entered`` (default: effective)."""
    when = more.get("when", "t.effective")
    entered = more.get("entered", when)
    institution = more.get("institution", "t.from_id")
    return f"""{_ENTRY_COLUMNS}
    SELECT t.{entry}, t.id, t.personal_number, '{kind}', '{reason}', {from_status}, {to_status}, {before}, {after},
           {when}, {entered} + time '10:00', {institution}, 'import',
           '{MARK}:transfer:' || t.transfer_id || ':{reason}', '{MARK}',
           'acknowledged', {entered} + time '10:01', {entered} + time '10:05', 'BH' || t.id || '{reason}',
           {more.get("reverses", "NULL::bigint")}
    FROM transfer_plan t WHERE t.{entry} IS NOT NULL
    ORDER BY t.{entry}
    """


def _transfer_statements() -> list[tuple[str, str]]:
    away = "CASE WHEN t.kind = 'within_city' THEN 'transferring_out' ELSE 'moved_away' END"
    arriving = "CASE WHEN t.kind = 'into_city' THEN 'approved' ELSE 'transferring_out' END"
    return [
        ("transfer plan", _TRANSFER_PLAN),
        (
            "transfers out (transferred_out, TOUT)",
            _transfer_entry(
                "out_entry",
                "transferred_out",
                "TOUT",
                "'registered'",
                away,
                _state("'registered'", "t.from_id"),
                _state(away, "t.from_id"),
            ),
        ),
        (
            "transfers in (transferred_in, TIN)",
            _transfer_entry(
                "in_entry",
                "transferred_in",
                "TIN",
                arriving,
                "'registered'",
                _state(arriving, "t.from_id"),
                _state("'registered'", "t.to_id"),
                when="t.taken_in_on",
                institution="t.to_id",
            ),
        ),
        (
            "transfers cancelled (error_restored, TCAN)",
            _transfer_entry(
                "cancel_entry",
                "error_restored",
                "TCAN",
                "'transferring_out'",
                "'registered'",
                _state("'transferring_out'", "t.from_id"),
                _state("'registered'", "t.from_id"),
                entered="t.cancelled_on",
                reverses="t.out_entry",
            ),
        ),
        (
            "transfer records",
            f"""
            INSERT INTO transfer (id, retiree_id, kind, state, from_institution_id, to_institution_id,
                                  destination_code, destination_name, destination_address, requested_on,
                                  effective_date, requested_by, requested_at, taken_in_on, taken_in_by, taken_in_at,
                                  cancelled_by, cancelled_at, out_entry_id, in_entry_id, cancel_entry_id)
            SELECT t.transfer_id, t.id, t.kind, t.state, t.from_id, t.to_id,
                   (%(city_codes)s::text[])[t.destination], (%(city_names)s::text[])[t.destination],
                   CASE WHEN t.destination IS NOT NULL THEN (%(city_names)s::text[])[t.destination]
                        || (%(roads)s::text[])[1 + t.id %% cardinality(%(roads)s::text[])] || (1 + t.id %% 300) || '号'
                   END,
                   t.effective, t.effective, '{MARK}', t.effective + time '10:00',
                   t.taken_in_on, CASE WHEN t.taken_in_on IS NOT NULL THEN '{MARK}' END, t.taken_in_on + time '10:00',
                   CASE WHEN t.cancelled_on IS NOT NULL THEN '{MARK}' END, t.cancelled_on + time '10:00',
                   t.out_entry, t.in_entry, t.cancel_entry
            FROM transfer_plan t ORDER BY t.transfer_id
            """,
        ),
        (
            "transferred people left in their last state",
            """
            UPDATE retiree r
            SET status = CASE WHEN t.kind = 'out_of_city' THEN 'moved_away'
                              WHEN t.state = 'requested' THEN 'transferring_out' ELSE 'registered' END,
                institution_id = CASE WHEN t.taken_in_on IS NOT NULL THEN t.to_id ELSE t.from_id END,
                status_since = coalesce(t.taken_in_on, t.effective),
                registered_on = coalesce(t.taken_in_on, r.registered_on),
                version = r.version + (t.out_entry IS NOT NULL)::int + (t.in_entry IS NOT NULL)::int
                          + (t.cancel_entry IS NOT NULL)::int,
                updated_at = now()
            FROM transfer_plan t WHERE r.id = t.id
            """,
        ),
    ]


# --- supplementary information (4.2, the special ledgers of 5.1 / 6.10) ---------------------------------------------
# A quarter of the people registered throughout (not drawn above, not transferred) had their registration form's
# supplementary information recorded by their community over the three years: one SUP entry each (the state does
# not change, the state period splits at it as the log's trigger makes it) and the form, with the special categories
# in about the shares of a city's retirees (party members, veterans, the widowed, serious illness, work disability,
# extreme poverty, model workers): about 110,000 people on a ledger at 1,000,000.
_SUPPLEMENTARY_PLAN = """
CREATE TEMP TABLE supplementary_plan ON COMMIT DROP AS
SELECT r.id, r.personal_number, r.institution_id, r.residence_address,
       least(%(today)s - 1, greatest(r.registered_on + 7, %(today)s - 1 - ((r.id * 41) %% 1090)::int)) AS recorded_on,
       nextval('status_change_id_seq') AS entry
FROM retiree r
WHERE (r.id * 7919) %% 1000 >= 120 AND (r.id * 2713) %% 100 < 25 AND r.status = 'registered'
  AND r.registered_on < %(today)s - 8
  AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.retiree_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM retiree_supplementary_info s WHERE s.retiree_id = r.id)
"""


def _supplementary_statements() -> list[tuple[str, str]]:
    registered = _state("'registered'", "p.institution_id")
    return [
        ("supplementary plan", _SUPPLEMENTARY_PLAN),
        (
            "supplementary info entries (SUP)",
            f"""{_ENTRY_COLUMNS}
            SELECT p.entry, p.id, p.personal_number, 'supplementary_info_recorded', 'SUP', 'registered', 'registered',
                   {registered}, {registered}, p.recorded_on, p.recorded_on + time '14:00', p.institution_id,
                   'import', '{MARK}:supplementary', '{MARK}', 'acknowledged', p.recorded_on + time '14:01',
                   p.recorded_on + time '14:05', 'BH' || p.id || 'SUP', NULL
            FROM supplementary_plan p ORDER BY p.entry
            """,
        ),
        (
            "supplementary info (registration forms)",
            f"""
            INSERT INTO retiree_supplementary_info (retiree_id, household_address, marital_status, health_status,
                                                    living_arrangement, special_categories, recorded_by, recorded_at,
                                                    updated_at)
            SELECT p.id, p.residence_address,
                   CASE WHEN m < 70 THEN '20' WHEN m < 90 THEN '30' WHEN m < 95 THEN '40' WHEN m < 97 THEN '10'
                        ELSE '90' END,
                   CASE WHEN h < 50 THEN '1' WHEN h < 85 THEN '2' WHEN h < 97 THEN '3' ELSE '4' END,
                   CASE WHEN l < 55 THEN '1' WHEN l < 80 THEN '2' WHEN l < 95 THEN '3' ELSE '4' END,
                   array_remove(ARRAY[
                       CASE WHEN ((p.id * 2662426032) %% 4294967291) %% 100 < 4 THEN '01' END,
                       CASE WHEN ((p.id * 2670416303) %% 4294967291) %% 100 < 8 THEN '02' END,
                       CASE WHEN ((p.id * 2678406574) %% 4294967291) %% 1000 < 8 THEN '04' END,
                       CASE WHEN ((p.id * 2686396845) %% 4294967291) %% 100 < 8 THEN '05' END,
                       CASE WHEN ((p.id * 2694387116) %% 4294967291) %% 100 < 2 THEN '06' END,
                       CASE WHEN ((p.id * 2702377387) %% 4294967291) %% 100 < 12 THEN '07' END,
                       CASE WHEN ((p.id * 2710367658) %% 4294967291) %% 100 < 40 THEN '08' END
                   ], NULL),
                   '{MARK}', p.recorded_on + time '14:00', p.recorded_on + time '14:00'
            FROM supplementary_plan p
            -- each its own multiplicative hash of the id: the draw above took residues of the id, which would correlate
            CROSS JOIN LATERAL (
                SELECT ((p.id * 2718357929) %% 4294967291) %% 100 AS m,
                       ((p.id * 2726348200) %% 4294967291) %% 100 AS h,
                       ((p.id * 2734338471) %% 4294967291) %% 100 AS l
            ) d
            """,
        ),
        (
            "retirees' versions",
            "UPDATE retiree r SET version = r.version + 1, updated_at = now()"
            " FROM supplementary_plan p WHERE r.id = p.id",
        ),
    ]


# --- residences elsewhere and people insured elsewhere living here (4.7, 6.16) --------------------------------------
# 2.5 % of the people insured here (not moved away: their management went with them) live in another city, recorded
# by their community since a day after they retired; 0.8 % of the registry's size are people insured in another
# city who live here, kept by the community they live in, with valid ID numbers of their home cities.
_RESIDENCES = f"""
INSERT INTO retiree_residence (retiree_id, city_code, address, phone, since, current, recorded_by, recorded_at)
SELECT r.id, (%(city_codes)s::text[])[x.city], (%(city_names)s::text[])[x.city]
           || (%(roads)s::text[])[1 + r.id %% cardinality(%(roads)s::text[])] || (1 + r.id %% 300) || '号',
       CASE WHEN r.id %% 5 < 3 THEN r.phone END, x.since, true, '{MARK}',
       least(%(today)s, x.since + 20 + (r.id %% 40)::int) + time '15:00'
FROM retiree r
CROSS JOIN LATERAL (
    SELECT 1 + (r.id * 19) %% cardinality(%(city_codes)s::text[]) AS city,
           least(%(today)s - 1, greatest(coalesce(r.retirement_date, r.approval_date, r.birth_date + 20000),
                                          %(today)s - 3650 + ((r.id * 7) %% 3600)::int)) AS since
) x
WHERE (r.id * 4099) %% 1000 < 25 AND r.status <> 'moved_away'
  AND NOT EXISTS (SELECT 1 FROM retiree_residence o WHERE o.retiree_id = r.id AND o.current)
ORDER BY r.id
"""

_INCOMING = f"""
WITH made AS (
    SELECT g, (%(areas)s::text[])[1 + g %% cardinality(%(areas)s::text[])] AS area,
           date '1940-01-01' + ((g * 7919) %% 10000)::int AS birth,
           lpad((((g / cardinality(%(areas)s::text[])) %% 500) * 2 + g %% 2)::text, 3, '0') AS seq
    FROM generate_series(1, %(incoming)s) g
), numbered AS (
    SELECT m.*, m.area || to_char(m.birth, 'YYYYMMDD') || m.seq AS first17 FROM made m
), communities AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM institution WHERE level = 'community' AND active
)
INSERT INTO incoming_resident (id_number, name, insuring_place_code, address, phone, community_id, since,
                               recorded_by, created_at)
SELECT n.first17 || substr('10X98765432', 1 + (
           SELECT sum(substr(n.first17, i, 1)::int * (ARRAY[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])[i])
           FROM generate_series(1, 17) i)::int %% 11, 1),
       (%(surnames)s::text[])[1 + (n.g * 7) %% cardinality(%(surnames)s::text[])]
           || (%(given)s::text[])[1 + (n.g * 11) %% cardinality(%(given)s::text[])],
       substr(n.area, 1, 4) || '00', i.name || (1 + n.g %% 30) || '号楼',
       '13' || lpad(((n.g * 7919) %% 1000000000)::text, 9, '0'),
       i.id, x.since, '{MARK}', x.since + time '10:00'
FROM numbered n CROSS JOIN communities c
JOIN institution i ON i.id = c.ids[1 + (n.g * 31) %% cardinality(c.ids)]
CROSS JOIN LATERAL (SELECT greatest(n.birth + 20075, %(today)s - 1 - ((n.g * 13) %% 3000)::int) AS since) x
WHERE x.since < %(today)s
ORDER BY n.g
"""

# --- talent service centres (6.1) -----------------------------------------------------------------------------------
# In each district agency the employer with the most retirees is its talent service centre (人才服务中心), which
# keeps its people's archives itself (so it hands none over): what staff mark (domain/employers/talent.py).
_TALENT = """
UPDATE employer e SET talent_centre = true, updated_at = %(go_live)s + time '09:00'
FROM (
    SELECT DISTINCT ON (e2.insuring_agency_code) e2.id
    FROM employer e2 JOIN (SELECT employer_code, count(*) AS people FROM retiree GROUP BY employer_code) c
         ON c.employer_code = e2.code
    ORDER BY e2.insuring_agency_code, c.people DESC, e2.id
) top
WHERE e.id = top.id
"""

# --- archive hand-overs (3.1 - 3.3, 6.2, 6.1) -----------------------------------------------------------------------
# Employers hand their newly retired people's archives over to their district agency: one batch per employer and
# half-year of approvals over the last three years, drafted 15-55 days after the half-year (6 % of employers months
# late; 8 % of the half-years' people not handed over at all), the voucher paid a few days before (200 yuan a
# person), submitted 1-4 days after the draft, 4 % returned once and submitted again, received 4-21 days later with
# 2 % of the people flagged as incomplete. What the dates put after today is not done yet: the last batches are
# drafted or submitted (open), the current half-year's people not handed over. Talent service centres keep their
# archives; people who moved out of the city before the draft are not listed (the rules refuse them).
_HANDOVER_PLAN = """
CREATE TEMP TABLE handover_people ON COMMIT DROP AS
WITH people AS (
    SELECT r.id AS retiree_id, r.death_date, e.id AS employer_id, a.id AS agency_id,
           extract(year FROM r.approval_date)::int * 2 + (extract(month FROM r.approval_date) > 6)::int AS half
    FROM retiree r
    JOIN employer e ON e.code = r.employer_code AND NOT e.talent_centre
    JOIN institution a ON a.code = e.insuring_agency_code AND a.level = 'district' AND a.active
    WHERE r.approval_date > %(today)s - 1095 AND r.approval_date <= %(today)s
), keyed AS (
    SELECT p.*, (p.employer_id * 7 + p.half * 3)::int AS k,
           make_date(p.half / 2 + (p.half %% 2), CASE WHEN p.half %% 2 = 0 THEN 7 ELSE 1 END, 1) - 1 AS half_end
    FROM people p
), dated AS (
    SELECT k.*, k.half_end + CASE WHEN k.k %% 100 < 6 THEN 110 + k.k %% 30 ELSE 15 + k.k %% 41 END AS drafted_on
    FROM keyed k WHERE (k.k * 13) %% 100 >= 8
)
SELECT d.retiree_id, d.death_date, d.employer_id, d.agency_id, d.half, d.k, d.drafted_on
FROM dated d
WHERE d.drafted_on <= %(today)s
  AND NOT EXISTS (SELECT 1 FROM transfer t WHERE t.retiree_id = d.retiree_id AND t.kind = 'out_of_city'
                  AND t.effective_date <= d.drafted_on + 30)
"""

_HANDOVER_BATCHES = """
CREATE TEMP TABLE handover_batches ON COMMIT DROP AS
WITH grouped AS (
    SELECT employer_id, half, agency_id, k, drafted_on, count(*) AS people
    FROM handover_people GROUP BY employer_id, half, agency_id, k, drafted_on
), timed AS (
    SELECT g.*, g.drafted_on - 1 - (g.employer_id %% 5)::int AS voucher_date,
           g.drafted_on + 1 + g.k %% 4 AS submitted_on, (g.k * 17) %% 100 < 4 AS returning
    FROM grouped g
), steps AS (
    SELECT t.*, CASE WHEN t.returning THEN t.submitted_on + 2 END AS returned_on,
           t.submitted_on + CASE WHEN t.returning THEN 5 ELSE 0 END AS resubmitted_on
    FROM timed t
), received AS (
    SELECT s.*, s.resubmitted_on + 4 + s.k %% 18 AS received_on FROM steps s
)
SELECT nextval('archive_handover_id_seq') AS id, r.*,
       CASE WHEN r.received_on <= %(today)s THEN 'received'
            WHEN r.returned_on <= %(today)s AND r.resubmitted_on > %(today)s THEN 'returned'
            WHEN r.submitted_on <= %(today)s THEN 'submitted'
            ELSE 'drafted' END AS state
FROM received r ORDER BY r.drafted_on, r.employer_id
"""


def _handover_statements() -> list[tuple[str, str]]:
    return [
        ("hand-over plan", _HANDOVER_PLAN),
        ("hand-over batches plan", _HANDOVER_BATCHES),
        (
            "hand-over batches",
            f"""
            INSERT INTO archive_handover (id, number, employer_id, agency_id, state, version, voucher_number,
                                          voucher_amount, voucher_date, contact_person, contact_phone, person_count,
                                          drafted_by, drafted_at, updated_at, submitted_by, submitted_at,
                                          returned_by, returned_at, return_reason, received_by, received_at,
                                          received_on)
            SELECT b.id,
                   'YJ' || extract(year FROM b.drafted_on) || '-'
                       || CASE WHEN b.seq < 10000 THEN lpad(b.seq::text, 4, '0') ELSE b.seq::text END,
                   b.employer_id, b.agency_id, b.state,
                   1 + (b.state <> 'drafted')::int + coalesce(b.returned_on <= %(today)s, false)::int * 2
                     - (b.state = 'returned')::int + (b.state = 'received')::int,
                   'JF' || to_char(b.voucher_date, 'YYYYMMDD') || lpad(b.employer_id::text, 6, '0'),
                   b.people * 200, b.voucher_date, e.contact_person, e.contact_phone, b.people,
                   '{MARK}', b.drafted_on + time '09:30',
                   CASE b.state WHEN 'received' THEN b.received_on + time '10:00'
                                WHEN 'returned' THEN b.returned_on + time '15:00'
                                WHEN 'submitted' THEN least(b.resubmitted_on, %(today)s) + time '10:00'
                                ELSE b.drafted_on + time '09:30' END,
                   CASE WHEN b.state <> 'drafted' THEN '{MARK}' END,
                   CASE WHEN b.state = 'drafted' THEN NULL
                        WHEN b.resubmitted_on <= %(today)s THEN b.resubmitted_on + time '10:00'
                        ELSE b.submitted_on + time '10:00' END,
                   CASE WHEN b.returned_on <= %(today)s THEN '{MARK}' END,
                   CASE WHEN b.returned_on <= %(today)s THEN b.returned_on + time '15:00' END,
                   CASE WHEN b.returned_on <= %(today)s THEN '移交表所列材料与档案袋内材料不一致，请核对后重新提交' END,
                   CASE WHEN b.state = 'received' THEN '{MARK}' END,
                   CASE WHEN b.state = 'received' THEN b.received_on + time '10:00' END,
                   CASE WHEN b.state = 'received' THEN b.received_on END
            FROM (
                SELECT b.*, coalesce(c.last, 0) + row_number() OVER (
                           PARTITION BY extract(year FROM b.drafted_on) ORDER BY b.drafted_on, b.id) AS seq
                FROM handover_batches b
                LEFT JOIN archive_handover_counter c ON c.year = extract(year FROM b.drafted_on)
            ) b
            JOIN employer e ON e.id = b.employer_id
            ORDER BY b.id
            """,
        ),
        (
            "hand-over number counters",
            """
            INSERT INTO archive_handover_counter (year, last)
            SELECT extract(year FROM drafted_on)::int, count(*) FROM handover_batches GROUP BY 1
            ON CONFLICT (year) DO UPDATE SET last = archive_handover_counter.last + excluded.last
            """,
        ),
        (
            "hand-over people",
            """
            INSERT INTO archive_handover_person (handover_id, retiree_id, items, copies, deceased, open, result,
                                                 discrepancy)
            SELECT b.id, p.retiree_id,
                   CASE WHEN p.retiree_id %% 10 = 0
                        THEN ARRAY['retirement_approval', 'personnel_file', 'wage_relation', 'id_copy']
                        ELSE ARRAY['retirement_approval', 'personnel_file', 'wage_relation', 'medical_relation',
                                   'id_copy'] END,
                   1 + (p.retiree_id %% 20 = 0)::int,
                   p.death_date IS NOT NULL AND p.death_date <= CASE WHEN b.state = 'drafted' THEN b.drafted_on
                       WHEN b.resubmitted_on <= %(today)s THEN b.resubmitted_on ELSE b.submitted_on END,
                   b.state <> 'received',
                   CASE WHEN b.state = 'received' THEN
                        CASE WHEN (p.retiree_id * 7) %% 100 < 2 THEN 'discrepancy' ELSE 'received' END END,
                   CASE WHEN b.state = 'received' AND (p.retiree_id * 7) %% 100 < 2 THEN 'materials_incomplete' END
            FROM handover_people p
            JOIN handover_batches b ON b.employer_id = p.employer_id AND b.half = p.half
            ORDER BY b.id, p.retiree_id
            """,
        ),
        (
            "archive custody (received batches)",
            """
            INSERT INTO archive_custody (retiree_id, institution_id, handover_id, received_on, discrepancy,
                                         recorded_at)
            SELECT hp.retiree_id, b.agency_id, b.id, b.received_on, hp.discrepancy, b.received_on + time '10:00'
            FROM handover_batches b JOIN archive_handover_person hp ON hp.handover_id = b.id
            WHERE b.state = 'received'
            """,
        ),
    ]


# --- pension adjustments (2.5, 4.9, 6.20) ---------------------------------------------------------------------------
# The yearly adjustment of each of the three years (applied by the province in mid-August, effective from January)
# for everyone receiving a pension that year: approved before 1 January and alive on it. The increase is a fixed
# part, 1.2 % of the pension and an age tilt (70+, 80+); the amounts are chained back from today's pension, so the
# latest adjustment ends at the pension the registry holds (as the inbound sync leaves it).
_ADJUSTMENTS = f"""
WITH years AS (
    SELECT y, fixed FROM (VALUES (%(year)s - 2, 45.0), (%(year)s - 1, 35.0), (%(year)s, 30.0)) v(y, fixed)
    WHERE make_date(y, 8, 15) <= %(today)s
), due AS (
    SELECT r.id, y.y, r.monthly_pension AS pension,
           y.fixed + round(r.monthly_pension * 0.012, 2)
             + CASE WHEN r.birth_date <= make_date(y.y - 80, 1, 1) THEN 40
                    WHEN r.birth_date <= make_date(y.y - 70, 1, 1) THEN 20 ELSE 0 END AS increase
    FROM retiree r JOIN years y ON r.approval_date < make_date(y.y, 1, 1)
         AND (r.death_date IS NULL OR r.death_date >= make_date(y.y, 1, 1))
    WHERE r.monthly_pension IS NOT NULL
), chained AS (
    SELECT d.*, d.pension - coalesce(sum(d.increase) OVER (PARTITION BY d.id ORDER BY d.y DESC
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS after
    FROM due d
)
INSERT INTO pension_adjustment (retiree_id, batch_id, adjustment_year, amount_before, amount_after, increase,
                                effective_month, event_id, applied_at)
SELECT c.id, c.y || 'TZ001', c.y, c.after - c.increase, c.after, c.increase, c.y || '-01',
       '{MARK}:adjustment:' || c.y, make_date(c.y, 8, 15) + time '02:00'
FROM chained c
ORDER BY c.y, c.id
"""


# Another city's towns and roads for addresses, county-level areas of other cities for ID numbers, and names.
_ROADS = ["建设路", "人民路", "解放路", "和平路", "中山路", "新华路", "胜利路", "长江路", "黄河路", "朝阳路"]
_AREAS = ["110105", "120103", "130203", "130602", "130402", "130502", "131102", "131002", "130902", "140105"]
_SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
_GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "淑珍",
    "玉梅",
    "国华",
    "凤英",
    "德明",
    "丽华",
    "文华",
    "振华",
    "秀兰",
    "建华",
]


@dataclass(frozen=True)
class Part:
    """One part of the history, added once: ``present`` says whether it is there already (its own marker)."""

    name: str
    present: str
    statements: Callable[[], list[tuple[str, str]]]
    tables: tuple[str, ...]
    rewrites_retirees: bool = False


FIRST_KINDS = ("institution_changed", "suspended", "resumed", "deceased")

PARTS = (
    Part(
        "moves, suspensions, deaths, sync dates, certifications",
        "SELECT EXISTS (SELECT 1 FROM status_change WHERE cause_type = 'import' AND cause_ref = ANY(%(first_refs)s))",
        lambda: [("plan", _PLAN), *_statements()],
        ("status_change", "retiree_state_period", "death_record", "certification", "certification_report"),
        rewrites_retirees=True,
    ),
    Part(
        "transfers within, out of and into the city",
        f"SELECT EXISTS (SELECT 1 FROM transfer WHERE requested_by = '{MARK}')",
        _transfer_statements,
        ("transfer", "status_change", "retiree_state_period"),
    ),
    Part(
        "supplementary information (special categories)",
        f"SELECT EXISTS (SELECT 1 FROM retiree_supplementary_info WHERE recorded_by = '{MARK}')",
        _supplementary_statements,
        ("retiree_supplementary_info", "status_change", "retiree_state_period"),
        rewrites_retirees=True,
    ),
    Part(
        "residences in other cities",
        f"SELECT EXISTS (SELECT 1 FROM retiree_residence WHERE recorded_by = '{MARK}')",
        lambda: [("residences elsewhere", _RESIDENCES)],
        ("retiree_residence",),
    ),
    Part(
        "people insured elsewhere living here",
        f"SELECT EXISTS (SELECT 1 FROM incoming_resident WHERE recorded_by = '{MARK}')",
        lambda: [("incoming residents", _INCOMING)],
        ("incoming_resident",),
    ),
    Part(
        "talent service centres",
        "SELECT EXISTS (SELECT 1 FROM employer WHERE talent_centre)",
        lambda: [("talent service centres", _TALENT)],
        ("employer",),
    ),
    Part(
        "archive hand-overs",
        f"SELECT EXISTS (SELECT 1 FROM archive_handover WHERE drafted_by = '{MARK}')",
        _handover_statements,
        ("archive_handover", "archive_handover_person", "archive_custody"),
    ),
    Part(
        "pension adjustments",
        f"SELECT EXISTS (SELECT 1 FROM pension_adjustment WHERE event_id LIKE '{MARK}:%%')",
        lambda: [("pension adjustments (three years)", _ADJUSTMENTS)],
        ("pension_adjustment",),
    ),
)


def _params() -> dict[str, Any]:
    today = calendar.today()
    elsewhere = [(code, name) for code, name in CITY_NAMES.items() if not is_local(code)]
    return {
        "today": today,
        "year": today.year,
        "go_live": today - timedelta(days=730),
        "first_refs": [f"{MARK}:{kind}" for kind in FIRST_KINDS],
        "city_codes": [code for code, _ in elsewhere],
        "city_names": [name for _, name in elsewhere],
        "roads": _ROADS,
        "areas": _AREAS,
        "surnames": _SURNAMES,
        "given": _GIVEN,
    }


def main() -> None:
    url = os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_URL).replace("postgresql+psycopg://", "postgresql://")
    params = _params()
    started = time.perf_counter()
    added: list[Part] = []
    with psycopg.connect(url) as connection:
        retirees = connection.execute("SELECT count(*) FROM retiree").fetchone()
        params["incoming"] = round((retirees[0] if retirees else 0) * 0.008)
        for part in PARTS:
            found = connection.execute(part.present, params).fetchone()
            connection.commit()
            if found and found[0]:
                print(f"{part.name}: already there, nothing to do")
                continue
            print(f"{part.name}:")
            begun = time.perf_counter()
            connection.execute("SET LOCAL work_mem = '128MB'")
            for name, statement in part.statements():
                step = time.perf_counter()
                rows = connection.execute(statement, params).rowcount
                print(f"  {name:<45} {rows:>9} rows  {time.perf_counter() - step:6.1f} s", flush=True)
            connection.commit()
            added.append(part)
            print(f"  added in {time.perf_counter() - begun:.1f} s", flush=True)
    if not added:
        print("the whole history is already there: nothing to do")
        return
    print(f"history added in {time.perf_counter() - started:.1f} s")
    tables = sorted({"retiree", *(table for part in added for table in part.tables)})
    with psycopg.connect(url, autocommit=True) as connection:
        step = time.perf_counter()
        if any(part.rewrites_retirees for part in added):
            # A part rewrote a large share of the retiree rows (sync dates, versions): compact the table, or every
            # scan reads the dead rows too (a city-wide count 0.4 s to 1.2 s) — a registry that grew over years is
            # not half dead rows.
            connection.execute("VACUUM (FULL, ANALYZE) retiree")
        connection.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        print(f"vacuumed and analysed in {time.perf_counter() - step:.1f} s")


if __name__ == "__main__":
    main()
