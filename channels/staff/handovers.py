"""3.1 单位移交 / 3.2 打印移交花名册 / 3.3 退休人员档案接收: an employer's hand-over batches of retirees' archives
to a district agency (draft, edit, submit, return, receive), the employer's retirees not yet handed over and its
summary, and the roster as PDF/XLSX. Archive custody is local: nothing is pushed to the province."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from channels.deps import BodyId, PathId, Session, StaffActor
from channels.printing import PrintColumn, PrintedDocument, PrintFormat, print_response, print_responses
from domain.employers.models import Employer
from domain.handover import queries
from domain.handover import service as handovers
from domain.handover.models import (
    ARCHIVE_ITEM_LABELS,
    DISCREPANCY_LABELS,
    HANDOVER_STATE_LABELS,
    RECEIPT_RESULT_LABELS,
    ArchiveHandover,
    ArchiveItem,
    Discrepancy,
    HandoverState,
    ReceiptResult,
)
from domain.handover.rules import PersonItems, PersonResult, Voucher
from domain.institutions.models import Institution
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.shared import calendar
from domain.shared.masking import mask_id_number, mask_name

router = APIRouter(prefix="/api/v1", tags=["单位移交 3.1-3.3"])

PageNo = Query(default=1, ge=1, le=100_000)
PageSize = Query(default=20, ge=1, le=100)
EmployerCode = Annotated[str, Path(min_length=1, max_length=30, description="单位编号")]


class HandoverPersonIn(BaseModel):
    retiree_id: BodyId
    items: list[ArchiveItem] = Field(min_length=1, max_length=10, description="移交材料")
    copies: int = Field(default=1, ge=1, le=99, description="份数")


class HandoverBody(BaseModel):
    agency_id: BodyId = Field(description="接收的县区经办机构")
    voucher_number: str = Field(min_length=1, max_length=50, description="缴费凭证号")
    voucher_amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2, description="缴费金额（元）")
    voucher_date: date = Field(description="缴费日期")
    contact_person: str | None = Field(default=None, max_length=50, description="单位经办人")
    contact_phone: str | None = Field(default=None, max_length=30, description="联系电话")
    remarks: str | None = Field(default=None, max_length=500)
    people: list[HandoverPersonIn] = Field(min_length=1, max_length=5000, description="移交人员及其材料")

    def voucher(self) -> Voucher:
        return Voucher(self.voucher_number, self.voucher_amount, self.voucher_date)

    def person_items(self) -> list[PersonItems]:
        return [PersonItems(p.retiree_id, tuple(p.items), p.copies) for p in self.people]


class HandoverDraft(HandoverBody):
    employer_id: BodyId = Field(description="移交单位")


class HandoverEdit(HandoverBody):
    version: int | None = Field(default=None, ge=1, description="修改所依据的批次版本（不符则拒绝）")


class HandoverReturn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="退回原因")


class HandoverResultIn(BaseModel):
    retiree_id: BodyId
    result: ReceiptResult = Field(description="received 已接收；discrepancy 有差异")
    discrepancy: Discrepancy | None = Field(default=None, description="差异类型（有差异时必填）")
    remarks: str | None = Field(default=None, max_length=200, description="备注")


class HandoverReceipt(BaseModel):
    results: list[HandoverResultIn] = Field(min_length=1, max_length=5000, description="逐人接收结果")


class HandoverView(BaseModel):
    id: int
    number: str = Field(description="移交批次号")
    state: str
    state_label: str
    version: int
    employer_id: int
    employer_code: str
    employer_name: str
    agency_id: int
    agency_name: str
    voucher_number: str
    voucher_amount: Decimal
    voucher_date: date
    contact_person: str | None
    contact_phone: str | None
    remarks: str | None
    person_count: int
    drafted_by: str
    drafted_at: datetime | None
    submitted_by: str | None
    submitted_at: datetime | None
    returned_by: str | None
    returned_at: datetime | None
    return_reason: str | None
    received_by: str | None
    received_at: datetime | None
    received_on: date | None

    @classmethod
    def of(cls, b: ArchiveHandover, employer: Employer, agency: Institution) -> HandoverView:
        assert b.id is not None and employer.id is not None and agency.id is not None
        return cls(
            id=b.id,
            number=b.number,
            state=b.state.value,
            state_label=HANDOVER_STATE_LABELS[b.state],
            version=b.version,
            employer_id=employer.id,
            employer_code=employer.code,
            employer_name=employer.name,
            agency_id=agency.id,
            agency_name=agency.name,
            voucher_number=b.voucher_number,
            voucher_amount=b.voucher_amount,
            voucher_date=b.voucher_date,
            contact_person=b.contact_person,
            contact_phone=b.contact_phone,
            remarks=b.remarks,
            person_count=b.person_count,
            drafted_by=b.drafted_by,
            drafted_at=b.drafted_at,
            submitted_by=b.submitted_by,
            submitted_at=b.submitted_at,
            returned_by=b.returned_by,
            returned_at=b.returned_at,
            return_reason=b.return_reason,
            received_by=b.received_by,
            received_at=b.received_at,
            received_on=b.received_on,
        )


class HandoverPersonView(BaseModel):
    retiree_id: int
    personal_number: str = Field(description="个人编号")
    name: str = Field(description="姓名")
    sex_label: str
    id_number: str = Field(description="身份证号码（脱敏）")
    birth_date: date
    retirement_date: date | None
    status: str
    status_label: str
    deceased: bool = Field(description="已故（档案仍可移交）")
    items: list[str]
    items_label: str
    copies: int
    result: str | None
    result_label: str | None
    discrepancy: str | None
    discrepancy_label: str | None
    receipt_remarks: str | None


class HandoverDetail(HandoverView):
    people: list[HandoverPersonView]


class HandoverPage(BaseModel):
    items: list[HandoverView]
    total: int
    page: int
    size: int


class HandoverCode(BaseModel):
    code: str
    label: str


class HandoverCodes(BaseModel):
    items: list[HandoverCode] = Field(description="移交材料")
    discrepancies: list[HandoverCode] = Field(description="差异类型")
    results: list[HandoverCode] = Field(description="接收结果")
    states: list[HandoverCode] = Field(description="批次状态")


class HandoverEmployer(BaseModel):
    id: int
    code: str
    name: str
    insuring_agency_code: str
    contact_person: str | None
    contact_phone: str | None
    status: str


class HandoverCandidate(BaseModel):
    retiree_id: int
    personal_number: str
    name: str = Field(description="姓名（不在本机构管辖范围内的人员脱敏）")
    sex_label: str
    id_number: str = Field(description="身份证号码（脱敏）")
    birth_date: date
    retirement_date: date | None
    status: str
    status_label: str
    deceased: bool


class HandoverCandidatePage(BaseModel):
    employer_code: str
    employer_name: str
    items: list[HandoverCandidate]
    total: int
    page: int
    size: int


class HandoverSummaryView(BaseModel):
    employer_code: str
    employer_name: str
    total: int = Field(description="退休人员合计（不含已转出市外且未移交的）")
    handed_over: int = Field(description="已移交（已接收）")
    in_progress: int = Field(description="移交中（在未办结批次中）")
    not_handed_over: int = Field(description="未移交")
    with_discrepancy: int = Field(description="接收时有差异")


def _status_label(status: str) -> str:
    return STATUS_LABELS[Status(status)] if status in set(Status) else status


def _employer_view(e: Employer) -> HandoverEmployer:
    assert e.id is not None
    return HandoverEmployer(
        id=e.id,
        code=e.code,
        name=e.name,
        insuring_agency_code=e.insuring_agency_code,
        contact_person=e.contact_person,
        contact_phone=e.contact_phone,
        status=e.status,
    )


async def _view(session: Session, batch: ArchiveHandover) -> HandoverView:
    employer = await session.get(Employer, batch.employer_id)
    agency = await session.get(Institution, batch.agency_id)
    assert employer is not None and agency is not None
    return HandoverView.of(batch, employer, agency)


def _candidate(c: queries.Candidate) -> HandoverCandidate:
    r = c.retiree
    assert r.id is not None
    return HandoverCandidate(
        retiree_id=r.id,
        personal_number=r.personal_number,
        name=r.name if c.in_own_scope else (mask_name(r.name) or ""),
        sex_label=queries.SEX_LABELS.get(r.sex, r.sex),
        id_number=mask_id_number(r.id_number) or "",
        birth_date=r.birth_date,
        retirement_date=r.retirement_date,
        status=r.status.value,
        status_label=_status_label(r.status.value),
        deceased=r.status is Status.DECEASED,
    )


@router.get("/handovers/codes", response_model=HandoverCodes)
async def handover_codes(actor: StaffActor) -> HandoverCodes:
    """移交材料、差异类型、接收结果和批次状态的代码及名称。"""
    return HandoverCodes(
        items=[HandoverCode(code=k.value, label=v) for k, v in ARCHIVE_ITEM_LABELS.items()],
        discrepancies=[HandoverCode(code=k.value, label=v) for k, v in DISCREPANCY_LABELS.items()],
        results=[HandoverCode(code=k.value, label=v) for k, v in RECEIPT_RESULT_LABELS.items()],
        states=[HandoverCode(code=k.value, label=v) for k, v in HANDOVER_STATE_LABELS.items()],
    )


@router.post("/handovers", response_model=HandoverView, status_code=201)
async def draft(body: HandoverDraft, session: Session, actor: StaffActor) -> HandoverView:
    """3.1 单位移交：登记移交单（单位、接收经办机构、缴费凭证）及移交人员和材料，保存为草稿。"""
    batch = await handovers.draft(
        session,
        actor,
        employer_id=body.employer_id,
        agency_id=body.agency_id,
        voucher=body.voucher(),
        people=body.person_items(),
        contact_person=body.contact_person,
        contact_phone=body.contact_phone,
        remarks=body.remarks,
    )
    return await _view(session, batch)


@router.put("/handovers/{handover_id}", response_model=HandoverView)
async def edit(handover_id: PathId, body: HandoverEdit, session: Session, actor: StaffActor) -> HandoverView:
    """修改草稿或已退回的移交批次（整批替换人员名单）。"""
    batch = await handovers.edit(
        session,
        actor,
        handover_id,
        version=body.version,
        agency_id=body.agency_id,
        voucher=body.voucher(),
        people=body.person_items(),
        contact_person=body.contact_person,
        contact_phone=body.contact_phone,
        remarks=body.remarks,
    )
    return await _view(session, batch)


@router.post("/handovers/{handover_id}/submit", response_model=HandoverView)
async def submit(handover_id: PathId, session: Session, actor: StaffActor) -> HandoverView:
    """提交移交批次，待接收经办机构接收（重复提交返回当前状态）。"""
    return await _view(session, await handovers.submit(session, actor, handover_id))


@router.post("/handovers/{handover_id}/return", response_model=HandoverView)
async def return_batch(handover_id: PathId, body: HandoverReturn, session: Session, actor: StaffActor) -> HandoverView:
    """3.3 退回：接收经办机构核对不符时退回移交批次并说明原因（重复退回返回当前状态）。"""
    return await _view(session, await handovers.return_batch(session, actor, handover_id, reason=body.reason))


@router.post("/handovers/{handover_id}/receive", response_model=HandoverView)
async def receive(handover_id: PathId, body: HandoverReceipt, session: Session, actor: StaffActor) -> HandoverView:
    """3.3 退休人员档案接收：逐人确认已接收或有差异（差异类型及备注），确认接收（重复接收返回当前状态）。"""
    results = [PersonResult(r.retiree_id, r.result, r.discrepancy, r.remarks) for r in body.results]
    return await _view(session, await handovers.receive(session, actor, handover_id, results=results))


@router.get("/handovers", response_model=HandoverPage)
async def handover_list(
    session: Session,
    actor: StaffActor,
    employer_code: str | None = Query(default=None, max_length=30, description="单位编号"),
    state: HandoverState | None = Query(default=None, description="批次状态"),
    agency_id: int | None = Query(default=None, ge=1, le=2**63 - 1, description="接收经办机构"),
    voucher_number: str | None = Query(default=None, max_length=50, description="缴费凭证号"),
    page: int = PageNo,
    size: int = PageSize,
) -> HandoverPage:
    """本机构（查询范围内）的移交批次，新的在前。"""
    result = await queries.listing(
        session,
        actor,
        employer_code=employer_code,
        state=state,
        agency_id=agency_id,
        voucher_number=voucher_number,
        page=page,
        size=size,
    )
    return HandoverPage(
        items=[HandoverView.of(r.batch, r.employer, r.agency) for r in result.items],
        total=result.total,
        page=result.page,
        size=result.size,
    )


@router.get("/handovers/{handover_id}", response_model=HandoverDetail)
async def handover_detail(handover_id: PathId, session: Session, actor: StaffActor) -> HandoverDetail:
    """一个移交批次及其人员（身份证号脱敏）和接收结果。"""
    d = await queries.detail(session, actor, handover_id)
    people = []
    for row in d.people:
        p, r = row.person, row.retiree
        assert r.id is not None
        people.append(
            HandoverPersonView(
                retiree_id=r.id,
                personal_number=r.personal_number,
                name=r.name,
                sex_label=queries.SEX_LABELS.get(r.sex, r.sex),
                id_number=mask_id_number(r.id_number) or "",
                birth_date=r.birth_date,
                retirement_date=r.retirement_date,
                status=r.status.value,
                status_label=_status_label(r.status.value),
                deceased=p.deceased,
                items=list(p.items),
                items_label=queries.items_label(p.items),
                copies=p.copies,
                result=p.result.value if p.result else None,
                result_label=RECEIPT_RESULT_LABELS[p.result] if p.result else None,
                discrepancy=p.discrepancy.value if p.discrepancy else None,
                discrepancy_label=DISCREPANCY_LABELS[p.discrepancy] if p.discrepancy else None,
                receipt_remarks=p.receipt_remarks,
            )
        )
    view = HandoverView.of(d.batch, d.employer, d.agency)
    return HandoverDetail(**view.model_dump(), people=people)


@router.get("/employers", response_model=list[HandoverEmployer])
async def employer_search(
    session: Session,
    actor: StaffActor,
    q: str = Query(default="", max_length=50, description="单位编号（前缀）或名称"),
    limit: int = Query(default=20, ge=1, le=50),
) -> list[HandoverEmployer]:
    """按单位编号或名称查找单位（办理移交时选择单位）。"""
    return [_employer_view(e) for e in await queries.search_employers(session, actor, q, limit=limit)]


@router.get("/employers/{code}/not-handed-over", response_model=HandoverCandidatePage)
async def not_handed_over(
    code: EmployerCode, session: Session, actor: StaffActor, page: int = PageNo, size: int = PageSize
) -> HandoverCandidatePage:
    """单位未移交人员：档案未接收且不在未办结批次中的退休人员（已故人员档案仍须移交；身份证号脱敏）。"""
    employer, result = await queries.not_handed_over(session, actor, code, page=page, size=size)
    return HandoverCandidatePage(
        employer_code=employer.code,
        employer_name=employer.name,
        items=[_candidate(r) for r in result.items],
        total=result.total,
        page=result.page,
        size=result.size,
    )


@router.get("/employers/{code}/handover-summary", response_model=HandoverSummaryView)
async def handover_summary(code: EmployerCode, session: Session, actor: StaffActor) -> HandoverSummaryView:
    """单位档案移交汇总：合计、已移交、移交中、未移交。"""
    s = await queries.summary(session, actor, code)
    return HandoverSummaryView(
        employer_code=s.employer_code,
        employer_name=s.employer_name,
        total=s.total,
        handed_over=s.handed_over,
        in_progress=s.in_progress,
        not_handed_over=s.not_handed_over,
        with_discrepancy=s.with_discrepancy,
    )


ROSTER_COLUMNS = (
    PrintColumn("序号", 10, "center"),
    PrintColumn("个人编号", 24),
    PrintColumn("姓名", 16),
    PrintColumn("性别", 9, "center"),
    PrintColumn("身份证号", 34),
    PrintColumn("出生日期", 20, "center"),
    PrintColumn("退休日期", 20, "center"),
    PrintColumn("移交材料", 48),
    PrintColumn("份数", 10, "right"),
    PrintColumn("接收结果/备注", 46),
)


@router.get(
    "/handovers/{handover_id}/roster.{fmt}",
    response_class=StreamingResponse,
    responses=print_responses(),
)
async def roster(handover_id: PathId, fmt: PrintFormat, session: Session, actor: StaffActor) -> StreamingResponse:
    """3.2 打印移交花名册：退休人员档案移交花名册（PDF 或 XLSX；身份证号脱敏；含签字栏）。"""
    batch = await handovers.locked(session, actor, handover_id, lock=False)
    employer = await session.get(Employer, batch.employer_id)
    agency = await session.get(Institution, batch.agency_id)
    assert employer is not None and agency is not None and batch.id is not None
    subtitle = (
        f"移交批次 {batch.number} · 移交单位 {employer.name}（{employer.code}） · 接收机构 {agency.name} · "
        f"缴费凭证 {batch.voucher_number}（{batch.voucher_amount:.2f}元，{batch.voucher_date.isoformat()}） · "
        f"状态 {HANDOVER_STATE_LABELS[batch.state]} · 共{batch.person_count}人"
    )
    document = PrintedDocument(
        title="退休人员档案移交花名册",
        institution=agency.name,
        data_as_of=batch.received_on or calendar.today(),
        columns=ROSTER_COLUMNS,
        landscape=True,
        subtitle=subtitle,
        footer_lines=(
            "移交单位经办人（签字）：＿＿＿＿＿＿　　"
            "接收经办机构经办人（签字）：＿＿＿＿＿＿　　"
            "日期：＿＿＿＿年＿＿月＿＿日",
        ),
    )
    return await print_response(
        session,
        actor,
        fmt,
        document,
        queries.roster_rows(session, batch.id),
        total_rows=batch.person_count,
        filename=f"退休人员档案移交花名册_{batch.number}",
        audit_subject={"handover": batch.number, "handover_id": batch.id, "employer": employer.code},
    )
