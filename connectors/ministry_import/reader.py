"""Reading a ministry batch file (CSV or Excel) row by row, whatever the ministry's export tool produced.

``read_rows(source, spec)`` opens the file, finds the header row and maps its columns to the spec's fields at once
(file-level faults raise :class:`ImportFileError` there), then streams :class:`SourceRow` objects. A broken row never
stops the file: it is yielded with its :class:`RowProblem` list and reading goes on.

- CSV: UTF-8 (with or without BOM), else GB18030 (a superset of GBK), chosen from the first 64 KiB; bytes that fit
  neither raise ``UNDECODABLE_CSV`` naming the byte offset and the row.
- Excel (xlsx/xlsm/xls/ods, recognised by content, not by name): python-calamine, first sheet only (others are named in
  a warning). Formula cells are read as the result saved in the file; python-calamine 0.9 gives an error result
  (``#REF!``) and a formula saved without a result (openpyxl writes none) as an empty cell, so such a cell in a
  required column is reported as empty, with that cause named. An error literal kept as text is a row problem.
  A merged header cell keeps its text in its first column; the empty header cells after it are named in a warning.
  calamine holds the sheet's cells natively; the Python rows are built one at a time.
- Dates: Excel dates and serial numbers, and text such as 2026-11-27, 2026/11/27, 2026.11.27, 20261127, 2026年11月27日.
- Identifiers (ID numbers, personal numbers) stay exact text; one that Excel stored as a number beyond 15 digits
  (``1.30102195001e+17``) has lost digits and is a row problem, never a guessed number.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from python_calamine import CalamineError, CalamineWorkbook

from connectors.ministry_import.columns import Field, FieldKind, FieldSpec, FileSpec, normalise_header

Source = str | os.PathLike[str] | BinaryIO

_CHUNK = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
_EXCEL_ERRORS = frozenset(
    {"#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!"}
)
_EXCEL_EPOCH = date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31
_MAX_EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_DATE_SEPARATED = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\S.*)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
KEPT_VALUE_LENGTH = 1000  # of a refused cell's content kept for the exceptions file (an Excel cell holds 32,767)


class ImportErrorCode(StrEnum):
    """Why a whole file is refused."""

    EMPTY_FILE = "EMPTY_FILE"  # nothing in it, not even a header row
    NO_DATA_ROWS = "NO_DATA_ROWS"  # a header row and nothing under it
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"  # neither CSV nor a readable Excel workbook (a .doc renamed .xlsx)
    MISSING_COLUMN = "MISSING_COLUMN"  # a required field has no column
    UNDECODABLE_CSV = "UNDECODABLE_CSV"  # CSV bytes that are neither UTF-8 nor GBK/GB18030


class ImportFileError(Exception):
    """A file refused as a whole; ``message_zh`` tells staff what is wrong and where."""

    def __init__(self, code: ImportErrorCode, message_zh: str) -> None:
        super().__init__(f"{code}: {message_zh}")
        self.code = code
        self.message_zh = message_zh


class ProblemCode(StrEnum):
    """Why one row (or one cell of it) cannot be taken as it is."""

    CELL_TOO_LONG = "CELL_TOO_LONG"  # longer than the field's limit (or the CSV reader's 128 KiB field limit)
    BAD_DATE = "BAD_DATE"  # a date cell that is no date
    FORMULA_ERROR = "FORMULA_ERROR"  # an Excel error value (#REF!, #N/A, ...)
    ID_AS_NUMBER = "ID_AS_NUMBER"  # an identifier stored as a number that has lost digits
    SHORT_ROW = "SHORT_ROW"  # fewer cells than the header
    LONG_ROW = "LONG_ROW"  # values beyond the last header column
    EMPTY_REQUIRED = "EMPTY_REQUIRED"  # a required field left empty
    BAD_ROW = "BAD_ROW"  # a CSV record the reader could not split


class WarningCode(StrEnum):
    """What staff should know about a file that is still read."""

    UNKNOWN_COLUMNS = "UNKNOWN_COLUMNS"  # columns no field is accepted under: kept aside
    EXTRA_SHEETS = "EXTRA_SHEETS"  # an Excel workbook with more than one sheet: only the first is read
    EMPTY_HEADER = "EMPTY_HEADER"  # header cells left empty (often the tail of a merged cell)
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"  # two columns for one field: the first is used


@dataclass(frozen=True, slots=True)
class ImportWarning:
    code: WarningCode
    message_zh: str


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One fault of one row: ``column`` is the header as written in the file ("" for the whole row). ``value`` is
    the refused cell's original content as text (at most :data:`KEPT_VALUE_LENGTH` characters, the message then says
    so), written back into the exceptions file so staff correct it in place; None when there is none to keep."""

    row: int
    column: str
    field: Field | None
    code: ProblemCode
    message_zh: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row. ``row`` is the row number the user sees (header = row 1); ``fields`` holds the mapped fields as
    stripped text (dates as ISO text), ``dates`` the date fields as dates; a cell with a problem is left out of both.
    ``extras`` holds the cells of unknown columns by header."""

    row: int
    fields: dict[Field, str]
    dates: dict[Field, date] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)
    problems: tuple[RowProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


Cell = str | int | float | bool | date | time | datetime | timedelta | None


def file_digest(source: str | os.PathLike[str] | BinaryIO) -> str:
    """SHA-256 of the file's bytes (hex), read in chunks; a file object is rewound to where it was."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    start = source.tell()
    digest = hashlib.sha256()
    for chunk in iter(lambda: source.read(_CHUNK), b""):
        digest.update(chunk)
    source.seek(start)
    return digest.hexdigest()


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    header: str
    spec: FieldSpec | None
    label: str  # how messages name the column: “身份证号”列（B列）


