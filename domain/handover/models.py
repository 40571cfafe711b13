"""An employer's hand-over of its retirees' paper archives (档案) to a district agency (3.1 - 3.3), and where each
retiree's archive is kept now.

A batch (移交批次, numbered ``YJ<year>-<seq>``) is ``drafted`` by an operator at the city bureau or the receiving
agency, ``submitted`` for receipt, then ``received`` by the agency (every person marked received or with a
discrepancy) or ``returned`` with a reason, edited and submitted again. ``archive_custody`` holds, per retiree, the
institution keeping the archive and the batch that brought it there (read by 6.2 and 7.3).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer, Numeric, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from domain.shared import columns


class HandoverState(StrEnum):
    DRAFTED = "drafted"  # being put together; editable
    SUBMITTED = "submitted"  # waiting for the agency to check and receive it
    RETURNED = "returned"  # sent back by the agency with a reason; editable, then submitted again
    RECEIVED = "received"  # the agency confirmed receipt: every archive is now kept there


HANDOVER_STATE_LABELS: dict[HandoverState, str] = {
    HandoverState.DRAFTED: "草稿",
    HandoverState.SUBMITTED: "待接收",
    HandoverState.RETURNED: "已退回",
    HandoverState.RECEIVED: "已接收",
}

OPEN_STATES = (HandoverState.DRAFTED, HandoverState.SUBMITTED, HandoverState.RETURNED)
EDITABLE_STATES = (HandoverState.DRAFTED, HandoverState.RETURNED)


class ArchiveItem(StrEnum):
    """What a retiree's archive bag holds (移交材料)."""

    RETIREMENT_APPROVAL = "retirement_approval"
    PERSONNEL_FILE = "personnel_file"
    WAGE_RELATION = "wage_relation"
    MEDICAL_RELATION = "medical_relation"
    ID_COPY = "id_copy"


ARCHIVE_ITEM_LABELS: dict[ArchiveItem, str] = {
    ArchiveItem.RETIREMENT_APPROVAL: "退休审批表",
    ArchiveItem.PERSONNEL_FILE: "档案正本",
    ArchiveItem.WAGE_RELATION: "工资关系",
    ArchiveItem.MEDICAL_RELATION: "医疗关系",
    ArchiveItem.ID_COPY: "身份证复印件",
}


class ReceiptResult(StrEnum):
    RECEIVED = "received"
    DISCREPANCY = "discrepancy"


RECEIPT_RESULT_LABELS: dict[ReceiptResult, str] = {
    ReceiptResult.RECEIVED: "已接收",
    ReceiptResult.DISCREPANCY: "有差异",
}


class Discrepancy(StrEnum):
    ARCHIVE_MISSING = "archive_missing"
    MATERIALS_INCOMPLETE = "materials_incomplete"
    PERSON_MISMATCH = "person_mismatch"
    OTHER = "other"


DISCREPANCY_LABELS: dict[Discrepancy, str] = {
    Discrepancy.ARCHIVE_MISSING: "档案缺失",
    Discrepancy.MATERIALS_INCOMPLETE: "材料不全",
    Discrepancy.PERSON_MISMATCH: "人员不符",
    Discrepancy.OTHER: "其他",
}


class ArchiveHandover(SQLModel, table=True):
    __tablename__ = "archive_handover"
    __table_args__ = (
        Index("ix_archive_handover_agency_state", "agency_id", "state"),
        Index("ix_archive_handover_employer", "employer_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    number: str = columns.text(nullable=False, unique=True)  # YJ2026-0001
    employer_id: int = columns.reference("employer.id", nullable=False, index=False)
    agency_id: int = columns.reference("institution.id", nullable=False, index=False)
    state: HandoverState = columns.enum_text(HandoverState, nullable=False, default=HandoverState.DRAFTED)
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    voucher_number: str = columns.text(nullable=False)  # 缴费凭证号
    voucher_amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    voucher_date: date = Field(sa_column=Column(Date, nullable=False))
    contact_person: str | None = columns.text()
    contact_phone: str | None = columns.text()
    remarks: str | None = columns.text()
    person_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    drafted_by: str = columns.text(nullable=False)
    drafted_at: datetime | None = columns.created_at()
    updated_at: datetime | None = columns.timestamp()
    submitted_by: str | None = columns.text()
    submitted_at: datetime | None = columns.timestamp()
    returned_by: str | None = columns.text()
    returned_at: datetime | None = columns.timestamp()
    return_reason: str | None = columns.text()
    received_by: str | None = columns.text()
    received_at: datetime | None = columns.timestamp()
    received_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class HandoverPerson(SQLModel, table=True):
    """One retiree of a batch: what their archive holds and, once received, the agency's result. ``open`` is true
    while the batch is not received; the partial unique index keeps a retiree in one open batch at most."""

    __tablename__ = "archive_handover_person"
    __table_args__ = (
        Index("ux_archive_handover_person", "handover_id", "retiree_id", unique=True),
        Index("ux_archive_handover_person_open", "retiree_id", unique=True, postgresql_where=text("open")),
        Index("ix_archive_handover_person_retiree", "retiree_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    handover_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("archive_handover.id", ondelete="CASCADE"), nullable=False)
    )
    retiree_id: int = columns.reference("retiree.id", nullable=False, index=False)
    items: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"))
    copies: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))  # 份数
    deceased: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false")))
    open: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true")))
    result: ReceiptResult | None = columns.enum_text(ReceiptResult)
    discrepancy: Discrepancy | None = columns.enum_text(Discrepancy)
    receipt_remarks: str | None = columns.text()


class ArchiveCustody(SQLModel, table=True):
    """Where a retiree's archive is kept now: the agency that received it and the batch that brought it."""

    __tablename__ = "archive_custody"
    __table_args__ = (Index("ix_archive_custody_institution", "institution_id"),)

    retiree_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("retiree.id", ondelete="CASCADE"), primary_key=True)
    )
    institution_id: int = columns.reference("institution.id", nullable=False, index=False)
    handover_id: int = columns.reference("archive_handover.id", nullable=False)
    received_on: date = Field(sa_column=Column(Date, nullable=False))
    discrepancy: Discrepancy | None = columns.enum_text(Discrepancy)
    recorded_at: datetime | None = columns.created_at()


class HandoverCounter(SQLModel, table=True):
    """The last batch number given out per year (YJ<year>-<seq>), taken with one upsert."""

    __tablename__ = "archive_handover_counter"

    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    last: int = Field(default=0, sa_column=Column(Integer, nullable=False))
