"""Tables of the suspicious-list comparison (2.8): one match per list row, and the name keys of the names seen.

``suspicious_match`` is the result of comparing one row of a committed ``suspicious_list`` import with the registry:
the person found (if any), how (``match_kind``), whether a person has to look at it (``flagged``), the Chinese
explanation, the employer and payment status as they were at the comparison (the columns of the file sent back), and
where staff's review of the row stands.

It has no foreign key to ``ministry_import_row`` (migration 0027): the comparison writes its rows by one INSERT …
SELECT from that very table, so they refer to staged rows by construction, and a staged row is only ever deleted
before its import is compared (a failed or restarted staging). The key's check, one trigger call per inserted row,
took 40 % of writing a million results (EXPLAIN ANALYZE: 32.7 s of 87.6 s for 885,895 rows).

``suspicious_name_key`` maps every written name seen (registry and lists) to its comparison form
(``domain.suspicious.names.normalise_name``). It is a cache filled set-based at each comparison for the names it does
not hold yet (a few tens of thousands of distinct names for a million people), so no writer of ``retiree`` has to
know about it and the key is computed by the one Python definition, never re-implemented in SQL.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, Text
from sqlmodel import Field, SQLModel

from domain.shared import columns
from domain.suspicious.matching import MatchKind


class ReviewState(StrEnum):
    PENDING = "pending"
    CHECKED = "checked"
    SUSPENSION_STARTED = "suspension_started"
    DEATH_RECORDED = "death_recorded"

    @property
    def label(self) -> str:
        return REVIEW_STATE_LABELS[self]


REVIEW_STATE_LABELS: dict[ReviewState, str] = {
    ReviewState.PENDING: "待核查",
    ReviewState.CHECKED: "已核查无误",
    ReviewState.SUSPENSION_STARTED: "已暂停发放",
    ReviewState.DEATH_RECORDED: "已死亡登记",
}


class SuspiciousMatch(SQLModel, table=True):
    __tablename__ = "suspicious_match"
    __table_args__ = (
        Index("ix_suspicious_match_worklist", "review_state", "flagged"),
        Index("ix_suspicious_match_retiree", "retiree_id"),
    )

    import_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    row_number: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    retiree_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    match_kind: MatchKind = columns.enum_text(MatchKind, nullable=False)
    flagged: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    explanation: str = columns.text(nullable=False)
    employer_code: str | None = columns.text()
    employer_name: str | None = columns.text()
    payment_status: str | None = columns.text()
    review_state: ReviewState = columns.enum_text(ReviewState, nullable=False, default=ReviewState.PENDING)
    reviewed_by: str | None = columns.text()
    reviewed_at: datetime | None = columns.timestamp()
    review_note: str | None = columns.text()
    compared_at: datetime | None = columns.created_at()


class SuspiciousNameKey(SQLModel, table=True):
    __tablename__ = "suspicious_name_key"
    __table_args__ = (Index("ix_suspicious_name_key_key", "name_key"),)

    name: str = Field(sa_column=Column(Text, primary_key=True))
    name_key: str = columns.text(nullable=False)
