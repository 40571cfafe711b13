"""Special ledgers (业务台账, 5.1) for staff: the eight ledgers' counts over the caller's query scope, each ledger as
a paged list (masked), and printed as XLSX or PDF through channels/printing (streamed, audited)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from channels.deps import QueryId, Session, StaffActor
from channels.printing import PrintColumn, PrintedDocument, PrintFormat, print_response, print_responses
from channels.printing.document import Cell
from domain.ledgers import service as ledgers
from domain.ledgers.models import LEDGERS, Ledger
from domain.retirees.lifecycle import STATUS_LABELS
from domain.shared.masking import mask_id_number, mask_phone

router = APIRouter(prefix="/api/v1/ledgers", tags=["业务台账 5.1"])
SORT_PATTERN = rf"^-?({'|'.join(ledgers.SORTABLE)})$"
SEX_LABELS = {"1": "男", "2": "女"}
_SORT = Query(
    default="personal_number",
    pattern=SORT_PATTERN,
    description="排序列：personal_number、name、birth_date、institution；前加“-”为降序（其后按个人编号）",
)


class LedgerCount(BaseModel):
    ledger: Ledger
    label: str  # 工残、孤寡、高龄 …
    title: str  # 工伤致残人员台账 …
    category_code: str
    computed: bool  # 高龄: computed from the birth date, never entered
    count: int


class LedgerSummaryView(BaseModel):
    on: date
    aged_age: int
    aged_cutoff: date
    scope_name: str
    ledgers: list[LedgerCount]


class LedgerEntryView(BaseModel):
    """A row of a ledger: masked like every list."""

    retiree_id: int
    personal_number: str
    name: str
    sex: str
    sex_label: str
    id_number: str
    birth_date: date
    age: int
    phone: str | None
    status: str
    status_label: str
    institution_id: int
    institution: str
    since: date | None

    @classmethod
    def of(cls, entry: ledgers.Entry) -> LedgerEntryView:
        return cls(
            retiree_id=entry.retiree_id,
            personal_number=entry.personal_number,
            name=entry.name,
            sex=entry.sex,
            sex_label=SEX_LABELS.get(entry.sex, "未说明"),
            id_number=mask_id_number(entry.id_number) or "",
            birth_date=entry.birth_date,
            age=entry.age,
            phone=mask_phone(entry.phone),
            status=entry.status.value,
            status_label=STATUS_LABELS[entry.status],
            institution_id=entry.institution_id,
            institution=entry.institution,
            since=entry.since,
        )


class LedgerPageView(BaseModel):
    ledger: Ledger
    label: str
    title: str
    since_label: str  # what the "since" column means for this ledger
    items: list[LedgerEntryView]
    total: int
    page: int
    size: int


def since_label(ledger: Ledger) -> str:
    return "满龄日期" if ledger is Ledger.AGED else "类别登记日期"


@router.get("", response_model=LedgerSummaryView)
async def ledger_summary(session: Session, actor: StaffActor, institution_id: QueryId = None) -> LedgerSummaryView:
    """5.1 业务台账：八类台账（工残、孤寡、高龄、劳模、重病、特困、军转、党员）在当前查询范围内的人数。"""
    result = await ledgers.summary(session, actor, institution_id=institution_id)
    return LedgerSummaryView(
        on=result.on,
        aged_age=result.aged_age,
        aged_cutoff=result.aged_cutoff,
        scope_name=result.scope.name,
        ledgers=[
            LedgerCount(
                ledger=ledger,
                label=info.short,
                title=info.title,
                category_code=info.category_code,
                computed=ledger is Ledger.AGED,
                count=result.counts[ledger],
            )
            for ledger, info in LEDGERS.items()
        ],
    )


PRINT_COLUMNS = (
    PrintColumn("序号", 12, "center"),
    PrintColumn("个人编号", 28),
    PrintColumn("姓名", 20),
    PrintColumn("性别", 10, "center"),
    PrintColumn("身份证号", 40),
    PrintColumn("出生日期", 22, "center"),
    PrintColumn("年龄", 11, "right"),
    PrintColumn("联系电话", 25),
    PrintColumn("所属社区", 45),
    PrintColumn("人员状态", 18, "center"),
)


async def _print_rows(entries: AsyncIterator[ledgers.Entry]) -> AsyncIterator[tuple[Cell, ...]]:
    number = 0
    async for entry in entries:
        number += 1
        yield (
            number,
            entry.personal_number,
            entry.name,
            SEX_LABELS.get(entry.sex, "未说明"),
            mask_id_number(entry.id_number),
            entry.birth_date,
            entry.age,
            mask_phone(entry.phone),
            entry.institution,
            STATUS_LABELS[entry.status],
            entry.since,
        )


@router.get("/{ledger}.{fmt}", response_class=StreamingResponse, responses=print_responses())
async def print_ledger(
    ledger: Ledger,
    fmt: PrintFormat,
    session: Session,
    actor: StaffActor,
    institution_id: QueryId = None,
    sort: str = _SORT,
) -> StreamingResponse:
    """5.1 台账导出（xlsx）与打印（pdf）：范围内该台账的全部人员（身份证号、电话脱敏），每次打印记入审计日志。"""
    listing = await ledgers.listing(session, actor, ledger, institution_id=institution_id, sort=sort)
    info = LEDGERS[ledger]
    if ledger is Ledger.AGED:
        subtitle = f"年龄 {listing.aged_age} 周岁及以上（按出生日期与系统日期计算） · 共 {listing.total} 人"
    else:
        subtitle = f"特殊人员类别：{info.short}（代码 {info.category_code}） · 共 {listing.total} 人"
    document = PrintedDocument(
        title=info.title,
        institution=listing.scope.name,
        data_as_of=listing.on,
        columns=(*PRINT_COLUMNS, PrintColumn(since_label(ledger), 22, "center")),
        landscape=True,
        subtitle=subtitle,
    )
    return await print_response(
        session,
        actor,
        fmt,
        document,
        _print_rows(listing.entries),
        total_rows=listing.total,
        filename=f"{info.title}-{listing.scope.name}-{listing.on.isoformat()}.{fmt.value}",
        audit_subject={
            "ledger": ledger.value,
            "scope_path": listing.scope.path,
            "institution_id": listing.scope.institution_id,
            "on": listing.on.isoformat(),
            "aged_age": listing.aged_age if ledger is Ledger.AGED else None,
            "sort": sort,
        },
    )


@router.get("/{ledger}", response_model=LedgerPageView)
async def ledger_page(
    ledger: Ledger,
    session: Session,
    actor: StaffActor,
    institution_id: QueryId = None,
    page: int = Query(default=1, ge=1, le=100_000),
    size: int = Query(default=20, ge=1, le=200),
    sort: str = _SORT,
) -> LedgerPageView:
    """5.1 某一台账的人员名单（分页，服务端排序；身份证号、电话脱敏）。"""
    result = await ledgers.page(session, actor, ledger, institution_id=institution_id, page=page, size=size, sort=sort)
    info = LEDGERS[ledger]
    return LedgerPageView(
        ledger=ledger,
        label=info.short,
        title=info.title,
        since_label=since_label(ledger),
        items=[LedgerEntryView.of(entry) for entry in result.items],
        total=result.total,
        page=result.page,
        size=result.size,
    )
