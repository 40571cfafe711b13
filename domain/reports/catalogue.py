"""Every statistical report of section 7 the hub draws from a declaration, by function point. 7.2 (the retiree
distribution) has its own module (distribution.py) and page."""

from __future__ import annotations

from domain.reports.archives import ARCHIVES
from domain.reports.deaths_adjustments import ADJUSTMENT_SHEET, DEATH_REPORT
from domain.reports.employers import BUSINESS, HEAD_COUNTS, REGISTERED
from domain.reports.institutions import INSTITUTIONS
from domain.reports.rosters import ROSTER_SPECS
from domain.reports.spec import ReportSpec, RosterSpec
from domain.reports.special import SPECIAL
from domain.reports.work import BY_MANAGEMENT_FORM, MONTHLY, SUSPENSIONS

_ALL: tuple[ReportSpec, ...] = (BY_MANAGEMENT_FORM, SUSPENSIONS, MONTHLY)
_ALL += (INSTITUTIONS, SPECIAL)  # 7.4, 7.5
_ALL += (BUSINESS, ARCHIVES, HEAD_COUNTS, REGISTERED)  # 7.1, 7.3, 7.6, 7.7

REPORTS: dict[str, ReportSpec] = {spec.id: spec for spec in sorted(_ALL, key=lambda s: int(s.id.split(".")[1]))}

# Reports whose rows are people (名册类报表), run by domain/queries/service.py; kept apart from the summaries above.
_ROSTERS: tuple[RosterSpec, ...] = (*ROSTER_SPECS, DEATH_REPORT, ADJUSTMENT_SHEET)  # + 7.12, 7.14
ROSTERS: dict[str, RosterSpec] = {spec.id: spec for spec in sorted(_ROSTERS, key=lambda s: int(s.id.split(".")[1]))}
