"""Every query of section 6 the hub answers, by function point (the API path and the console page are named by it).
6.7 (a retiree's current status, city-wide) is the retiree search of channels/staff/retirees.py and 6.10 the
special ledgers of domain/ledgers: both have their own pages."""

from __future__ import annotations

from domain.queries.business import ADJUSTMENTS, CERTIFICATIONS, SUSPENSIONS, TRANSFERS
from domain.queries.changes import STATUS_CHANGES
from domain.queries.directory import INSTITUTIONS, STAFF
from domain.queries.employers import EMPLOYER_CONTACTS, EMPLOYER_LEDGER, HANDOVERS
from domain.queries.history import HISTORY
from domain.queries.people import BIRTHDAYS, REGISTERED
from domain.queries.registry import BASE_INFO, MANAGEMENT_FORM, NEWLY_APPROVED, ROSTER
from domain.queries.residence import INSURED_ELSEWHERE, LIVING_ELSEWHERE, NON_LOCAL
from domain.queries.spec import QuerySpec

_ALL: tuple[QuerySpec, ...] = (
    REGISTERED,
    BIRTHDAYS,
    STATUS_CHANGES,
    HISTORY,
    INSURED_ELSEWHERE,
    LIVING_ELSEWHERE,
    ROSTER,
    BASE_INFO,
    MANAGEMENT_FORM,
    NON_LOCAL,
    NEWLY_APPROVED,
    EMPLOYER_LEDGER,
    HANDOVERS,
    CERTIFICATIONS,
    TRANSFERS,
    SUSPENSIONS,
    EMPLOYER_CONTACTS,
    INSTITUTIONS,
    STAFF,
    ADJUSTMENTS,
)

QUERIES: dict[str, QuerySpec] = {spec.id: spec for spec in sorted(_ALL, key=lambda s: int(s.id.split(".")[1]))}
