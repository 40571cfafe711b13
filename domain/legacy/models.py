"""The tables of the legacy migration (issue 17).

``legacy_run`` is one run of ``hub legacy import`` (a dry run or an import) with its chunk progress; its report is
``legacy_run_table`` (per LD/T table), ``legacy_run_status`` (per status) and ``legacy_run_difference`` (the
registry's province-synced fields against the old system's, for the same people). The ``legacy_stage_*`` tables are
UNLOGGED staging filled by COPY, one row per source row with its refusal (code, column, Chinese message) if any.
``legacy_run_refusal`` keeps the refused rows with their reasons once the staging is purged.
``legacy_migration_state`` holds the one mark that the migration is complete (the go-live gate reads it).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    text,
)
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from domain.shared import columns
from domain.status_log.models import StatusChange


class RunState(StrEnum):
    STAGING = "staging"  # reading the export into staging
    VALIDATED = "validated"  # staged and validated: the report is ready (a dry run ends here)
    IMPORTING = "importing"  # merging chunk by chunk (killed here: the next import carries on)
    IMPORTED = "imported"
    FAILED = "failed"


RUN_STATE_LABELS = {
    RunState.STAGING: "读取中",
    RunState.VALIDATED: "已校验",
    RunState.IMPORTING: "导入中",
    RunState.IMPORTED: "已导入",
    RunState.FAILED: "失败",
}


def _count(default: int = 0) -> Any:
    return Field(default=default, sa_column=Column(Integer, nullable=False, server_default=str(default)))


def _run_fk() -> Any:
    return Field(sa_column=Column(BigInteger, ForeignKey("legacy_run.id", ondelete="CASCADE"), primary_key=True))


class LegacyRun(SQLModel, table=True):
    __tablename__ = "legacy_run"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    source: str = columns.text(nullable=False)  # the export directory as given
    digest: str = columns.text(nullable=False)  # SHA-256 over the files and the mapping: the same export resumes
    dry_run: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=sa_false()))
    state: RunState = columns.enum_text(RunState, nullable=False, default=RunState.STAGING)
    chunk_size: int = _count(10000)
    chunks_total: int = _count()
    chunks_done: int = _count()
    error: str | None = columns.text()
    created_by: str = columns.text(nullable=False)
    created_at: datetime | None = columns.created_at()
    finished_at: datetime | None = columns.timestamp()
    updated_at: datetime | None = columns.timestamp()
    # When the run's staging rows were deleted (purge.py): an import once imported, a dry run once superseded or
    # older than the retention parameter. The report (run tables, statuses, refusals, differences) stays.
    staging_purged_at: datetime | None = columns.timestamp()


class LegacyRunTable(SQLModel, table=True):
    """The reconciliation of one source table in one run."""

    __tablename__ = "legacy_run_table"

    run_id: int = _run_fk()
    table_code: str = Field(sa_column=Column(Text, primary_key=True))
    rows_read: int = _count()
    would_import: int = _count()  # new to the registry
    would_merge: int = _count()  # the same person (ID number) or code is in the registry already
    refused: int = _count()


class LegacyRunStatus(SQLModel, table=True):
    """People of a run per status the old system's history ends in (refused people not counted)."""

    __tablename__ = "legacy_run_status"

    run_id: int = _run_fk()
    status: str = Field(sa_column=Column(Text, primary_key=True))
    people: int = _count()
    merged: int = _count()


