"""Loading and checking the YAML mapping (legacy/mapping.yaml) into :class:`domain.legacy.schema.Mapping`.

Every fault is a :class:`MappingError` whose Chinese message names the key that is wrong, so the deployment that
edits the file can fix it without reading the code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from domain.legacy.schema import ARCHIVE_STATUSES, FIELDS, ChangeKind, CodeList, Mapping, TableCode, TableMapping

DEFAULT_MAPPING = Path(__file__).resolve().parents[2] / "legacy" / "mapping.yaml"
_ENCODINGS = frozenset({"auto", "utf-8", "gb18030", "gbk"})
_DEFAULTS = ("insuring_agency_code", "management_form")


class MappingError(ValueError):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def _mapping_of(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"映射文件中 {where} 应为键值表")
    return {str(k): v for k, v in value.items()}


def _table(code: TableCode, raw: Any) -> TableMapping:
    body = _mapping_of(raw, f"tables.{code}")
    file = body.get("file")
    if not isinstance(file, str) or not file.strip():
        raise MappingError(f"映射文件中 tables.{code}.file 缺失：应为导出目录中该表的文件名")
    columns = _mapping_of(body.get("columns"), f"tables.{code}.columns")
    missing = [name for name in FIELDS[code] if not isinstance(columns.get(name), str) or not columns[name].strip()]
    if missing:
        raise MappingError(f"映射文件中 tables.{code}.columns 缺少字段：{', '.join(missing)}")
    unknown = sorted(set(columns) - set(FIELDS[code]))
    if unknown:
        raise MappingError(f"映射文件中 tables.{code}.columns 含未知字段：{', '.join(unknown)}")
    return TableMapping(code, file.strip(), {name: str(columns[name]).strip().lower() for name in FIELDS[code]})


def _codes(raw: Any) -> dict[CodeList, dict[str, str]]:
    body = _mapping_of(raw, "codes")
    codes: dict[CodeList, dict[str, str]] = {}
    for name in CodeList:
        values = _mapping_of(body.get(name.value), f"codes.{name}")
        if not values:
            raise MappingError(f"映射文件中 codes.{name} 为空")
        codes[name] = {str(k).strip(): str(v).strip() for k, v in values.items()}
    _allowed(codes[CodeList.STATUS], ARCHIVE_STATUSES, "codes.status")
    _allowed(codes[CodeList.CHANGE_KIND], frozenset(ChangeKind), "codes.change_kind")
    return codes


def _allowed(values: dict[str, str], allowed: frozenset[str], where: str) -> None:
    wrong = sorted({v for v in values.values() if v not in allowed})
    if wrong:
        raise MappingError(f"映射文件中 {where} 的取值 {', '.join(wrong)} 无效，应为：{', '.join(sorted(allowed))}")


def parse_mapping(content: bytes) -> Mapping:
    try:
        document = yaml.safe_load(content.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise MappingError(f"映射文件不是有效的 UTF-8 YAML：{error}") from error
    body = _mapping_of(document, "顶层")
    encoding = str(body.get("encoding", "auto")).lower()
    if encoding not in _ENCODINGS:
        raise MappingError(f"映射文件中 encoding 为 {encoding}，应为：{', '.join(sorted(_ENCODINGS))}")
    tables_raw = _mapping_of(body.get("tables"), "tables")
    missing = [code.value for code in TableCode if code.value not in tables_raw]
    if missing:
        raise MappingError(f"映射文件中 tables 缺少表：{', '.join(missing)}")
    defaults = {str(k): str(v) for k, v in _mapping_of(body.get("defaults", {}), "defaults").items()}
    absent = [name for name in _DEFAULTS if not defaults.get(name)]
    if absent:
        raise MappingError(f"映射文件中 defaults 缺少：{', '.join(absent)}")
    return Mapping(
        tables={code: _table(code, tables_raw[code.value]) for code in TableCode},
        codes=_codes(body.get("codes")),
        defaults=defaults,
        encoding=encoding,
        digest=hashlib.sha256(content).hexdigest(),
    )


def load_mapping(path: str | Path | None = None) -> Mapping:
    """Read and check the mapping file (default: legacy/mapping.yaml of this repository)."""
    source = Path(path) if path is not None else DEFAULT_MAPPING
    try:
        content = source.read_bytes()
    except OSError as error:
        raise MappingError(f"无法读取映射文件 {source}：{error.strerror}") from error
    return parse_mapping(content)
