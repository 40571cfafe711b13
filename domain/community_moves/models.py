"""A community move (4.8 机构拆分合并): the retirees of one community moved to another community of the same
street/town — all of them, the source then deactivated (merge), or a chosen set (split) — and its member list.

The member list is the snapshot taken when the move is created (one INSERT … SELECT); applying it marks each member
done chunk by chunk, so a move interrupted at any point carries on where it stopped and nobody moves twice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from domain.shared import columns


class MoveKind(StrEnum):
    SPLIT = "split"  # a chosen set (by list or by address) moves; the source stays
    MERGE = "merge"  # everybody moves; the source is deactivated afterwards


MOVE_KIND_LABELS = {MoveKind.SPLIT: "拆分", MoveKind.MERGE: "合并"}


class MoveState(StrEnum):
    PENDING = "pending"  # recorded, not started
    RUNNING = "running"  # some chunks applied (or a runner was stopped in the middle)
    COMPLETED = "completed"
    FAILED = "failed"  # the last attempt failed (``error``); the next run carries on


MOVE_STATE_LABELS = {
    MoveState.PENDING: "待执行",
    MoveState.RUNNING: "执行中",
    MoveState.COMPLETED: "已完成",
    MoveState.FAILED: "执行失败（将自动重试）",
}
OPEN_STATES = (MoveState.PENDING, MoveState.RUNNING, MoveState.FAILED)


class AccountHandling(StrEnum):
    """What becomes of the staff accounts of a community emptied by a merge."""

    MOVE = "move"  # reassigned to the target community
    DEACTIVATE = "deactivate"


ACCOUNT_HANDLING_LABELS = {AccountHandling.MOVE: "转入目标社区", AccountHandling.DEACTIVATE: "停用"}


class MemberOutcome(StrEnum):
    WAITING = "waiting"
    MOVED = "moved"
    SKIPPED = "skipped"  # no longer in the source (moved, transferred, died …) when its chunk ran


class CommunityMove(SQLModel, table=True):
    __tablename__ = "community_move"
    __table_args__ = (
        # One open move per source community: a second request while one is open is refused.
        Index(
            "ux_community_move_open_source",
            "source_institution_id",
            unique=True,
            postgresql_where=text("state IN ('pending', 'running', 'failed')"),
        ),
        Index("ix_community_move_street", "street_institution_id", "id"),
        Index("ix_community_move_open", "state", postgresql_where=text("state IN ('pending', 'running', 'failed')")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    request_id: str | None = columns.text(unique=True)  # the client's idempotency key
    kind: MoveKind = columns.enum_text(MoveKind, nullable=False)
    state: MoveState = columns.enum_text(MoveState, nullable=False, default=MoveState.PENDING)
    source_institution_id: int = columns.reference("institution.id", nullable=False, index=False)
    target_institution_id: int = columns.reference("institution.id", nullable=False, index=False)
    street_institution_id: int = columns.reference("institution.id", nullable=False, index=False)
    selection: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    account_handling: AccountHandling | None = columns.enum_text(AccountHandling)
    effective_date: date = Field(sa_column=Column(Date, nullable=False))
    reason: str = columns.text(nullable=False)
    remarks: str | None = columns.text()
    total: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    done: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    moved: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    skipped: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # People of the selection left out when the move was recorded, with why (an open transfer; not in the source).
    excluded: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    excluded_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    accounts_handled: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    source_deactivated: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    error: str | None = columns.text()
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_by: str = columns.text(nullable=False)
    created_at: datetime | None = columns.created_at()
    started_at: datetime | None = columns.timestamp()
    finished_at: datetime | None = columns.timestamp()
    updated_at: datetime | None = columns.timestamp()


class MoveMember(SQLModel, table=True):
    """One person of a move's snapshot; ``done`` once its chunk committed (moved, or skipped)."""

    __tablename__ = "community_move_member"
    __table_args__ = (
        Index("ix_community_move_member_waiting", "move_id", "retiree_id", postgresql_where=text("NOT done")),
        Index("ix_community_move_member_retiree", "retiree_id"),
    )

    move_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community_move.id", ondelete="CASCADE"), primary_key=True)
    )
    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), primary_key=True))
    done: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    outcome: MemberOutcome = columns.enum_text(MemberOutcome, nullable=False, default=MemberOutcome.WAITING)
    entry_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