class LegacyRunDifference(SQLModel, table=True):
    """One field that differs between the registry (as synced from the province) and the old system."""

    __tablename__ = "legacy_run_difference"
    __table_args__ = (Index("ix_legacy_run_difference_run", "run_id", "field", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    run_id: int = Field(sa_column=Column(BigInteger, ForeignKey("legacy_run.id", ondelete="CASCADE"), nullable=False))
    retiree_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    personal_number: str = columns.text(nullable=False)
    field: str = columns.text(nullable=False)
    registry_value: str | None = columns.text()
    legacy_value: str | None = columns.text()


class LegacyRunRefusal(SQLModel, table=True):
    """One refused source row of a run with its reason, copied from staging when the run is validated: the report's
    refusals outlive the staging rows (purged once the run is imported or superseded)."""

    __tablename__ = "legacy_run_refusal"

    run_id: int = _run_fk()
    table_code: str = Field(sa_column=Column(Text, primary_key=True))
    row_no: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    problem_code: str = columns.text(nullable=False)
    problem_column: str | None = columns.text()
    problem_message: str = columns.text(nullable=False)


class MigrationState(SQLModel, table=True):
    """The one row saying the migration is complete (no row: not yet). ``run_id`` NULL: marked without an import
    (the demo seed, tests)."""

    __tablename__ = "legacy_migration_state"
    __table_args__ = (CheckConstraint("id = 1", name="ck_legacy_migration_state_single"),)

    id: int = Field(default=1, sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    run_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    completed_at: datetime | None = columns.created_at()
    completed_by: str = columns.text(nullable=False)


class StagePerson(SQLModel, table=True):
    """AC01 (persons) joined to IC10 (retirees' base archive) by personal number, validated."""

    __tablename__ = "legacy_stage_person"
    __table_args__ = (
        Index("ix_legacy_stage_person_number", "run_id", "personal_number"),
        Index("ix_legacy_stage_person_id_number", "run_id", "id_number"),
        {"prefixes": ["UNLOGGED"]},
    )

    run_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    row_no: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    personal_number: str | None = columns.text()
    id_number: str | None = columns.text()  # normalised to 18 characters
    id_upgraded: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=sa_false()))
    name: str | None = columns.text()
    sex: str | None = columns.text()
    birth_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    employer_code: str | None = columns.text()
    problem_code: str | None = columns.text()
    problem_column: str | None = columns.text()
    problem_message: str | None = columns.text()


class StageArchive(SQLModel, table=True):
    """IC10: the retirement archive of a person, and the state their history ends in (computed in validation)."""

    __tablename__ = "legacy_stage_archive"
    __table_args__ = (Index("ix_legacy_stage_archive_number", "run_id", "personal_number"), {"prefixes": ["UNLOGGED"]})

    run_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    row_no: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    personal_number: str | None = columns.text()
    retirement_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    retirement_category: str | None = columns.text()
    community_code: str | None = columns.text()
    registered_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status: str | None = columns.text()  # the old system's status, mapped to this registry's
    payment_status: str | None = columns.text()
    monthly_pension: str | None = columns.text()
    final_status: str | None = columns.text()  # the state the history ends in (validation)
    problem_code: str | None = columns.text()
    problem_column: str | None = columns.text()
    problem_message: str | None = columns.text()


class StageUnit(SQLModel, table=True):
    """AF08 streets/towns, AF02 communities, AB01 employers: a code, a name and (institutions) the parent's code."""

    __tablename__ = "legacy_stage_unit"
    __table_args__ = ({"prefixes": ["UNLOGGED"]},)

    run_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    table_code: str = Field(sa_column=Column(Text, primary_key=True))
    row_no: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    code: str | None = columns.text()
    name: str | None = columns.text()
    parent_code: str | None = columns.text()
    problem_code: str | None = columns.text()
    problem_column: str | None = columns.text()
    problem_message: str | None = columns.text()


class StageEvent(SQLModel, table=True):
    """AC60 certifications and AEF1 status changes (suspended, resumed, deceased, moved away) with their dates."""

    __tablename__ = "legacy_stage_event"
    __table_args__ = (Index("ix_legacy_stage_event_number", "run_id", "personal_number"), {"prefixes": ["UNLOGGED"]})

    run_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    table_code: str = Field(sa_column=Column(Text, primary_key=True))
    row_no: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    personal_number: str | None = columns.text()
    kind: str | None = columns.text()
    on_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    reason: str | None = columns.text()
    problem_code: str | None = columns.text()
    problem_column: str | None = columns.text()
    problem_message: str | None = columns.text()


# One imported history entry per retiree and source fact (``cause_ref`` "legacy:AEF1:suspended:2015-03-02"): the
# import's INSERT … ON CONFLICT DO NOTHING relies on it to be idempotent without scanning the log.
IMPORTED_ENTRY = Index(
    "ux_status_change_import",
    StatusChange.__table__.c.retiree_id,  # type: ignore[attr-defined]
    StatusChange.__table__.c.cause_ref,  # type: ignore[attr-defined]
    unique=True,
    postgresql_where=text("cause_type = 'import'"),
)
