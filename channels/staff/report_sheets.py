"""Reports as printable spreadsheets (openpyxl): a title, the scope and date, a bold header repeated on every
printed page, A4 landscape fitted to the page width, and a total row."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from domain.reports import distribution
from domain.retirees.lifecycle import STATUS_LABELS, Status

DISTRIBUTION_TITLE = "退休人员分布情况统计表"
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_STATUSES = (*distribution.MANAGED, Status.APPROVED)


def _text(value: str) -> str:
    """Control characters cannot be stored in an XLSX cell; a name typed with one still prints, without it."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _figures(counts: distribution.Counts) -> list[int]:
    return [
        counts.total,
        counts.city_insured,
        counts.county_insured,
        *(counts.by_status.get(status.value, 0) for status in _STATUSES),
        counts.male,
        counts.female,
        *counts.by_age_band,
    ]


def _sheet(sheet: Worksheet, report: distribution.Distribution, first: str, rows: list[distribution.Row]) -> None:
    header = [
        "编码",
        first,
        "合计",
        "市本级参保",
        "县（市、区）参保",
        *(STATUS_LABELS[status] for status in _STATUSES),
        "男",
        "女",
        *distribution.AGE_BANDS,
    ]
    sheet.append([DISTRIBUTION_TITLE])
    sheet.append([f"统计范围：{_text(report.scope_name)}", "", f"统计日期：{report.on.isoformat()}"])
    sheet.append(header)
    for row in rows:
        sheet.append([_text(row.code), _text(row.name), *_figures(row.counts)])
    sheet.append(["", "合计", *_figures(report.total)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    for cells in sheet.iter_rows(min_row=3, max_row=sheet.max_row):
        for cell in cells:
            cell.border = _BORDER
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 28
    for column in range(3, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 11
    sheet.freeze_panes = "C4"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def distribution_workbook(report: distribution.Distribution) -> bytes:
    """7.2 as an XLSX file: one sheet by managing institution, one by insuring agency."""
    book = Workbook()
    by_institution = book.active
    assert by_institution is not None
    by_institution.title = "按管理机构"
    _sheet(by_institution, report, "管理机构", report.by_institution)
    _sheet(book.create_sheet("按参保机构"), report, "参保机构", report.by_agency)
    output = BytesIO()
    book.save(output)
    return output.getvalue()
