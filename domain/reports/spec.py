"""What a statistical report of section 7 declares (issue 19): its function point, title, parameters, measures,
rows and chart, and one grouped statement.

Most reports count something per institution one level below the caller's scope (``Axis.UNITS``: every child is a
row, zero-filled, then 本级直管 and the total); some have rows of their own (``Axis.GIVEN``: employers, reasons,
months — the statement names each row). The service (service.py) runs the statement once over the scope, the
channel shows it on screen with its chart, in XLSX and as a printed PDF (the same rows in all three).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from domain.queries.spec import QueryContext, QueryFilter, QuerySpec, Statement
from domain.shared.actor import Actor


class Axis(StrEnum):
    UNITS = "units"  # rows: the institutions one level below the scope, 本级直管, 合计
    GIVEN = "given"  # rows: what the statement returns as (unit, unit_name), then 合计


class MeasureKind(StrEnum):
    COUNT = "count"
    MONEY = "money"


class ChartKind(StrEnum):
    BAR = "bar"  # grouped bars per row, one series per charted measure
    STACKED_BAR = "stacked_bar"  # the charted measures stacked per row (parts of a whole)
    PIE = "pie"  # the totals of the charted measures as parts of a whole
    NONE = "none"


@dataclass(frozen=True)
class Measure:
    key: str  # the statement's column
    label: str
    kind: MeasureKind = MeasureKind.COUNT
    width: int = 18  # mm on paper
    charted: bool = True
    summed: bool = True  # the 合计 row adds it up (False: a figure that is not additive, left empty there)


@dataclass(frozen=True)
class ReportContext:
    actor: Actor
    prefix: str  # LIKE pattern of the scope's subtree ("/1/5/%")
    depth: int  # 1-based position, in an institution's path, of the id of the scope's child it lies under
    on: date
    today: date
    filters: Mapping[str, Any]

    @property
    def as_of_past(self) -> bool:
        return self.on < self.today

    def params(self, **extra: Any) -> dict[str, Any]:
        return {"prefix": self.prefix, "depth": self.depth, "on": self.on, "today": self.today, **extra}


NO_INSTITUTION = "~"  # the ``unit`` of people with no institution (approved, not registered): the city level sees them
NO_INSTITUTION_LABEL = "已核准未登记（无所属机构）"
UNIT_OF_PATH = "split_part(substr({path}, :depth), '/', 1)"


def unit_of(path: str) -> str:
    """The SQL of the scope's child an institution (by its path) lies under: its id as text, '' for the scope's
    own node — what a ``UNITS`` report's statement selects as ``unit``."""
    return UNIT_OF_PATH.format(path=path)


@dataclass(frozen=True)
class ReportSpec:
    id: str  # "7.15"
    title: str
    description: str
    measures: tuple[Measure, ...]
    build: Callable[[ReportContext], Statement]
    filters: tuple[QueryFilter, ...] = ()
    axis: Axis = Axis.UNITS
    unit_label: str = "单位"
    chart: ChartKind = ChartKind.BAR
    as_of: bool = False  # counts people's state: may be asked as of a past date
    landscape: bool = True
    signature: bool = True  # the printed form ends with 制表人 / 审核人 / 单位（盖章）
    subtitle: Callable[[ReportContext], str] | None = None  # the period or the parameters, printed under the title


class ReportKind(StrEnum):
    SUMMARY = "summary"  # a ReportSpec: counts per institution or per given row
    ROSTER = "roster"  # a RosterSpec: a list of people (7.9, 7.11, 7.12, 7.14)


SIGNATURE_LINE = "制表人：                    审核人：                    单位（盖章）："


@dataclass(frozen=True)
class RosterSpec:
    """A report whose rows are people (名册类报表): a :class:`QuerySpec` (columns, filters, statement, sort, the
    person's hidden key) run by domain/queries/service.py — paged and sorted on screen, streamed whole to XLSX and
    PDF, masked — plus what the printed form needs: its orientation, the signature lines at the foot of every page,
    a subtitle from the parameters, and the money/number columns added up into a 合计 line at the end."""

    query: QuerySpec  # its id is the report's function point ("7.11")
    landscape: bool = True
    footer_lines: tuple[str, ...] = (SIGNATURE_LINE,)
    subtitle: Callable[[QueryContext], str] | None = None
    summed: tuple[str, ...] = ()  # column keys added up into the 合计 line of the XLSX and the PDF

    @property
    def id(self) -> str:
        return self.query.id

    @property
    def title(self) -> str:
        return self.query.title

    @property
    def description(self) -> str:
        return self.query.description
