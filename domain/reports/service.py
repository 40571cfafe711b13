"""Running a declared report (spec.py) over the caller's scope (1.3): parameters parsed as the queries' filters
are, one grouped statement, the rows named and zero-filled, the 合计 row added. Screen, XLSX and PDF all come from
the one :class:`ReportResult`, so their figures agree by construction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.institutions import service as institutions
from domain.institutions.models import Institution
from domain.queries.service import EARLIEST_DATE, parse_filters, plan_for_these_values
from domain.reports.catalogue import REPORTS
from domain.reports.spec import NO_INSTITUTION, NO_INSTITUTION_LABEL, Axis, ReportContext, ReportSpec
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode, NotFound
from domain.staff.permissions import Permission, require

OWN_LEVEL = "本级直管"
TOTAL = "合计"

Figure = int | Decimal | None


@dataclass(frozen=True)
class ReportRow:
    code: str
    name: str
    values: dict[str, Figure]


@dataclass(frozen=True)
class ReportResult:
    spec: ReportSpec
    context: ReportContext
    scope_name: str
    subtitle: str
    rows: list[ReportRow]
    total: ReportRow


def spec_of(report_id: str) -> ReportSpec:
    spec = REPORTS.get(report_id)
    if spec is None:
        raise NotFound(ErrorCode.REPORT_NOT_FOUND, f"没有编号为 {report_id} 的统计报表")
    return spec


async def _context(
    session: AsyncSession, actor: Actor, spec: ReportSpec, raw: Mapping[str, str], on: date | None
) -> tuple[ReportContext, Institution | None]:
    require(actor, Permission.READ_REGISTRY)
    today = calendar.today()
    if on is not None and not spec.as_of:
        raise DomainError(ErrorCode.QUERY_FILTER_INVALID, f"报表 {spec.id} 不能按历史日期统计", field="on")
    if on is not None and not EARLIEST_DATE <= on <= today:
        raise DomainError(
            ErrorCode.REPORT_DATE_OUT_OF_RANGE, f"统计日期应在 {EARLIEST_DATE.isoformat()} 至今天之间", field="on"
        )
    filters, prefix = await parse_filters(session, actor, spec.filters, raw, f"报表 {spec.id}")
    path = prefix.removesuffix("%")
    node = await institutions.by_path(session, path)
    context = ReportContext(actor, prefix, len(path) + 1, on or today, today, filters)
    return context, node


def _zero(spec: ReportSpec) -> dict[str, Figure]:
    return {m.key: 0 for m in spec.measures}


def _total(spec: ReportSpec, rows: list[ReportRow]) -> ReportRow:
    values: dict[str, Figure] = {}
    for measure in spec.measures:
        if measure.summed:
            values[measure.key] = sum((row.values.get(measure.key) or 0 for row in rows), start=0)
        else:
            values[measure.key] = None
    return ReportRow("", TOTAL, values)


async def run(
    session: AsyncSession, actor: Actor, report_id: str, raw: Mapping[str, str], on: date | None
) -> ReportResult:
    """The report over the caller's scope (narrowed by an institution parameter), every row and the total."""
    spec = spec_of(report_id)
    ctx, node = await _context(session, actor, spec, raw, on)
    statement = spec.build(ctx)
    await plan_for_these_values(session, jit=False)
    found = (await session.execute(text(statement.sql), {**ctx.params(), **statement.params})).mappings().all()
    measures = [m.key for m in spec.measures]
    rows: list[ReportRow] = []
    if spec.axis is Axis.UNITS:
        by_unit = {str(row["unit"]): {k: row[k] for k in measures} for row in found}
        children = (
            await session.execute(
                select(Institution)
                .where(col(Institution.parent_id) == node.id if node else col(Institution.parent_id).is_(None))
                .order_by(col(Institution.code))
            )
        ).scalars()
        for child in children:
            rows.append(ReportRow(child.code, child.name, by_unit.pop(str(child.id), _zero(spec))))
        own = by_unit.pop("", None)
        if own is not None and any(own.values()):
            rows.append(ReportRow(node.code if node else "", OWN_LEVEL, own))
        unregistered = by_unit.pop(NO_INSTITUTION, None)
        if unregistered is not None and any(unregistered.values()):
            rows.append(ReportRow("", NO_INSTITUTION_LABEL, unregistered))
    else:
        rows = [ReportRow(str(row["unit"]), str(row["unit_name"]), {k: row[k] for k in measures}) for row in found]
    subtitle = spec.subtitle(ctx) if spec.subtitle else ""
    return ReportResult(spec, ctx, node.name if node else "全市", subtitle, rows, _total(spec, rows))