class ImportReader(Iterator[SourceRow]):
    """The rows of one file. Built by :func:`read_rows`; ``headers`` and ``warnings`` are known before the first
    row. Exhausting a file with no data row raises ``NO_DATA_ROWS``."""

    def __init__(
        self,
        spec: FileSpec,
        raw_rows: Iterator[tuple[int, Sequence[Cell] | None]],
        warnings: list[ImportWarning],
        first_column: int = 0,
    ) -> None:
        self.spec = spec
        self._first_column = first_column
        self.warnings = warnings
        self._raw = raw_rows
        self._yielded = 0
        self.size_hint: int | None = None  # about how many rows the file holds (header included), when known
        header_row = _first_nonblank(raw_rows)
        if header_row is None:
            raise ImportFileError(ImportErrorCode.EMPTY_FILE, "文件是空的：没有表头行，也没有数据。")
        self.header_row, header_cells = header_row
        self.headers = [_header_text(cell) for cell in header_cells]
        self._columns = self._map_headers()

    def _letter(self, index: int) -> str:
        return column_letter(self._first_column + index)

    def _map_headers(self) -> list[_Column]:
        index = self.spec.header_index()
        columns: list[_Column] = []
        seen: dict[Field, str] = {}
        unknown: list[str] = []
        empty: list[str] = []
        for position, header in enumerate(self.headers):
            if not header:
                empty.append(self._letter(position))
                letter = self._letter(position)
                columns.append(_Column(position, "", None, f"“{letter}”列（{letter}列）"))
                continue
            spec = index.get(normalise_header(header))
            if spec is not None and spec.field in seen:
                self.warnings.append(
                    ImportWarning(
                        WarningCode.DUPLICATE_COLUMN,
                        f"“{header}”列与“{seen[spec.field]}”列都是{spec.label_zh}，只读取前一列。",
                    )
                )
                spec = None
            if spec is None:
                unknown.append(header)
            else:
                seen[spec.field] = header
            columns.append(_Column(position, header, spec, f"“{header}”列（{self._letter(position)}列）"))
        while columns and not columns[-1].header:  # trailing empty header cells are just the sheet's width
            columns.pop()
            empty.pop()
        missing = [spec for spec in self.spec.fields if spec.required and spec.field not in seen]
        if missing:
            found = "、".join(f"“{h}”" for h in self.headers if h) or "（无）"
            hint = f"；第{'、'.join(empty)}列的表头为空（可能是合并单元格）" if empty else ""
            names = "、".join(f"{spec.label_zh}（可用表头：{'/'.join(spec.headers)}）" for spec in missing)
            raise ImportFileError(
                ImportErrorCode.MISSING_COLUMN,
                f"第{self.header_row}行表头缺少必填列：{names}。文件中的表头为：{found}{hint}。",
            )
        if unknown:
            self.warnings.append(
                ImportWarning(
                    WarningCode.UNKNOWN_COLUMNS,
                    f"以下列不在{self.spec.title_zh}的格式中，已单独保存、不参与导入：{'、'.join(unknown)}。",
                )
            )
        if empty:
            self.warnings.append(
                ImportWarning(
                    WarningCode.EMPTY_HEADER,
                    f"第{self.header_row}行第{'、'.join(empty)}列的表头为空（可能是合并单元格），这些列的数据不会导入。",
                )
            )
        return columns

    def field_columns(self) -> dict[Field, tuple[str, str]]:
        """Each mapped field's column: its header as written and its letter (A, B, …)."""
        return {c.spec.field: (c.header, self._letter(c.index)) for c in self._columns if c.spec is not None}

    def __iter__(self) -> ImportReader:
        return self

    def __next__(self) -> SourceRow:
        while True:
            try:
                number, cells = next(self._raw)
            except StopIteration:
                if not self._yielded:
                    raise ImportFileError(
                        ImportErrorCode.NO_DATA_ROWS, f"文件只有表头（第{self.header_row}行），没有数据行。"
                    ) from None
                raise
            if cells is None:
                self._yielded += 1
                return SourceRow(
                    number,
                    {},
                    problems=(
                        RowProblem(
                            number,
                            "",
                            None,
                            ProblemCode.CELL_TOO_LONG,
                            f"第{number}行有单元格超过131072个字符，无法读取，整行未导入。",
                        ),
                    ),
                )
            if _is_blank(cells):
                continue
            self._yielded += 1
            return self._row(number, cells)

    def _row(self, number: int, cells: Sequence[Cell]) -> SourceRow:
        fields: dict[Field, str] = {}
        dates: dict[Field, date] = {}
        extras: dict[str, str] = {}
        problems: list[RowProblem] = []
        for column in self._columns:
            if column.index >= len(cells):
                continue
            cell = cells[column.index]
            spec = column.spec
            if spec is None:
                if column.header:
                    text = _text(cell)
                    if len(text) > self.spec.max_cell_length:
                        problems.append(
                            RowProblem(
                                number,
                                column.header,
                                None,
                                ProblemCode.CELL_TOO_LONG,
                                f"第{number}行{column.label}内容有{len(text)}个字符，超过上限{self.spec.max_cell_length}。",
                            )
                        )
                    elif text:
                        extras[column.header] = text
                continue
            outcome = _read_cell(cell, spec)
            if isinstance(outcome, _Fault):
                kept, note = _kept(outcome.shown if outcome.shown is not None else _text(cell))
                problems.append(
                    RowProblem(
                        number,
                        column.header,
                        spec.field,
                        outcome.code,
                        f"第{number}行{column.label}：{outcome.reason}{note}",
                        kept,
                    )
                )
                continue
            text, when = outcome
            if len(text) > spec.max_length:
                kept, note = _kept(text)
                problems.append(
                    RowProblem(
                        number,
                        column.header,
                        spec.field,
                        ProblemCode.CELL_TOO_LONG,
                        f"第{number}行{column.label}：{spec.label_zh}有{len(text)}个字符，超过上限{spec.max_length}。{note}",
                        kept,
                    )
                )
                continue
            if text:
                fields[spec.field] = text
            if when is not None:
                dates[spec.field] = when
        if len(cells) < len(self._columns):
            lost = [c.header or self._letter(c.index) for c in self._columns[len(cells) :]]
            problems.append(
                RowProblem(
                    number,
                    "",
                    None,
                    ProblemCode.SHORT_ROW,
                    f"第{number}行只有{len(cells)}个单元格，少于表头的{len(self._columns)}列，缺少：{'、'.join(lost)}。",
                )
            )
        beyond = [i for i in range(len(self._columns), len(cells)) if _text(cells[i])]
        if beyond:
            problems.append(
                RowProblem(
                    number,
                    "",
                    None,
                    ProblemCode.LONG_ROW,
                    f"第{number}行在表头之外的第{'、'.join(self._letter(i) for i in beyond)}列还有内容"
                    f"（表头共{len(self._columns)}列）。",
                )
            )
        reported = {p.field for p in problems}
        for column in self._columns:
            spec = column.spec
            if (
                spec is not None
                and spec.required
                and spec.field not in fields
                and spec.field not in reported
                and column.index < len(cells)
            ):
                problems.append(
                    RowProblem(
                        number,
                        column.header,
                        spec.field,
                        ProblemCode.EMPTY_REQUIRED,
                        f"第{number}行“{column.header}”列（{self._letter(column.index)}列）：{spec.label_zh}为空"
                        "（若是公式单元格，可能是公式没有计算结果或结果为错误值）。",
                    )
                )
        return SourceRow(number, fields, dates, extras, tuple(problems))


