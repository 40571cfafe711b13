"""A transfer record (4.4): who moves where, when it takes legal effect, and who did each step.

Within the city a transfer is ``requested`` by the sending community (the retiree becomes ``transferring_out``) and
ends ``taken_in`` by the receiving community or ``cancelled`` by the sender. A transfer out of the city is
``completed`` at once (the retiree has ``moved_away``); one in from another city is ``completed`` at once too (the
retiree is registered at the receiving community).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Date, Index, text
from sqlmodel import Field, SQLModel

from domain.shared import columns


class TransferKind(StrEnum):
    WITHIN_CITY = "within_city"
    OUT_OF_CITY = "out_of_city"
    INTO_CITY = "into_city"


TRANSFER_KIND_LABELS: dict[TransferKind, str] = {
    TransferKind.WITHIN_CITY: "市内转移",
    TransferKind.OUT_OF_CITY: "转出市外",
    TransferKind.INTO_CITY: "外市转入",
}


class TransferState(StrEnum):
    REQUESTED = "requested"  # within the city: sent, waiting for the receiving community to take the person in
    TAKEN_IN = "taken_in"
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # out of the city / in from another city: done in one step


TRANSFER_STATE_LABELS: dict[TransferState, str] = {
    TransferState.REQUESTED: "待接收",
    TransferState.TAKEN_IN: "已接收",
    TransferState.CANCELLED: "已撤销",
    TransferState.COMPLETED: "已办结",
}


class Transfer(SQLModel, table=True):
    __tablename__ = "transfer"
    __table_args__ = (
        # At most one open transfer per retiree.
        Index("ux_transfer_open", "retiree_id", unique=True, postgresql_where=text("state = 'requested'")),
        Index("ix_transfer_to_state", "to_institution_id", "state"),
        Index("ix_transfer_from_state", "from_institution_id", "state"),
        Index("ix_transfer_retiree", "retiree_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    retiree_id: int = columns.reference("retiree.id", nullable=False, index=False)
    kind: TransferKind = columns.enum_text(TransferKind, nullable=False)
    state: TransferState = columns.enum_text(TransferState, nullable=False, default=TransferState.REQUESTED)
    from_institution_id: int | None = columns.reference("institution.id", index=False)
    to_institution_id: int | None = columns.reference("institution.id", index=False)
    destination_code: str | None = columns.text()  # out of the city: the city's GB/T 2260 code
    destination_name: str | None = columns.text()
    destination_address: str | None = columns.text()
    requested_on: date = Field(sa_column=Column(Date, nullable=False))
    effective_date: date = Field(sa_column=Column(Date, nullable=False))
    requested_by: str = columns.text(nullable=False)
    requested_at: datetime | None = columns.created_at()
    taken_in_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    taken_in_by: str | None = columns.text()
    taken_in_at: datetime | None = columns.timestamp()
    cancelled_by: str | None = columns.text()
    cancelled_at: datetime | None = columns.timestamp()
    out_entry_id: int | None = columns.reference("status_change.id", index=False)
    in_entry_id: int | None = columns.reference("status_change.id", index=False)
    cancel_entry_id: int | None = columns.reference("status_change.id", index=False)
    remarks: str | None = columns.text()
    closing_remarks: str | None = columns.text()  # the receiver's or the canceller's remarks
