"""4.4 转移: within the city (sent by the sending side, taken in or cancelled), out of the city and in from
another city; the receiving community's waiting list and the sending side's outgoing list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import BodyId, PathId, Session, StaffActor, StaffWork
from domain.institutions.models import LEVEL_LABELS, Institution, Level
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.masking import mask_id_number, mask_name
from domain.transfers import service as transfers
from domain.transfers.models import (
    TRANSFER_KIND_LABELS,
    TRANSFER_STATE_LABELS,
    Transfer,
    TransferKind,
    TransferState,
)
from domain.transfers.rules import Destination

router = APIRouter(prefix="/api/v1", tags=["转移 4.4"])


class DestinationIn(BaseModel):
    code: str = Field(pattern=r"^[0-9]{6}$", description="转往城市行政区划代码（GB/T 2260）")
    name: str = Field(min_length=1, max_length=50, description="转往城市名称")
    address: str | None = Field(default=None, max_length=200, description="转往地址")


class TransferRequest(BaseModel):
    kind: Literal["within_city", "out_of_city"] = Field(description="within_city 市内转移；out_of_city 转出市外")
    to_institution_id: BodyId | None = Field(default=None, description="接收社区（市内转移）")
    destination: DestinationIn | None = Field(default=None, description="转往城市（转出市外）")
    effective_date: date | None = Field(default=None, description="转移生效日期（默认今天）")
    remarks: str | None = Field(default=None, max_length=500)


class Arrival(BaseModel):
    personal_number: str = Field(pattern=r"^[0-9A-Za-z]{1,20}$")
    insuring_agency_code: str = Field(pattern=r"^[0-9A-Za-z]{6,12}$")
    effective_date: date | None = Field(default=None, description="转入生效日期（默认今天）")
    remarks: str | None = Field(default=None, max_length=500)


class TakeIn(BaseModel):
    effective_date: date | None = Field(default=None, description="接收生效日期（默认今天）")
    remarks: str | None = Field(default=None, max_length=500)


class Cancellation(BaseModel):
    remarks: str | None = Field(default=None, max_length=500, description="撤销原因")


class TransferView(BaseModel):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    retiree_id: int
    personal_number: str = Field(description="个人编号")
    name: str = Field(description="姓名（接收方接收前为脱敏）")
    id_number: str = Field(description="身份证号码（脱敏）")
    from_institution: str | None
    to_institution_id: int | None
    to_institution: str | None
    destination_code: str | None
    destination_name: str | None
    destination_address: str | None
    requested_on: date
    effective_date: date
    requested_by: str
    requested_at: datetime | None
    taken_in_on: date | None
    taken_in_by: str | None
    cancelled_by: str | None
    cancelled_at: datetime | None
    remarks: str | None
    closing_remarks: str | None

    @classmethod
    def of(
        cls,
        transfer: Transfer,
        retiree: Retiree,
        sending: Institution | None,
        receiving: Institution | None,
        *,
        masked: bool,
    ) -> TransferView:
        assert transfer.id is not None
        return cls(
            id=transfer.id,
            kind=transfer.kind.value,
            kind_label=TRANSFER_KIND_LABELS[transfer.kind],
            state=transfer.state.value,
            state_label=TRANSFER_STATE_LABELS[transfer.state],
            retiree_id=transfer.retiree_id,
            personal_number=retiree.personal_number,
            name=(mask_name(retiree.name) or "") if masked else retiree.name,
            id_number=mask_id_number(retiree.id_number) or "",
            from_institution=sending.name if sending else None,
            to_institution_id=transfer.to_institution_id,
            to_institution=receiving.name if receiving else None,
            destination_code=transfer.destination_code,
            destination_name=transfer.destination_name,
            destination_address=transfer.destination_address,
            requested_on=transfer.requested_on,
            effective_date=transfer.effective_date,
            requested_by=transfer.requested_by,
            requested_at=transfer.requested_at,
            taken_in_on=transfer.taken_in_on,
            taken_in_by=transfer.taken_in_by,
            cancelled_by=transfer.cancelled_by,
            cancelled_at=transfer.cancelled_at,
            remarks=transfer.remarks,
            closing_remarks=transfer.closing_remarks,
        )


class TransferPage(BaseModel):
    items: list[TransferView]
    total: int
    page: int
    size: int


async def _view(uow: StaffWork, transfer: Transfer, *, masked: bool = False) -> TransferView:
    session = uow.session
    retiree = await session.get(Retiree, transfer.retiree_id)
    sending = await session.get(Institution, transfer.from_institution_id) if transfer.from_institution_id else None
    receiving = await session.get(Institution, transfer.to_institution_id) if transfer.to_institution_id else None
    assert retiree is not None
    return TransferView.of(transfer, retiree, sending, receiving, masked=masked)


@router.post("/retirees/{retiree_id}/transfers", response_model=TransferView, status_code=201)
async def request_transfer(
    retiree_id: PathId, body: TransferRequest, uow: StaffWork, actor: StaffActor
) -> TransferView:
    """转出：市内转移（人员变为“转出待转入”，待接收社区接收）或转出市外（人员变为“已转出市外”）。"""
    destination = (
        Destination(body.destination.code, body.destination.name, body.destination.address)
        if body.destination
        else None
    )
    transfer = await transfers.request(
        uow,
        actor,
        retiree_id,
        kind=TransferKind(body.kind),
        effective_date=body.effective_date or calendar.today(),
        to_institution_id=body.to_institution_id,
        destination=destination,
        remarks=body.remarks,
    )
    return await _view(uow, transfer)


class ReceivingInstitution(BaseModel):
    id: int
    code: str
    name: str
    level: str
    level_label: str
    parent_id: int | None
    active: bool
    selectable: bool = Field(description="可作为接收社区（在用的社区）")


@router.get("/transfers/receiving-institutions", response_model=list[ReceivingInstitution])
async def receiving_institutions(session: Session, actor: StaffActor) -> list[ReceivingInstitution]:
    """市内转移可选的接收机构：全市机构树（仅在用的社区可选），供选择接收社区。"""
    return [
        ReceivingInstitution(
            id=i.id,
            code=i.code,
            name=i.name,
            level=i.level,
            level_label=LEVEL_LABELS[Level(i.level)],
            parent_id=i.parent_id,
            active=i.active,
            selectable=i.level == Level.COMMUNITY and i.active,
        )
        for i in await transfers.receiving_institutions(session, actor)
        if i.id is not None
    ]


@router.post("/transfers/arrivals", response_model=TransferView, status_code=201)
async def arrive(body: Arrival, uow: StaffWork, actor: StaffActor) -> TransferView:
    """外市转入：按个人编号+参保机构编码，将返回本市或管理关系转入本市的人员登记到本社区。"""
    transfer = await transfers.arrive(
        uow,
        actor,
        personal_number=body.personal_number,
        insuring_agency_code=body.insuring_agency_code,
        effective_date=body.effective_date or calendar.today(),
        remarks=body.remarks,
    )
    return await _view(uow, transfer)


@router.get("/transfers", response_model=TransferPage)
async def transfer_list(
    session: Session,
    actor: StaffActor,
    direction: Literal["incoming", "outgoing"] = Query(
        default="incoming", description="incoming 待接收；outgoing 转出"
    ),
    state: TransferState | None = Query(default=TransferState.REQUESTED, description="转移状态；默认待接收"),
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=20, ge=1, le=100),
) -> TransferPage:
    """本机构（查询范围内）待接收或已转出的转移记录；待接收列表中人员身份脱敏。"""
    incoming = direction == "incoming"
    result = await transfers.listing(session, actor, incoming=incoming, state=state, page=page, size=size)
    return TransferPage(
        items=[TransferView.of(r.transfer, r.retiree, r.sending, r.receiving, masked=incoming) for r in result.items],
        total=result.total,
        page=result.page,
        size=result.size,
    )


@router.post("/transfers/{transfer_id}/take-in", response_model=TransferView)
async def take_in(transfer_id: PathId, body: TakeIn, uow: StaffWork, actor: StaffActor) -> TransferView:
    """接收：人员登记到接收社区（重复接收不重复记录）。"""
    transfer = await transfers.take_in(
        uow, actor, transfer_id, effective_date=body.effective_date, remarks=body.remarks
    )
    return await _view(uow, transfer)


@router.post("/transfers/{transfer_id}/cancel", response_model=TransferView)
async def cancel(transfer_id: PathId, body: Cancellation, uow: StaffWork, actor: StaffActor) -> TransferView:
    """撤销：转出社区在接收前撤销转移，人员恢复为原社区“已登记”。"""
    transfer = await transfers.cancel(uow, actor, transfer_id, remarks=body.remarks)
    return await _view(uow, transfer)