def read_rows(source: Source, spec: FileSpec) -> ImportReader:
    """Open a CSV or Excel file (a path or a binary file object, told apart by content) and map its header to
    ``spec``. Raises :class:`ImportFileError` for an empty, unreadable or unsupported file or a missing required
    column; the returned reader streams :class:`SourceRow` objects."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        handle: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed when the rows are exhausted or on error
        name = path.name
    else:
        handle = source
        name = str(getattr(source, "name", ""))
    try:
        start = handle.tell()
        head = handle.read(_CHUNK)
        handle.seek(start)
        warnings: list[ImportWarning] = []
        hint: int | None = None
        if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
            raw, first_column, hint = _excel_rows(handle, name, warnings)
        elif Path(name).suffix.lower() in _EXCEL_SUFFIXES or b"\x00" in head:
            raise ImportFileError(
                ImportErrorCode.UNSUPPORTED_FORMAT,
                f"文件“{name or '上传的文件'}”不是CSV，也不是可读取的Excel工作簿，请另存为.xlsx或.csv后重新上传。",
            )
        else:
            raw, first_column = _csv_rows(handle, head), 0
        reader = ImportReader(spec, _closing(raw, handle if handle is not source else None), warnings, first_column)
        reader.size_hint = hint
        return reader
    except BaseException:
        if handle is not source:
            handle.close()
        raise


def _closing(
    rows: Iterator[tuple[int, Sequence[Cell] | None]], handle: BinaryIO | None
) -> Iterator[tuple[int, Sequence[Cell] | None]]:
    try:
        yield from rows
    finally:
        if handle is not None:
            handle.close()


def _excel_rows(
    handle: BinaryIO, name: str, warnings: list[ImportWarning]
) -> tuple[Iterator[tuple[int, Sequence[Cell] | None]], int, int | None]:
    try:
        workbook = CalamineWorkbook.from_filelike(handle)
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as error:
        raise ImportFileError(
            ImportErrorCode.UNSUPPORTED_FORMAT,
            f"文件“{name or '上传的文件'}”无法作为Excel工作簿读取（{error}），请另存为.xlsx或.csv后重新上传。",
        ) from error
    if len(workbook.sheet_names) > 1:
        others = "、".join(f"“{n}”" for n in workbook.sheet_names[1:])
        warnings.append(
            ImportWarning(
                WarningCode.EXTRA_SHEETS,
                f"只读取第一个工作表“{workbook.sheet_names[0]}”，其余工作表{others}已忽略。",
            )
        )
    first_column = sheet.start[1] if sheet.start else 0
    return _excel_iter(sheet.iter_rows()), first_column, sheet.height


def _excel_iter(rows: Iterator[Sequence[Cell]]) -> Iterator[tuple[int, Sequence[Cell] | None]]:
    # python-calamine 0.9 starts its rows at the sheet's first row (A1) but its cells at the first used column
    for offset, cells in enumerate(rows):
        yield offset + 1, cells


def _csv_rows(handle: BinaryIO, head: bytes) -> Iterator[tuple[int, Sequence[Cell] | None]]:
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _CHUNK)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "gb18030"
    reader = csv.reader(_decoded_lines(handle, encoding))
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            number += 1
            if "field larger than field limit" in str(error):
                yield number, None
            continue
        number += 1
        yield number, list(record)


def _decoded_lines(handle: BinaryIO, encoding: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    lines = 0
    tail = ""
    while True:
        chunk = handle.read(_CHUNK)
        final = not chunk
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as error:
            valid = codecs.decode(chunk[: error.start], encoding, errors="replace") if error.start else ""
            line = lines + (tail + valid).count("\n") + 1
            label = "UTF-8" if encoding.startswith("utf-8") else "UTF-8或GBK/GB18030"
            raise ImportFileError(
                ImportErrorCode.UNDECODABLE_CSV,
                f"CSV文件第{line}行（第{offset + error.start}字节处）的内容不是{label}编码，无法识别"
                f"（{chunk[error.start : error.start + 4].hex(' ')}）。请用Excel另存为“CSV UTF-8”后重新上传。",
            ) from error
        offset += len(chunk)
        parts = (tail + text).split("\n")
        tail = parts.pop()
        lines += len(parts)
        for part in parts:
            yield part + "\n"
        if final:
            if tail:
                yield tail
            return


def _first_nonblank(rows: Iterator[tuple[int, Sequence[Cell] | None]]) -> tuple[int, Sequence[Cell]] | None:
    for number, cells in rows:
        if cells is not None and not _is_blank(cells):
            return number, cells
    return None


def _is_blank(cells: Sequence[Cell]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _header_text(cell: Cell) -> str:
    return _text(cell).lstrip("\ufeff").strip()


def _number_text(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    return repr(value)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, int | float):
        return _number_text(float(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell).strip()


def _kept(text: str) -> tuple[str | None, str]:
    """A refused cell's content as the exceptions file keeps it, and what the reason adds when it is cut short."""
    if not text:
        return None, ""
    if len(text) <= KEPT_VALUE_LENGTH:
        return text, ""
    return text[:KEPT_VALUE_LENGTH], f"（异常文件中该单元格只保留了原内容的前{KEPT_VALUE_LENGTH}个字符）"


