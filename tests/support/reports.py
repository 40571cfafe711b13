"""What the API tests of the queries (section 6) and reports (section 7) share: an employer's people in a tree with
accounts around them, one login per account, files fetched and read back (XLSX rows, PDF text), the prints' audit
entries."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from pdfminer.high_level import extract_text
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit.models import AuditEntry
from domain.employers.models import Employer
from domain.institutions.models import Institution
from domain.retirees.lifecycle import RecordDeath
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api


async def employer_people(
    session: AsyncSession,
    tree: factories.Tree,
    employer: Employer,
    surname: str,
    where: Sequence[Institution | None],
    *,
    pension: Decimal | None = None,
) -> list[Retiree]:
    """``employer`` added, and one of its retirees registered at each of ``where`` (None: approved, not registered),
    named ``surname`` and their number, insured at the tree's district (with ``pension`` when given)."""
    session.add(employer)
    agency = tree.district.code
    people = [await factories.retiree(session, c, name=f"{surname}{n}", agency=agency) for n, c in enumerate(where)]
    for person in people:
        person.employer_code = employer.code
        if pension is not None:
            person.monthly_pension = pension
    await session.flush()
    return people


async def accounts(session: AsyncSession, *roles: tuple[Institution, str]) -> list[str]:
    """An account of each (institution, role); their user names."""
    return [(await factories.account(session, node, role)).username for node, role in roles]


_TOKENS: dict[str, dict[str, str]] = {}


async def token(api: Api, user: str) -> dict[str, str]:
    """One login per account (logins are rate-limited)."""
    if user not in _TOKENS:
        _TOKENS[user] = await api.token(user)
    return _TOKENS[user]


async def get_json(api: Api, user: str, path: str) -> Any:
    answer = await api.call("GET", path, await token(api, user))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def get_file(api: Api, user: str, path: str) -> bytes:
    answer = await api.call("GET", path, await token(api, user))
    assert answer.status_code == 200, answer.text
    return answer.content


def xlsx_rows(content: bytes) -> list[list[Any]]:
    """Every row of the workbook's sheet, its values."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def table(rows: list[list[Any]]) -> tuple[list[Any], list[list[Any]]]:
    """The header row (the one starting with 序号) and the rows after it."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    return rows[start], rows[start + 1 :]


def pdf_text(content: bytes) -> str:
    return extract_text(io.BytesIO(content))


async def prints(hub: Hub, report: str) -> list[dict[str, Any]]:
    """The details of the ``document.printed`` audit entries of ``report``, oldest first."""
    async with hub.sessions() as session:
        rows = await session.execute(
            select(AuditEntry).where(col(AuditEntry.action) == "document.printed").order_by(col(AuditEntry.id))
        )
        return [a.detail for a in rows.scalars() if (a.detail or {}).get("subject", {}).get("report") == report]


async def record_death(hub: Hub, retiree_id: int, died: date) -> None:
    """The death recorded by staff through the status log (4.6's command), effective ``died``."""
    async with hub.sessions() as session, session.begin():
        locked = await status_log.locked_retiree(session, retiree_id)
        await status_log.apply(
            hub.unit_of_work(session, "test"),
            factories.SETUP,
            locked,
            RecordDeath(died),
            effective_date=died,
            cause=status_log.Cause(CauseType.STAFF, "test"),
        )


async def assert_roster_hidden(api: Api, user: str, rows_path: str, marker: str) -> None:
    """``user`` (outside the scope) finds none of the roster's people (named with ``marker``) on any of its
    endpoints: the page (``rows_path``, …/rows?…), the XLSX and the PDF."""
    assert (await get_json(api, user, rows_path))["total"] == 0
    _, outside = table(xlsx_rows(await get_file(api, user, rows_path.replace("/rows", ".xlsx"))))
    assert all(marker not in str(cell) for row in outside for cell in row)
    assert marker not in pdf_text(await get_file(api, user, rows_path.replace("/rows", ".pdf")))


async def hand_over(
    api: Api,
    user: str,
    employer: Employer,
    agency: Institution,
    people: Sequence[Retiree],
    voucher: str,
    *,
    items: Sequence[str] = ("retirement_approval",),
    copies: int = 1,
    results: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An employer's batch drafted and submitted by ``user`` (3.1, 3.2) and, when ``results`` are given, received
    with them (3.3); the batch as drafted."""
    operator = await token(api, user)
    body = {
        "employer_id": employer.id,
        "agency_id": agency.id,
        "voucher_number": voucher,
        "voucher_amount": "1200.00",
        "voucher_date": calendar.today().isoformat(),
        "people": [{"retiree_id": p.id, "items": list(items), "copies": copies} for p in people],
    }
    drafted = await api.call("POST", "/api/v1/handovers", operator, json=body)
    assert drafted.status_code == 201, drafted.text
    batch: dict[str, Any] = drafted.json()
    assert (await api.call("POST", f"/api/v1/handovers/{batch['id']}/submit", operator)).status_code == 200
    if results is not None:
        receipt = {"results": results}
        received = await api.call("POST", f"/api/v1/handovers/{batch['id']}/receive", operator, json=receipt)
        assert received.status_code == 200, received.text
    return batch
