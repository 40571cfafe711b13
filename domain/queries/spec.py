"""What a query of section 6 declares: its function point, title, filters, columns and statement.

A query is data plus one function that builds its SQL from a :class:`QueryContext`. The service (service.py) parses
the filters, wraps the statement for counting, sorting, paging and streaming, and the channel presents it: every
query gets the same API, export, audit and console page, and a new one is a declaration, not a new endpoint.

Scope (1.3) is not optional: the context carries the caller's subtree as ``:prefix`` (an institution path pattern)
and every statement must restrict its rows with it; the tests call each query from a community outside the data and
expect nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from domain.shared.actor import Actor


class ColumnKind(StrEnum):
    """How a column is shown and exported; ID and phone numbers are masked unless an unmasked export is allowed."""

    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    ID_NUMBER = "id_number"
    PHONE = "phone"


@dataclass(frozen=True)
class ResultColumn:
    key: str  # the column's name in the statement's SELECT list
    label: str  # 中文列名
    kind: ColumnKind = ColumnKind.TEXT
    width: int = 25  # mm on paper; the spreadsheet scales it
    sortable: bool = False


class FilterKind(StrEnum):
    TEXT = "text"  # free text (a name prefix, a personal number)
    DATE = "date"  # one date (yyyy-mm-dd)
    CHOICE = "choice"  # one of the declared choices
    MONTH_DAY = "month_day"  # a day of the year (mm-dd), e.g. birthdays across years
    INSTITUTION = "institution"  # an institution inside the caller's scope (narrows the scope to its subtree)
    YEAR = "year"
    MONTH = "month"  # a calendar month (yyyy-mm), e.g. the monthly work report (7.15)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class QueryFilter:
    key: str
    label: str
    kind: FilterKind
    choices: tuple[Choice, ...] = ()
    required: bool = False
    default: str | None = None  # applied when the filter is not given (e.g. 6.3: active people only)
    description: str = ""


@dataclass(frozen=True)
class QueryContext:
    """What a statement is built from: the caller, their scope as a path pattern, the date the data describes and
    the parsed filters (dates as dates, years as ints, institutions resolved to their path pattern)."""

    actor: Actor
    prefix: str  # LIKE pattern of the subtree the query runs over ("/1/5/%")
    on: date
    today: date
    filters: Mapping[str, Any]

    @property
    def as_of_past(self) -> bool:
        return self.on < self.today

    def params(self, **extra: Any) -> dict[str, Any]:
        return {"prefix": self.prefix, "on": self.on, "today": self.today, **extra}


@dataclass(frozen=True)
class Statement:
    """A SELECT of the declared columns (by key), restricted to ``:prefix``; ``counts_people`` names the column
    holding the person's id when rows are people (the audit of an export says how many people it named)."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    # Optional: a cheaper ``SELECT count(*)`` of the same rows (same params) for a page's total, when counting the
    # statement itself would compute every row's figures (7.14); None counts the statement.
    count_sql: str | None = None
    # Optional: the same rows for a page sorted by one of ``page_sorts`` (columns an index serves): a statement that
    # computes each row's figures after the page's rows are chosen (a LATERAL), where ``sql`` computes them for all.
    page_sql: str | None = None
    page_sorts: frozenset[str] = frozenset()
    # Planner settings for the count alone (name, value; set for that statement, then restored): a count the planner
    # costs wrongly (6.13's merge in person order, see NO_HASH_JOIN). Constants of the code, never the caller's.
    count_settings: tuple[tuple[str, str], ...] = ()
    # The statement computes every row before sorting (a MATERIALIZED list): the page's own read gives the total
    # (count(*) OVER ()), instead of a count reading every row a second time (6.5 and 6.6 took twice as long).
    counted_in_page: bool = False


# A count merging two index-only reads in person order, which the planner costs above hashing one of them.
NO_HASH_JOIN: tuple[tuple[str, str], ...] = (("enable_hashjoin", "off"),)


@dataclass(frozen=True)
class QuerySpec:
    id: str  # the function point: "6.3"
    title: str
    description: str
    columns: tuple[ResultColumn, ...]
    build: Callable[[QueryContext], Statement]
    filters: tuple[QueryFilter, ...] = ()
    default_sort: str = ""  # a sortable column key; "-key" descending
    tiebreak: str = ""  # a unique column key that makes the order total (paging must be stable)
    as_of: bool = False  # the rows describe people's state: the caller may ask "as of" a past date
    person_column: str | None = "retiree_id"  # a hidden key naming the person (not shown); None for non-people

    def column(self, key: str) -> ResultColumn | None:
        return next((c for c in self.columns if c.key == key), None)

    def filter(self, key: str) -> QueryFilter | None:
        return next((f for f in self.filters if f.key == key), None)
