"""Reading one table of the 2007 system's export: a CSV file named in the mapping, streamed row by row.

The encoding is the mapping's (``auto``: UTF-8 with or without BOM, else GB18030 — a superset of the GBK the old
system writes — decided from the first 64 KiB). The header row is matched to the mapped columns case-insensitively;
a missing file or column raises :class:`ExportError` naming it. Rows come out as ``(row number, {field: text})``
with the row number as a spreadsheet shows it (the header is row 1), never more than one row in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from domain.legacy.schema import FIELD_LABELS, Mapping, TableCode

_HEAD = 64 * 1024
Row = tuple[int, dict[str, str]]


class ExportError(ValueError):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def table_path(directory: Path, mapping: Mapping, table: TableCode) -> Path:
    return directory / mapping.tables[table].file


def read_table(directory: Path, mapping: Mapping, table: TableCode) -> Iterator[Row]:
    """Stream the rows of ``table`` (see the module's docstring)."""
    spec = mapping.tables[table]
    path = table_path(directory, mapping, table)
    if not path.is_file():
        raise ExportError(f"导出目录 {directory} 中缺少 {table} 表的文件 {spec.file}")
    with path.open("rb") as raw:
        encoding = mapping.encoding
        if encoding == "auto":
            encoding = detect_encoding(raw.read(_HEAD))
            raw.seek(0)
        elif encoding == "gbk":
            encoding = "gb18030"
        text = io.TextIOWrapper(raw, encoding=encoding, newline="", errors="strict")
        try:
            yield from _rows(csv.reader(text), spec.file, spec.columns)
        except UnicodeDecodeError as error:
            raise ExportError(f"{spec.file} 的内容不是 {encoding} 编码（第{error.start}字节附近），无法读取") from error


def _rows(reader: Iterator[list[str]], file: str, columns: dict[str, str]) -> Iterator[Row]:
    header = next(reader, None)
    if header is None:
        raise ExportError(f"{file} 是空文件，没有表头行")
    positions = {name.strip().lower(): index for index, name in enumerate(header)}
    missing = [f"{column}（{FIELD_LABELS[name]}）" for name, column in columns.items() if column not in positions]
    if missing:
        raise ExportError(f"{file} 的表头缺少列：{', '.join(missing)}")
    index = {name: positions[column] for name, column in columns.items()}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        width = len(cells)
        yield number, {name: cells[i].strip() if i < width else "" for name, i in index.items()}
