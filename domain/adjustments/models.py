"""A pension adjustment (调资, 2.5) as the provincial platform applied it to one retiree: the history the ledgers,
the yearly adjustment notice (4.9) and the objections to it (4.10) read; and those objections."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Numeric, PrimaryKeyConstraint, Text, text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class PensionAdjustment(SQLModel, table=True):
    __tablename__ = "pension_adjustment"
    __table_args__ = (
        PrimaryKeyConstraint("retiree_id", "batch_id"),
        Index("ix_pension_adjustment_year", "adjustment_year"),  # 4.9: the years adjusted, a loose index scan
    )

    retiree_id: int = Field(sa_column=Column(BigInteger, ForeignKey("retiree.id"), nullable=False))
    batch_id: str = Field(sa_column=Column(Text, nullable=False))
    adjustment_year: int = Field(sa_column=Column(Integer, nullable=False))
    amount_before: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    amount_after: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    increase: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    effective_month: str = columns.text(nullable=False)  # YYYY-MM
    event_id: str = columns.text(nullable=False)
    applied_at: datetime | None = columns.created_at()


class ObjectionCategory(StrEnum):
    """What the retiree says is wrong with this year's adjustment (4.10)."""

    WRONG_AMOUNT = "wrong_amount"
    NOT_ADJUSTED = "not_adjusted"
    SERVICE_YEARS = "service_years"
    SPECIAL_GROUP = "special_group"
    OTHER = "other"


OBJECTION_CATEGORY_LABELS: dict[ObjectionCategory, str] = {
    ObjectionCategory.WRONG_AMOUNT: "调整金额有误",
    ObjectionCategory.NOT_ADJUSTED: "未享受调整",
    ObjectionCategory.SERVICE_YEARS: "工龄/缴费年限有误",
    ObjectionCategory.SPECIAL_GROUP: "特殊群体倾斜未落实",
    ObjectionCategory.OTHER: "其他",
}


class ObjectionState(StrEnum):
    OPEN = "open"  # recorded by the community and sent to the insuring agency at once: waiting for its answer
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"  # withdrawn by the community before an answer


OBJECTION_STATE_LABELS: dict[ObjectionState, str] = {
    ObjectionState.OPEN: "待经办机构核实",
    ObjectionState.ANSWERED: "已答复",
    ObjectionState.WITHDRAWN: "已撤回",
}


class ObjectionResult(StrEnum):
    VERIFIED = "verified"
    CORRECTED = "corrected"
    REJECTED = "rejected"


OBJECTION_RESULT_LABELS: dict[ObjectionResult, str] = {
    ObjectionResult.VERIFIED: "核实无误",
    ObjectionResult.CORRECTED: "已更正",
    ObjectionResult.REJECTED: "不予受理",
}


class AdjustmentObjection(SQLModel, table=True):
    """A retiree's objection to one year's adjustment (调资情况反馈, 4.10), recorded by the community and answered by
    the insuring agency. ``community_id`` and ``agency_code`` are the retiree's at recording: the community keeps
    seeing its objection (and the answer) and the agency keeps it in its worklist even if the person moves."""

    __tablename__ = "adjustment_objection"
    __table_args__ = (
        # One open objection per retiree, year and category: a second submit answers the open one.
        Index(
            "ux_adjustment_objection_open",
            "retiree_id",
            "adjustment_year",
            "category",
            unique=True,
            postgresql_where=text("state = 'open'"),
        ),
        Index("ix_adjustment_objection_agency_state", "agency_code", "state"),
        Index("ix_adjustment_objection_community_year", "community_id", "adjustment_year"),
        Index("ix_adjustment_objection_retiree", "retiree_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    retiree_id: int = columns.reference("retiree.id", nullable=False, index=False)
    adjustment_year: int = Field(sa_column=Column(Integer, nullable=False))
    category: ObjectionCategory = columns.enum_text(ObjectionCategory, nullable=False)
    description: str = columns.text(nullable=False)
    contact_phone: str | None = columns.text()
    community_id: int = columns.reference("institution.id", nullable=False, index=False)
    agency_code: str = columns.text(nullable=False)
    state: ObjectionState = columns.enum_text(ObjectionState, nullable=False, default=ObjectionState.OPEN)
    result: ObjectionResult | None = columns.enum_text(ObjectionResult)
    corrected_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2), nullable=True))
    answer_note: str | None = columns.text()  # the correction's note, or the reason of a rejection
    recorded_by: str = columns.text(nullable=False)
    recorded_at: datetime | None = columns.created_at()
    answered_by: str | None = columns.text()
    answered_at: datetime | None = columns.timestamp()
    withdrawn_by: str | None = columns.text()
    withdrawn_at: datetime | None = columns.timestamp()
