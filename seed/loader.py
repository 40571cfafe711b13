"""Loading synthetic data into the registry fast: the institution tree, employers and up to 1,000,000 retirees with
COPY, their registrations' status-change entries with one set-based INSERT, and demo accounts for every role.

Used by ``hub registry seed`` (the run command's demo), the integration tests and the benchmarks. Streaming: the
retirees go from the generator to COPY row by row, so memory stays flat whatever the count.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from domain.dictionary.codes import ReasonCode
from seed.generator import InstitutionSeed, employers, institution_tree, retirees

# Demo accounts of the run command (development and test only; the loader refuses them in production).
DEMO_PASSWORD = "Demo2026sjz"
DEMO_CHANNEL_CLIENT = ("shiimin-app", "石i民 App", "Channel2026sjz")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str | None
    level: str  # which institution: the city, the first district, street or community
    id_number: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("sysadmin", "系统管理员", "system_admin", "city", "130102198001010010"),
    DemoAccount("secadmin", "安全管理员", "security_admin", "city", "130102198002020034"),
    DemoAccount("auditor", "安全审计员", "auditor", "city", "130102198003030015"),
    DemoAccount("city_operator", "市局经办员", "operator", "city"),
    DemoAccount("district_operator", "县区经办员", "operator", "district"),
    DemoAccount("street_viewer", "街道查询员", "viewer", "street"),
    DemoAccount("community_operator", "社区经办员", "operator", "community"),
)


@dataclass(frozen=True)
class SeedReport:
    institutions: int
    employers: int
    retirees: int
    registered: int
    seconds: float


def _insert_tree(connection: psycopg.Connection, tree: list[InstitutionSeed]) -> dict[str, tuple[int, str]]:
    """Institutions in parent-first order, each path built from its parent's; existing codes are kept."""
    placed: dict[str, tuple[int, str]] = {
        code: (id_, path) for id_, code, path in connection.execute("SELECT id, code, path FROM institution")
    }
    with connection.cursor() as cursor:
        for node in tree:
            if node.code in placed:
                continue
            parent_id, parent_path = placed[node.parent_code] if node.parent_code else (None, "/")
            row = cursor.execute(
                "INSERT INTO institution (code, name, level, parent_id, path) VALUES (%s, %s, %s, %s, '') RETURNING id",
                (node.code, node.name, node.level, parent_id),
            ).fetchone()
            assert row is not None
            path = f"{parent_path}{row[0]}/"
            cursor.execute("UPDATE institution SET path = %s WHERE id = %s", (path, row[0]))
            placed[node.code] = (row[0], path)
    return placed


def _copy_employers(connection: psycopg.Connection, rng: random.Random, count: int, districts: list[str]) -> int:
    columns = "code, name, insuring_agency_code, address, contact_person, contact_phone"
    loaded = 0
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE seed_employer (LIKE employer INCLUDING DEFAULTS) ON COMMIT DROP")
        with cursor.copy(f"COPY seed_employer ({columns}) FROM STDIN") as copy:
            for e in employers(rng, count, districts):
                copy.write_row((e.code, e.name, e.insuring_agency_code, e.address, e.contact_person, e.contact_phone))
                loaded += 1
        cursor.execute(
            f"INSERT INTO employer ({columns}) SELECT {columns} FROM seed_employer ON CONFLICT (code) DO NOTHING"
        )
    return loaded


_RETIREE_COLUMNS = (
    "personal_number, id_number, name, sex, birth_date, retirement_date, approval_date, insuring_agency_code, "
    "employer_code, payment_status, monthly_pension, management_form, residence_address, phone, institution_id, "
    "status, status_since, registered_on, last_certified_on"
)

# Most registered retirees certified within the last six months; about 3% are between six and nine months late,
# which is what the overdue-certification rule (4.5) finds on its first night.
_LATE_SHARE = 0.03


