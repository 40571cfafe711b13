"""Test data for the registry: a fresh district subtree per test, staff of any role, retirees with valid ID numbers.

Every test builds its own institutions and people with unique codes, so tests share one database without wiping it.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.institutions import service as institutions
from domain.institutions.models import Institution
from domain.retirees.idnumber import area_codes, make_id_number
from domain.retirees.lifecycle import Status
from domain.retirees.models import Retiree
from domain.shared.actor import system_actor
from domain.staff.models import StaffAccount

PASSWORD = "Test2026password"
_HASH = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
ROOT_CODE = "1301"
_rng = random.Random()
_issued_id_numbers: set[str] = set()
# Real GB/T 2260 codes (ID numbers' area codes are checked) far from the seeded city (石家庄 1301xx): 新疆's 192.
_ID_AREAS = tuple(sorted(code for code in area_codes() if code.startswith("65")))
SETUP = system_actor("test-setup")


def code(prefix: str = "T") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@dataclass
class Tree:
    """A district with two streets of two communities each, under the city root."""

    city: Institution
    district: Institution
    streets: list[Institution] = field(default_factory=list)
    communities: list[Institution] = field(default_factory=list)


async def city(session: AsyncSession) -> Institution:
    root = await institutions.by_code(session, ROOT_CODE)
    if root is None:
        root = await institutions.create(
            session, SETUP, parent_id=None, code=ROOT_CODE, name="石家庄市人力资源和社会保障局"
        )
    return root


async def tree(session: AsyncSession) -> Tree:
    root = await city(session)
    assert root.id is not None
    district = await institutions.create(session, SETUP, parent_id=root.id, code=code("D"), name="测试区社保中心")
    assert district.id is not None
    built = Tree(root, district)
    for s in range(2):
        street = await institutions.create(session, SETUP, parent_id=district.id, code=code("S"), name=f"测试街道{s}")
        assert street.id is not None
        built.streets.append(street)
        for c in range(2):
            community = await institutions.create(
                session, SETUP, parent_id=street.id, code=code("C"), name=f"测试社区{s}{c}"
            )
            built.communities.append(community)
    return built


async def account(
    session: AsyncSession, institution: Institution, role: str | None, *, id_number: str | None = None
) -> StaffAccount:
    assert institution.id is not None
    staff = StaffAccount(
        username=code("u"),
        full_name="测试人员",
        institution_id=institution.id,
        password_hash=_HASH,
        role=role,
        id_number=id_number,
        must_change_password=False,  # tests everywhere log in with PASSWORD and act at once (issue 13)
    )
    session.add(staff)
    await session.flush()
    return staff


def id_number(birth: date | None = None, sex: str = "1") -> str:
    birth = birth or date(_rng.randint(1940, 1970), _rng.randint(1, 12), _rng.randint(1, 28))
    # Areas of 新疆 (65xxxx) are none the seed gives the city's people, so a test's number never clashes with a seeded
    # one; 192 of them by 500 sequences per birth day keeps earlier runs' people (the test database is kept) out of the
    # way, and the numbers this process has handed out are never handed out again.
    while True:
        number = make_id_number(_rng.choice(_ID_AREAS), birth, _rng.randint(0, 499), sex)
        if number not in _issued_id_numbers:
            _issued_id_numbers.add(number)
            return number


def personal_number() -> str:
    return f"T{uuid.uuid4().int % 10**15:015d}"


async def retiree(
    session: AsyncSession,
    institution: Institution | None = None,
    *,
    status: Status | None = None,
    name: str = "王建军",
    sex: str = "1",
    birth: date | None = None,
    agency: str = "130102",
) -> Retiree:
    """A retiree; registered in ``institution`` if one is given, else approved-not-registered."""
    birth = birth or date(_rng.randint(1940, 1965), _rng.randint(1, 12), _rng.randint(1, 28))
    while True:
        number = id_number(birth, sex)
        taken = await session.execute(select(col(Retiree.id)).where(col(Retiree.id_number) == number))
        if taken.first() is None:
            break
    person = Retiree(
        personal_number=personal_number(),
        id_number=number,
        name=name,
        sex=sex,
        birth_date=birth,
        retirement_date=date(birth.year + 60, birth.month, 1),
        insuring_agency_code=agency,
        payment_status="1",
        institution_id=institution.id if institution else None,
        status=status or (Status.REGISTERED if institution else Status.APPROVED),
        phone="13803112345",
    )
    session.add(person)
    await session.flush()
    return person
