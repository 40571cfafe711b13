"""4.9 调资公示 and 4.10 调资情况反馈: the yearly adjustment notice of a community (listed, printed as PDF/XLSX), a
retiree's adjustment history, and the retirees' objections to the year's adjustment — recorded by the community,
answered by the insuring agency, summarised per institution. Nothing here is pushed to the province."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from channels.deps import BodyId, PathId, QueryId, Session, StaffActor, StaffWork
from channels.printing import PrintColumn, PrintedDocument, PrintFormat, print_response, print_responses
from channels.printing.document import Cell
from domain.adjustments import notice as notices
from domain.adjustments import objections
from domain.adjustments.models import (
    OBJECTION_CATEGORY_LABELS,
    OBJECTION_RESULT_LABELS,
    OBJECTION_STATE_LABELS,
    AdjustmentObjection,
    ObjectionCategory,
    ObjectionResult,
    ObjectionState,
    PensionAdjustment,
)
from domain.dictionary import service as dictionary
from domain.institutions.models import Institution
from domain.retirees.models import Retiree
from domain.shared import calendar
from domain.shared.actor import Actor
from domain.shared.masking import mask_id_number, mask_phone

router = APIRouter(tags=["调资公示与调资情况反馈 4.9 4.10"])

Year = Annotated[int, Query(ge=1990, le=2100, description="调整年度")]
PageNo = Query(default=1, ge=1, le=100_000)
PageSize = Query(default=20, ge=1, le=200)


# --- 4.9 the notice ---------------------------------------------------------------------------------------------------


class AdjustmentYears(BaseModel):
    years: list[int] = Field(description="已有调资记录的年度，最新在前")


class NoticeRowView(BaseModel):
    seq: int = Field(description="序号")
    retiree_id: int
    personal_number: str
    name: str = Field(description="姓名（公示表张贴于社区，显示全名）")
    id_number: str = Field(description="身份证号码（脱敏）")
    amount_before: Decimal = Field(description="调整前月基本养老金")
    amount_after: Decimal = Field(description="调整后月基本养老金")
    increase: Decimal = Field(description="增加额（本年度多个批次合计）")
    effective_months: str = Field(description="执行月份（YYYY-MM，多个以、分隔）")


class NoticeView(BaseModel):
    community_id: int
    community: str
    year: int
    people: int = Field(description="公示人数")
    total_increase: Decimal = Field(description="增加总额")
    items: list[NoticeRowView]
    total: int
    page: int
    size: int


@router.get("/api/v1/adjustments/years", response_model=AdjustmentYears)
async def years(session: Session, actor: StaffActor) -> AdjustmentYears:
    """已有调资记录的年度（供选择公示年度）。"""
    return AdjustmentYears(years=await notices.years(session, actor))


@router.get("/api/v1/adjustments/notice", response_model=NoticeView)
async def notice(
    session: Session,
    actor: StaffActor,
    institution_id: Annotated[int, Query(ge=1, le=2**63 - 1, description="社区（须为管辖范围内的社区）")],
    year: Year,
    page: int = PageNo,
    size: int = PageSize,
) -> NoticeView:
    """调待公示表（4.9）：该社区管理的（已登记、暂停、转出中）、当年有调资记录的人员，每人一行（同年多批次合计），
    附合计人数和增加总额。选择社区以外的机构被拒绝（NOTICE_COMMUNITY_ONLY）。"""
    found = await notices.notice(session, actor, institution_id, year, page=page, size=size)
    assert found.community.id is not None
    first = (page - 1) * size
    return NoticeView(
        community_id=found.community.id,
        community=found.community.name,
        year=year,
        people=found.people,
        total_increase=found.total_increase,
        items=[
            NoticeRowView(
                seq=first + n,
                retiree_id=r.retiree_id,
                personal_number=r.personal_number,
                name=r.name,
                id_number=r.id_number,
                amount_before=r.amount_before,
                amount_after=r.amount_after,
                increase=r.increase,
                effective_months=r.effective_months,
            )
            for n, r in enumerate(found.rows, start=1)
        ],
        total=found.people,
        page=page,
        size=size,
    )


NOTICE_COLUMNS = (
    PrintColumn("序号", 12, "center"),
    PrintColumn("姓名", 24),
    PrintColumn("身份证号码", 40, "center"),
    PrintColumn("调整前（元）", 24, "right"),
    PrintColumn("调整后（元）", 24, "right"),
    PrintColumn("增加额（元）", 22, "right"),
    PrintColumn("执行月份", 24, "center"),
)


async def _notice_rows(
    session: Session, community: Institution, year: int, people: int, increase: Decimal
) -> AsyncIterator[Sequence[Cell]]:
    n = 0
    async for r in notices.stream(session, community, year):
        n += 1
        yield (n, r.name, r.id_number, r.amount_before, r.amount_after, r.increase, r.effective_months)
    yield ("合计", f"{people}人", None, None, None, increase, None)


async def _print_notice(
    session: Session, actor: Actor, fmt: PrintFormat, institution_id: int, year: int
) -> StreamingResponse:
    community = await notices.community_for_notice(session, actor, institution_id)
    people, increase = await notices.totals(session, community, year)
    document = PrintedDocument(
        title=f"{year}年调整退休人员基本养老金公示表",
        institution=community.name,
        data_as_of=calendar.today(),
        columns=NOTICE_COLUMNS,
        subtitle=f"公示人数 {people} 人　增加总额 {increase:.2f} 元",
        footer_lines=(
            "公示期：自张贴之日起 7 个工作日。",
            "如有异议请于公示期内向社区反映，由社区登记后报参保经办机构核实。",
            "公示单位（盖章）：　　　　　　　　　　公示日期：　　　　年　　月　　日",
        ),
    )
    return await print_response(
        session,
        actor,
        fmt,
        document,
        _notice_rows(session, community, year, people, increase),
        total_rows=people + 1,
        filename=f"{year}年调资公示表-{community.name}",
        audit_subject={"notice": "adjustment", "institution_id": community.id, "year": year, "people": people},
    )


@router.get(
    "/api/v1/adjustments/notice.pdf",
    response_class=Response,
    responses=print_responses(PrintFormat.PDF),
)
async def notice_pdf(
    session: Session,
    actor: StaffActor,
    institution_id: Annotated[int, Query(ge=1, le=2**63 - 1, description="社区")],
    year: Year,
) -> StreamingResponse:
    """打印调待公示表（PDF，A4，供张贴）；记入审计。"""
    return await _print_notice(session, actor, PrintFormat.PDF, institution_id, year)


@router.get(
    "/api/v1/adjustments/notice.xlsx",
    response_class=Response,
    responses=print_responses(PrintFormat.XLSX),
)
async def notice_xlsx(
    session: Session,
    actor: StaffActor,
    institution_id: Annotated[int, Query(ge=1, le=2**63 - 1, description="社区")],
    year: Year,
) -> StreamingResponse:
    """导出调待公示表（Excel）；记入审计。"""
    return await _print_notice(session, actor, PrintFormat.XLSX, institution_id, year)


class AdjustedPerson(BaseModel):
    retiree_id: int
    personal_number: str
    name: str
    id_number: str = Field(description="身份证号码（脱敏）")
    increase: Decimal
    effective_months: str


@router.get("/api/v1/adjustments/people", response_model=list[AdjustedPerson])
async def adjusted_people(
    session: Session,
    actor: StaffActor,
    year: Year,
    q: Annotated[str, Query(min_length=1, max_length=50, description="姓名（开头）或个人编号")],
) -> list[AdjustedPerson]:
    """本管辖范围内当年有调资记录的人员（按姓名或个人编号查找，最多 20 人），供登记调资异议时选择。"""
    rows = await notices.adjusted_people(session, actor, year, q)
    return [
        AdjustedPerson(
            retiree_id=r.retiree_id,
            personal_number=r.personal_number,
            name=r.name,
            id_number=r.id_number,
            increase=r.increase,
            effective_months=r.effective_months,
        )
        for r in rows
    ]


class AdjustmentView(BaseModel):
    batch_id: str
    adjustment_year: int
    amount_before: Decimal
    amount_after: Decimal
    increase: Decimal
    effective_month: str
    applied_at: datetime | None

    @classmethod
    def of(cls, a: PensionAdjustment) -> AdjustmentView:
        return cls.model_validate(a, from_attributes=True)


@router.get("/api/v1/retirees/{retiree_id}/adjustments", response_model=list[AdjustmentView])
async def retiree_adjustments(retiree_id: PathId, session: Session, actor: StaffActor) -> list[AdjustmentView]:
    """退休人员的历次调资记录（省平台调待结果，最新在前）。"""
    return [AdjustmentView.of(a) for a in await notices.retiree_history(session, actor, retiree_id)]


# --- 4.10 objections --------------------------------------------------------------------------------------------------


class Code(BaseModel):
    code: str
    label: str


class ObjectionBody(BaseModel):
    retiree_id: BodyId
    adjustment_year: int = Field(ge=1990, le=2100, description="调整年度")
    category: ObjectionCategory = Field(description="异议类别")
    description: str = Field(min_length=1, max_length=500, description="异议内容")
    contact_phone: str | None = Field(default=None, max_length=30, description="联系电话")

    def input(self) -> objections.ObjectionInput:
        return objections.ObjectionInput(
            self.retiree_id, self.adjustment_year, self.category, self.description, self.contact_phone
        )


class AnswerBody(BaseModel):
    result: ObjectionResult = Field(description="核实结果：verified 核实无误，corrected 已更正，rejected 不予受理")
    corrected_amount: Decimal | None = Field(
        default=None, max_digits=12, decimal_places=2, description="更正后的月基本养老金（已更正时）"
    )
    note: str | None = Field(default=None, max_length=500, description="更正说明，或不予受理的原因（必填）")


class ObjectionView(BaseModel):
    id: int
    retiree_id: int
    personal_number: str
    name: str
    id_number: str = Field(description="身份证号码（脱敏）")
    community_id: int
    community: str
    agency_code: str = Field(description="参保经办机构代码")
    agency: str = Field(description="参保经办机构名称")
    adjustment_year: int
    category: ObjectionCategory
    category_label: str
    description: str
    contact_phone: str | None = Field(description="联系电话（列表中脱敏）")
    state: ObjectionState
    state_label: str
    result: ObjectionResult | None
    result_label: str | None
    corrected_amount: Decimal | None
    answer_note: str | None
    recorded_by: str
    recorded_at: datetime | None
    answered_by: str | None
    answered_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None
    can_answer: bool = Field(description="当前用户可答复（参保经办机构或市级，且待核实）")
    can_withdraw: bool = Field(description="当前用户可撤回（登记社区或其上级，且待核实）")


class ObjectionPage(BaseModel):
    items: list[ObjectionView]
    total: int
    page: int
    size: int


class Recorded(ObjectionView):
    created: bool = Field(description="本次新登记；为 false 时是同一人员、年度、类别已有的待核实异议（未重复登记）")


async def _views(
    session: Session, actor: Actor, rows: Sequence[objections.Listed], *, masked: bool
) -> list[ObjectionView]:
    names = await dictionary.labels(session, "insuring_agency")
    paths = await objections.agency_paths(session, {r.objection.agency_code for r in rows})
    views = []
    for listed in rows:
        o, r, c = listed.objection, listed.retiree, listed.community
        assert o.id is not None and c.id is not None
        is_open = o.state is ObjectionState.OPEN
        views.append(
            ObjectionView(
                id=o.id,
                retiree_id=o.retiree_id,
                personal_number=r.personal_number,
                name=r.name,
                id_number=mask_id_number(r.id_number) or "",
                community_id=c.id,
                community=c.name,
                agency_code=o.agency_code,
                agency=names.get(o.agency_code, o.agency_code),
                adjustment_year=o.adjustment_year,
                category=o.category,
                category_label=OBJECTION_CATEGORY_LABELS[o.category],
                description=o.description,
                contact_phone=mask_phone(o.contact_phone) if masked else o.contact_phone,
                state=o.state,
                state_label=OBJECTION_STATE_LABELS[o.state],
                result=o.result,
                result_label=OBJECTION_RESULT_LABELS[o.result] if o.result else None,
                corrected_amount=o.corrected_amount,
                answer_note=o.answer_note,
                recorded_by=o.recorded_by,
                recorded_at=o.recorded_at,
                answered_by=o.answered_by,
                answered_at=o.answered_at,
                withdrawn_by=o.withdrawn_by,
                withdrawn_at=o.withdrawn_at,
                can_answer=is_open and actor.covers(paths.get(o.agency_code)),
                can_withdraw=is_open and actor.covers(c.path),
            )
        )
    return views


async def _one(session: Session, actor: Actor, o: AdjustmentObjection) -> ObjectionView:
    retiree = await session.get(Retiree, o.retiree_id)
    community = await session.get(Institution, o.community_id)
    assert retiree is not None and community is not None
    return (await _views(session, actor, [objections.Listed(o, retiree, community)], masked=False))[0]


@router.get("/api/v1/adjustment-objections/categories", response_model=list[Code])
async def categories(actor: StaffActor) -> list[Code]:
    """调资异议类别。"""
    return [Code(code=c.value, label=label) for c, label in OBJECTION_CATEGORY_LABELS.items()]


@router.post("/api/v1/adjustment-objections", response_model=Recorded, status_code=201)
async def record(body: ObjectionBody, uow: StaffWork, actor: StaffActor, response: Response) -> Recorded:
    """社区登记退休人员对本年度调资的异议，登记即送参保经办机构核实（进入其待办）。同一人员、年度、类别已有待核实的
    异议时返回该异议（200，不重复登记）。人员状态不变，不向省平台推送。"""
    row, created = await objections.record(uow, actor, body.input())
    if not created:
        response.status_code = 200
    view = await _one(uow.session, actor, row)
    return Recorded(**view.model_dump(), created=created)


@router.get("/api/v1/adjustment-objections", response_model=ObjectionPage)
async def listing(
    session: Session,
    actor: StaffActor,
    year: Annotated[int | None, Query(ge=1990, le=2100, description="调整年度")] = None,
    state: Annotated[ObjectionState | None, Query(description="状态")] = None,
    institution_id: QueryId = None,
    waiting: Annotated[bool, Query(description="只看等待本机构（参保经办机构）答复的")] = False,
    page: int = PageNo,
    size: int = PageSize,
) -> ObjectionPage:
    """调资异议（社区看本辖区登记的，参保经办机构看送本机构的），最新在前；证件号码和电话脱敏。"""
    filters = objections.ListFilter(year=year, state=state, institution_id=institution_id, waiting=waiting)
    rows, total = await objections.listing(session, actor, filters, page=page, size=size)
    return ObjectionPage(items=await _views(session, actor, rows, masked=True), total=total, page=page, size=size)


class SummaryRowView(BaseModel):
    code: str
    name: str
    total: int
    by_category: dict[str, int] = Field(description="按异议类别")
    by_state: dict[str, int] = Field(description="按状态：open 待核实、verified、corrected、rejected、withdrawn")


class SummaryView(BaseModel):
    year: int
    scope_name: str
    categories: list[Code]
    states: list[Code]
    rows: list[SummaryRowView]
    total: SummaryRowView


_STATE_LABELS = {
    "open": "待核实",
    **{r.value: label for r, label in OBJECTION_RESULT_LABELS.items()},
    "withdrawn": "已撤回",
}


def _summary_row(code: str, name: str, c: objections.SummaryCounts) -> SummaryRowView:
    return SummaryRowView(code=code, name=name, total=c.total, by_category=c.by_category, by_state=c.by_state)


@router.get("/api/v1/adjustment-objections/summary", response_model=SummaryView)
async def summary(session: Session, actor: StaffActor, year: Year) -> SummaryView:
    """调资异议汇总（4.10）：本查询范围下一级各机构当年的异议总数、按类别、按状态（待核实及各答复结果、已撤回）。"""
    s = await objections.summary(session, actor, year)
    return SummaryView(
        year=s.year,
        scope_name=s.scope_name,
        categories=[Code(code=c.value, label=label) for c, label in OBJECTION_CATEGORY_LABELS.items()],
        states=[Code(code=k, label=_STATE_LABELS[k]) for k in objections.SUMMARY_STATES],
        rows=[_summary_row(r.code, r.name, r.counts) for r in s.rows],
        total=_summary_row("", "合计", s.total),
    )


async def _summary_rows(s: objections.Summary) -> AsyncIterator[Sequence[Cell]]:
    for name, c in [*((r.name, r.counts) for r in s.rows), ("合计", s.total)]:
        yield (name, c.total, *c.by_category.values(), *(c.by_state[k] for k in objections.SUMMARY_STATES))


async def _print_summary(session: Session, actor: Actor, fmt: PrintFormat, year: int) -> StreamingResponse:
    s = await objections.summary(session, actor, year)
    columns = (
        PrintColumn("单位", 48),
        PrintColumn("异议总数", 18, "right"),
        *(PrintColumn(label, 22, "right") for label in OBJECTION_CATEGORY_LABELS.values()),
        *(PrintColumn(_STATE_LABELS[k], 16, "right") for k in objections.SUMMARY_STATES),
    )
    document = PrintedDocument(
        title=f"{year}年调资情况反馈汇总表",
        institution=s.scope_name,
        data_as_of=calendar.today(),
        columns=columns,
        landscape=True,
        subtitle="按异议类别和处理状态统计（单位：件）",
    )
    return await print_response(
        session,
        actor,
        fmt,
        document,
        _summary_rows(s),
        total_rows=len(s.rows) + 1,
        filename=f"{year}年调资情况反馈汇总表-{s.scope_name}",
        audit_subject={"summary": "adjustment_objections", "year": year},
    )


@router.get(
    "/api/v1/adjustment-objections/summary.pdf",
    response_class=Response,
    responses=print_responses(PrintFormat.PDF),
)
async def summary_pdf(session: Session, actor: StaffActor, year: Year) -> StreamingResponse:
    """打印调资异议汇总表（PDF）；记入审计。"""
    return await _print_summary(session, actor, PrintFormat.PDF, year)


@router.get(
    "/api/v1/adjustment-objections/summary.xlsx",
    response_class=Response,
    responses=print_responses(PrintFormat.XLSX),
)
async def summary_xlsx(session: Session, actor: StaffActor, year: Year) -> StreamingResponse:
    """导出调资异议汇总表（Excel）；记入审计。"""
    return await _print_summary(session, actor, PrintFormat.XLSX, year)


@router.get("/api/v1/adjustment-objections/{objection_id}", response_model=ObjectionView)
async def read(objection_id: PathId, uow: StaffWork, actor: StaffActor) -> ObjectionView:
    """一条调资异议（联系电话不脱敏，记入审计）。"""
    listed = await objections.read(uow, actor, objection_id)
    return (await _views(uow.session, actor, [listed], masked=False))[0]


@router.post(
    "/api/v1/adjustment-objections/{objection_id}/answer",
    response_model=ObjectionView,
)
async def answer(objection_id: PathId, body: AnswerBody, uow: StaffWork, actor: StaffActor) -> ObjectionView:
    """参保经办机构（或市级）答复：核实无误、已更正（填更正后金额或说明）、不予受理（须填原因）。更正本身在省养老
    保险系统中办理，本系统只记录答复。"""
    given = objections.AnswerInput(body.result, body.corrected_amount, body.note)
    row = await objections.answer(uow, actor, objection_id, given)
    return await _one(uow.session, actor, row)


@router.post(
    "/api/v1/adjustment-objections/{objection_id}/withdraw",
    response_model=ObjectionView,
)
async def withdraw(objection_id: PathId, uow: StaffWork, actor: StaffActor) -> ObjectionView:
    """社区撤回尚未答复的调资异议。"""
    row = await objections.withdraw(uow, actor, objection_id)
    return await _one(uow.session, actor, row)