def _copy_retirees(
    connection: psycopg.Connection,
    rng: random.Random,
    count: int,
    placed: dict[str, tuple[int, str]],
    communities: list[InstitutionSeed],
    employer_count: int,
    today: date,
) -> tuple[int, int]:
    registered = 0
    # A separate stream, so certification dates do not change the people the generator makes for a seed.
    certifying = random.Random(rng.getstate()[1][0])
    with connection.cursor() as cursor, cursor.copy(f"COPY retiree ({_RETIREE_COLUMNS}) FROM STDIN") as copy:
        for r in retirees(rng, communities, count, employers=employer_count):
            institution_id = placed[r.community_code][0] if r.community_code else None
            registered_on = r.retirement_date if institution_id else None
            registered += institution_id is not None
            certified = None
            if institution_id:
                late = certifying.random() < _LATE_SHARE
                certified = today - timedelta(days=certifying.randint(184, 270) if late else certifying.randint(0, 180))
            copy.write_row(
                (
                    r.personal_number,
                    r.id_number,
                    r.name,
                    r.sex,
                    r.birth_date,
                    r.retirement_date,
                    r.retirement_date,
                    r.insuring_agency_code,
                    r.employer_code,
                    r.payment_status,
                    r.monthly_pension,
                    "1",
                    r.residence_address,
                    r.phone,
                    institution_id,
                    "registered" if institution_id else "approved",
                    registered_on or r.retirement_date,
                    registered_on,
                    certified,
                )
            )
    return count, registered


# The registrations of loaded people, as the legacy system's history: already acknowledged by the province.
_REGISTRATION_HISTORY = """
INSERT INTO status_change (retiree_id, personal_number, kind, reason_code, from_status, to_status, before_state,
                           after_state, effective_date, institution_id, cause_type, cause_ref, actor, sync_state)
SELECT r.id, r.personal_number, 'registered', %s, 'approved', 'registered',
       '{"status": "approved", "institution_id": null, "suspension_reason": null, "resume_to": null}'::jsonb,
       jsonb_build_object('status', 'registered', 'institution_id', r.institution_id,
                          'suspension_reason', null, 'resume_to', null),
       r.registered_on, r.institution_id, 'import', 'seed', 'seed', 'acknowledged'
FROM retiree r
WHERE r.status = 'registered' AND r.id > %s
"""


def _demo_accounts(
    connection: psycopg.Connection, placed: dict[str, tuple[int, str]], tree: list[InstitutionSeed]
) -> None:
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    first = {
        level: next(n.code for n in tree if n.level == level) for level in ("city", "district", "street", "community")
    }
    password_hash = hasher.hash(DEMO_PASSWORD)
    # Demo accounts are usable at once with the published DEMO_PASSWORD: not marked must_change_password (an
    # administrator-created account would be), and their password's age starts at seeding (issue 13).
    for account in DEMO_ACCOUNTS:
        connection.execute(
            "INSERT INTO staff_account"
            " (username, full_name, id_number, password_hash, institution_id, role, created_by,"
            " must_change_password, password_changed_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, 'seed', false, now()) ON CONFLICT (username) DO NOTHING",
            (
                account.username,
                account.full_name,
                account.id_number,
                password_hash,
                placed[first[account.level]][0],
                account.role,
            ),
        )
    client_id, name, secret = DEMO_CHANNEL_CLIENT
    connection.execute(
        "INSERT INTO channel_client (client_id, name, secret_hash) VALUES (%s, %s, %s)"
        " ON CONFLICT (client_id) DO NOTHING",
        (client_id, name, hasher.hash(secret)),
    )


def load(
    dsn: str,
    *,
    retiree_count: int,
    seed: int = 20261123,
    employer_count: int = 20_000,
    demo_accounts: bool = True,
    today: date | None = None,
) -> SeedReport:
    """Load the tree, employers and ``retiree_count`` retirees into an empty (or tree-only) registry."""
    started = time.perf_counter()
    rng = random.Random(seed)
    tree = institution_tree(rng)
    communities = [n for n in tree if n.level == "community"]
    districts = [n.code for n in tree if n.level == "district"]
    with psycopg.connect(dsn) as connection:
        placed = _insert_tree(connection, tree)
        loaded_employers = _copy_employers(connection, rng, employer_count, districts)
        last_id = connection.execute("SELECT coalesce(max(id), 0) FROM retiree").fetchone()
        count, registered = _copy_retirees(
            connection, rng, retiree_count, placed, communities, employer_count, today or date.today()
        )
        connection.execute(_REGISTRATION_HISTORY, (ReasonCode.REGISTERED.value, last_id[0] if last_id else 0))
        if demo_accounts:
            _demo_accounts(connection, placed, tree)
        connection.commit()
        connection.execute("ANALYZE institution, employer, retiree, status_change")
    return SeedReport(len(tree), loaded_employers, count, registered, time.perf_counter() - started)