@dataclass(frozen=True, slots=True)
class _Fault:
    code: ProblemCode
    reason: str
    shown: str | None = None  # the cell as the exceptions file keeps it, when not its plain text


def _read_cell(cell: Cell, spec: FieldSpec) -> tuple[str, date | None] | _Fault:
    """The text (and date) of one mapped cell, or why it cannot be taken."""
    if isinstance(cell, str) and cell[:2].lstrip().startswith("#") and cell.strip().upper() in _EXCEL_ERRORS:
        return _Fault(
            ProblemCode.FORMULA_ERROR, f"单元格是Excel错误值{cell.strip()}（公式计算出错），请修正公式或填写数值。"
        )
    reader: Callable[[Cell, FieldSpec], tuple[str, date | None] | _Fault] = _READERS[spec.kind]
    return reader(cell, spec)


def _read_text(cell: Cell, spec: FieldSpec) -> tuple[str, date | None] | _Fault:
    return _text(cell), None


def _read_identifier(cell: Cell, spec: FieldSpec) -> tuple[str, date | None] | _Fault:
    lost = (
        f"{spec.label_zh}被Excel存成了数字（{{shown}}），超过15位的数字已丢失末几位，无法还原。"
        "请把该列设为“文本”格式后重新填写。"
    )
    if isinstance(cell, float | int) and not isinstance(cell, bool):
        value = float(cell)
        digits = len(str(int(abs(value)))) if value.is_integer() else len(repr(value))
        if not value.is_integer() or digits > _MAX_EXACT_DIGITS:
            shown = f"{value:.12g}"  # as the reason quotes it: never digits the number no longer has
            return _Fault(ProblemCode.ID_AS_NUMBER, lost.format(shown=shown), shown)
        return str(int(value)), None
    text = unicodedata.normalize("NFKC", _text(cell))
    text = "".join(text.split()).upper()
    if _SCIENTIFIC.match(text):
        return _Fault(ProblemCode.ID_AS_NUMBER, lost.format(shown=text))
    return text, None


