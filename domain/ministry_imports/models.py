"""Ministry batch imports (issue 16: 2.7 跨地区认证数据导入, 2.8 疑似名单比对): one staged pipeline for every kind of
ministry file.

An upload stores the file and an ``uploaded`` import; the worker stages it (every row validated and copied into
``ministry_import_row`` with its outcome), staff preview the staged rows and commit or abandon; committing applies the
valid rows (2.7: a ``certification.recorded`` event per row through the outbox; 2.8: the suspicious-list comparison).
The stored file lets the worker restage an import found half-staged after a restart.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, LargeBinary, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from domain.shared import columns


class ImportKind(StrEnum):
    """The kinds of ministry file (same values as ``connectors.ministry_import.columns.FileKind``)."""

    CROSS_REGION_CERTIFICATIONS = "cross_region_certifications"  # 2.7
    SUSPICIOUS_LIST = "suspicious_list"  # 2.8


IMPORT_KIND_LABELS = {
    ImportKind.CROSS_REGION_CERTIFICATIONS: "跨地区认证数据",
    ImportKind.SUSPICIOUS_LIST: "疑似名单",
}


class ImportState(StrEnum):
    UPLOADED = "uploaded"  # file stored, waiting for the worker
    STAGING = "staging"
    STAGED = "staged"  # preview ready
    COMMITTING = "committing"
    COMMITTED = "committed"
    FAILED = "failed"  # a whole-file problem (``error``)
    ABANDONED = "abandoned"  # dropped by staff before commit


IMPORT_STATE_LABELS = {
    ImportState.UPLOADED: "等待处理",
    ImportState.STAGING: "校验中",
    ImportState.STAGED: "待确认",
    ImportState.COMMITTING: "导入中",
    ImportState.COMMITTED: "已导入",
    ImportState.FAILED: "文件有误",
    ImportState.ABANDONED: "已放弃",
}
ACTIVE_STATES = (ImportState.UPLOADED, ImportState.STAGING, ImportState.COMMITTING)
# An import in one of these states no longer holds its file digest: the same file may be uploaded again.
RELEASED_STATES = (ImportState.FAILED, ImportState.ABANDONED)


class RowOutcome(StrEnum):
    VALID = "valid"
    EXCEPTION = "exception"  # the row has problems
    DUPLICATE = "duplicate"  # same record earlier in this file, or already applied by an earlier import
    APPLIED = "applied"


ROW_OUTCOME_LABELS = {
    RowOutcome.VALID: "有效",
    RowOutcome.EXCEPTION: "异常",
    RowOutcome.DUPLICATE: "重复",
    RowOutcome.APPLIED: "已导入",
}


def _count() -> Any:
    return Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class MinistryImport(SQLModel, table=True):
    __tablename__ = "ministry_import"
    __table_args__ = (
        Index(
            "ux_ministry_import_digest",
            "kind",
            "file_digest",
            unique=True,
            postgresql_where=text("state NOT IN ('failed', 'abandoned')"),
        ),
        Index("ix_ministry_import_institution", "institution_id", "id"),
        Index(
            "ix_ministry_import_active",
            "state",
            postgresql_where=text("state IN ('uploaded', 'staging', 'committing')"),
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    kind: ImportKind = columns.enum_text(ImportKind, nullable=False)
    file_name: str = columns.text(nullable=False)
    file_digest: str = columns.text(nullable=False)  # sha-256, hex
    file_size: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    state: ImportState = columns.enum_text(ImportState, nullable=False, default=ImportState.UPLOADED)
    uploaded_by: str = columns.text(nullable=False)
    institution_id: int = columns.reference("institution.id", nullable=False, index=False)
    total_rows: int = _count()
    valid_rows: int = _count()
    exception_rows: int = _count()
    duplicate_rows: int = _count()
    applied_rows: int = _count()
    processed_rows: int = _count()  # progress of the current phase (staging or committing)
    warnings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    error: str | None = columns.text()
    uploaded_at: datetime | None = columns.created_at()
    staged_at: datetime | None = columns.timestamp()
    committed_at: datetime | None = columns.timestamp()
    committed_by: str | None = columns.text()
    corrects_import_id: int | None = columns.reference("ministry_import.id", index=False)


class MinistryImportFile(SQLModel, table=True):
    """The uploaded file itself, kept so the worker can restage after a restart."""

    __tablename__ = "ministry_import_file"

    import_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("ministry_import.id", ondelete="CASCADE"), primary_key=True)
    )
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MinistryImportRow(SQLModel, table=True):
    """One data row of an import's file, as staged: what it says, what was wrong with it, and its outcome."""

    __tablename__ = "ministry_import_row"
    __table_args__ = (
        Index("ix_ministry_import_row_outcome", "import_id", "outcome"),
        Index("ix_ministry_import_row_record_key", "record_key"),
    )

    import_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("ministry_import.id", ondelete="CASCADE"), primary_key=True)
    )
    row_number: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    name: str | None = columns.text()
    id_number: str | None = columns.text()  # as written
    id_number_18: str | None = columns.text()  # validated, 15 → 18 upgraded
    personal_number: str | None = columns.text()
    retiree_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    problems: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    )
    outcome: RowOutcome = columns.enum_text(RowOutcome, nullable=False, default=RowOutcome.VALID)
    record_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
