"""The exceptions of an import as an XLSX file staff correct and upload again as is: the file's own mapped columns
(header in row 1, as the ministry's file names them), then 原行号 and 错误原因. A cell the reader refused (an Excel
error value, an unreadable date, a number that lost digits, a cell over its limit) is written back with its original
content as text (cut at ``KEPT_VALUE_LENGTH`` characters, the reason saying so), so staff correct it in place.
XlsxWriter in constant-memory mode writes row by row to a file on disk, so a file of 100,000 exceptions never sits in
memory."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from xlsxwriter import Workbook

from connectors.ministry_import.reader import ImportFileError, read_rows
from connectors.ministry_import.staging import SPECS
from domain.ministry_imports.models import ImportKind

ROW_NUMBER = "原行号"
REASON = "错误原因"
_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def file_columns(kind: ImportKind, content: bytes, file_name: str) -> list[tuple[str, str]]:
    """(header as written, field) of each mapped column of the stored file, in the file's order; the spec's labels
    when the file cannot be read (a failed import has no exceptions to write anyway)."""
    handle = io.BytesIO(content)
    handle.name = file_name
    spec = SPECS[kind]
    try:
        reader = read_rows(handle, spec)
    except ImportFileError:
        return [(s.label_zh, s.field.value) for s in spec.fields]
    mapped = reader.field_columns()
    order = {letter: (header, f.value) for f, (header, letter) in mapped.items()}
    return [order[k] for k in sorted(order, key=lambda letter: (len(letter), letter))]


def _refused(problems: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The original content of the cells the reader refused, by field (kept in the problem documents)."""
    return {str(p["field"]): str(p["value"]) for p in problems if p.get("field") and p.get("value") is not None}


def _reason(problems: Sequence[Mapping[str, Any]]) -> str:
    return "；".join(str(p.get("message", "")) for p in problems)


async def write_exceptions(
    path: str, columns: Sequence[tuple[str, str]], rows: AsyncIterator[Any], *, sheet_name: str = "异常数据"
) -> int:
    """Write the exception rows (``ministry_import_row`` objects) to ``path``; return how many were written."""
    workbook = Workbook(path, _OPTIONS)
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True})
    text_format = workbook.add_format({"num_format": "@"})
    headers = [h for h, _ in columns] + [ROW_NUMBER, REASON]
    for index, header in enumerate(headers):
        sheet.set_column(index, index, 80 if header == REASON else 18, text_format)
        sheet.write_string(0, index, header, bold)
    count = 0
    async for row in rows:
        count += 1
        fields: Mapping[str, Any] = row.fields
        refused = _refused(row.problems)
        for index, (_, name) in enumerate(columns):
            sheet.write_string(count, index, str(fields.get(name) or refused.get(name, "")))
        sheet.write_number(count, len(columns), row.row_number)
        sheet.write_string(count, len(columns) + 1, _reason(row.problems))
    workbook.close()
    return count


__all__ = ["REASON", "ROW_NUMBER", "file_columns", "write_exceptions"]