def _read_date(cell: Cell, spec: FieldSpec) -> tuple[str, date | None] | _Fault:
    when: date | None
    if isinstance(cell, datetime):
        when = cell.date()
    elif isinstance(cell, date):
        when = cell
    elif isinstance(cell, float | int) and not isinstance(cell, bool):
        when = _from_number(float(cell))
    elif isinstance(cell, str):
        text = unicodedata.normalize("NFKC", cell).strip()
        if not text:
            return "", None
        when = _parse_date_text(text)
    else:
        when = None
    if when is None:
        return _Fault(
            ProblemCode.BAD_DATE,
            f"{spec.label_zh}“{_text(cell)[:40]}”不是有效日期（可写作2026-11-27、2026/11/27、20261127或2026年11月27日）。",
        )
    return when.isoformat(), when


def _from_number(value: float) -> date | None:
    if value.is_integer() and 10_000_000 <= value <= 99_991_231:  # 20261127 typed into a number cell
        return _parse_date_text(str(int(value)))
    if 1 <= value <= _MAX_SERIAL:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    return None


def _parse_date_text(text: str) -> date | None:
    match = _DATE_SEPARATED.match(text) or _DATE_COMPACT.match(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


_READERS: dict[FieldKind, Callable[[Cell, FieldSpec], tuple[str, date | None] | _Fault]] = {
    FieldKind.TEXT: _read_text,
    FieldKind.IDENTIFIER: _read_identifier,
    FieldKind.DATE: _read_date,
}

__all__ = [
    "KEPT_VALUE_LENGTH",
    "ImportErrorCode",
    "ImportFileError",
    "ImportReader",
    "ImportWarning",
    "ProblemCode",
    "RowProblem",
    "SourceRow",
    "WarningCode",
    "column_letter",
    "file_digest",
    "read_rows",
]
