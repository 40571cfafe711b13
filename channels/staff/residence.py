"""4.7 异地人员管理 / 6.16 异地人员情况查询: a retiree's residence (the city's GB/T 2260 code, address, since, phone),
the list of the retirees insured here who live in another city, and the people insured elsewhere who live here (kept
by their community). A residence is not a status: nothing is pushed to the province for it."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from channels.deps import PathId, Session, StaffActor, StaffWork
from channels.staff.views import RetireeSummary
from domain.institutions.models import Institution
from domain.residence import service as residences
from domain.residence.cities import CITY_NAMES, city_name, is_local
from domain.residence.models import IncomingResident, Residence
from domain.shared import calendar
from domain.shared.masking import mask_id_number, mask_phone

router = APIRouter(tags=["异地人员管理 4.7"])

CityCode = Field(pattern=r"^[0-9]{6}$", description="城市行政区划代码（GB/T 2260，地市级，如110100 北京市）")
CityFilter = Query(default=None, pattern=r"^[0-9]{6}$", description="按居住城市（地市级行政区划代码）筛选")
PlaceFilter = Query(default=None, pattern=r"^[0-9]{6}$", description="按参保地（地市级行政区划代码）筛选")
PageNo = Query(default=1, ge=1, le=100_000)
PageSize = Query(default=20, ge=1, le=100)


class ResidenceBody(BaseModel):
    city_code: str = CityCode
    since: date = Field(description="在该城市居住的起始日期（不晚于今天）")
    address: str | None = Field(default=None, max_length=200, description="居住地址")
    phone: str | None = Field(default=None, max_length=30, description="居住地联系电话")

    def input(self) -> residences.ResidenceInput:
        return residences.ResidenceInput(self.city_code, self.since, self.address, self.phone)


class ResidenceView(BaseModel):
    id: int
    city_code: str = Field(description="居住城市行政区划代码")
    city_name: str | None = Field(description="居住城市名称（内置表中没有的代码为空）")
    non_local: bool = Field(description="居住在本市以外（异地居住）")
    address: str | None
    phone: str | None
    since: date
    current: bool
    recorded_by: str
    recorded_at: datetime | None

    @classmethod
    def of(cls, r: Residence) -> ResidenceView:
        assert r.id is not None
        return cls(
            id=r.id,
            city_code=r.city_code,
            city_name=city_name(r.city_code),
            non_local=not is_local(r.city_code),
            address=r.address,
            phone=r.phone,
            since=r.since,
            current=r.current,
            recorded_by=r.recorded_by,
            recorded_at=r.recorded_at,
        )


class ResidenceHistory(BaseModel):
    current: ResidenceView | None
    history: list[ResidenceView] = Field(description="历次居住地记录，最新在前")


class City(BaseModel):
    code: str
    name: str


@router.get("/api/v1/residence-cities", response_model=list[City])
async def cities(actor: StaffActor) -> list[City]:
    """内置的城市代码表（地市级，GB/T 2260），供选择居住城市或参保地；表外的合法地市级代码也可直接填写。"""
    return [City(code=code, name=name) for code, name in CITY_NAMES.items()]


@router.put("/api/v1/retirees/{retiree_id}/residence", response_model=ResidenceView)
async def change(retiree_id: PathId, body: ResidenceBody, uow: StaffWork, actor: StaffActor) -> ResidenceView:
    """记录退休人员的居住地（变更时保留历史，时间轴可见）。居住地不是人员状态，不向省平台推送。"""
    row = await residences.change(uow, actor, retiree_id, body.input(), today=calendar.today())
    return ResidenceView.of(row)


@router.get("/api/v1/retirees/{retiree_id}/residence", response_model=ResidenceHistory)
async def show(retiree_id: PathId, session: Session, actor: StaffActor) -> ResidenceHistory:
    """退休人员的当前居住地和历次记录。"""
    rows = await residences.readable_history(session, actor, retiree_id)
    views = [ResidenceView.of(r) for r in reversed(rows)]
    return ResidenceHistory(current=next((v for v in views if v.current), None), history=views)


class NonLocalRow(BaseModel):
    retiree: RetireeSummary
    residence: ResidenceView


class NonLocalPage(BaseModel):
    items: list[NonLocalRow]
    total: int
    page: int
    size: int


@router.get("/api/v1/retirees/non-local", response_model=NonLocalPage)
async def non_local(
    session: Session,
    actor: StaffActor,
    city_code: str | None = CityFilter,
    page: int = PageNo,
    size: int = PageSize,
) -> NonLocalPage:
    """本市参保、外市居住的退休人员（6.16），本机构管辖范围内，证件号码和电话脱敏。"""
    rows, total = await residences.non_local(session, actor, city_code=city_code, page=page, size=size)
    items = []
    for row in rows:
        view = ResidenceView.of(row.residence)
        items.append(
            NonLocalRow(
                retiree=RetireeSummary.of(row.retiree, row.institution),
                residence=view.model_copy(update={"phone": mask_phone(view.phone)}),
            )
        )
    return NonLocalPage(items=items, total=total, page=page, size=size)


class IncomingBody(BaseModel):
    id_number: str = Field(min_length=15, max_length=18, description="身份证号码")
    name: str = Field(min_length=1, max_length=50, description="姓名")
    insuring_place_code: str = Field(pattern=r"^[0-9]{6}$", description="参保地（地市级行政区划代码，不能是本市）")
    address: str | None = Field(default=None, max_length=200, description="本市居住地址")
    phone: str | None = Field(default=None, max_length=30, description="联系电话")
    community_id: int | None = Field(
        default=None, ge=1, description="居住社区（默认为经办人所在社区；上级机构须选择管辖范围内的社区）"
    )
    since: date | None = Field(default=None, description="在本市居住的起始日期")

    def input(self) -> residences.IncomingInput:
        return residences.IncomingInput(
            self.id_number,
            self.name,
            self.insuring_place_code,
            self.address,
            self.phone,
            self.community_id,
            self.since,
        )


class IncomingView(BaseModel):
    id: int
    id_number: str = Field(description="身份证号码（列表中脱敏）")
    name: str
    insuring_place_code: str
    insuring_place_name: str | None
    address: str | None
    phone: str | None
    community_id: int
    community: str
    since: date | None
    recorded_by: str
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, r: IncomingResident, community: Institution, *, masked: bool) -> IncomingView:
        assert r.id is not None
        return cls(
            id=r.id,
            id_number=(mask_id_number(r.id_number) or "") if masked else r.id_number,
            name=r.name,
            insuring_place_code=r.insuring_place_code,
            insuring_place_name=city_name(r.insuring_place_code),
            address=r.address,
            phone=mask_phone(r.phone) if masked else r.phone,
            community_id=r.community_id,
            community=community.name,
            since=r.since,
            recorded_by=r.recorded_by,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


class IncomingPage(BaseModel):
    items: list[IncomingView]
    total: int
    page: int
    size: int


@router.get("/api/v1/incoming-residents", response_model=IncomingPage)
async def incoming(
    session: Session,
    actor: StaffActor,
    insuring_place_code: str | None = PlaceFilter,
    page: int = PageNo,
    size: int = PageSize,
) -> IncomingPage:
    """外市参保、本市居住的退休人员（6.16），本机构管辖范围内，证件号码和电话脱敏。"""
    rows, total = await residences.incoming(session, actor, place_code=insuring_place_code, page=page, size=size)
    return IncomingPage(items=[IncomingView.of(r, c, masked=True) for r, c in rows], total=total, page=page, size=size)


@router.post("/api/v1/incoming-residents", response_model=IncomingView, status_code=201)
async def add(body: IncomingBody, uow: StaffWork, actor: StaffActor) -> IncomingView:
    """登记外市参保、本市居住的人员（由居住社区管理；不进入本系统的待遇发放流程）。"""
    row, community = await residences.add_incoming(uow, actor, body.input())
    return IncomingView.of(row, community, masked=False)


@router.get("/api/v1/incoming-residents/{resident_id}", response_model=IncomingView)
async def read(resident_id: PathId, uow: StaffWork, actor: StaffActor) -> IncomingView:
    """一名外地参保人员的完整信息（不脱敏，供修改；记入审计）。"""
    row, community = await residences.read_incoming(uow, actor, resident_id)
    return IncomingView.of(row, community, masked=False)


@router.put("/api/v1/incoming-residents/{resident_id}", response_model=IncomingView)
async def edit(resident_id: PathId, body: IncomingBody, uow: StaffWork, actor: StaffActor) -> IncomingView:
    """修改外市参保人员的信息。"""
    row, community = await residences.edit_incoming(uow, actor, resident_id, body.input())
    return IncomingView.of(row, community, masked=False)


@router.delete("/api/v1/incoming-residents/{resident_id}", status_code=204)
async def remove(resident_id: PathId, uow: StaffWork, actor: StaffActor) -> Response:
    """删除外市参保人员记录（如已离开本市）。"""
    await residences.remove_incoming(uow, actor, resident_id)
    return Response(status_code=204)
