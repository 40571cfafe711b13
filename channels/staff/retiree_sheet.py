"""7.10 退休人员基本信息表: one retiree's record printed as a form (A4 portrait) — identity, retirement, residence and
contacts, registration, status and payment, special categories, the last certifications and the recent status
changes — from what the retiree page already reads (the record, its supplementary info and the timeline of
domain/retirees/timeline.py, scoped like the detail view), drawn with ReportLab in a printing thread as a grid of
labelled cells. ID and phone numbers are masked unless the caller may export full values and asks; every print is
an access to the person's record, so it is audited naming them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlmodel import col

from channels.deps import PathId, Session, StaffActor
from channels.printing import AUDIT_ACTION, PDF_MEDIA_TYPE, attachment_headers, register_font
from channels.printing.document import clean_text, show
from channels.printing.pdf import fit
from channels.printing.threads import in_thread, print_slot
from channels.staff.views import error_responses
from domain.audit import trail
from domain.dictionary import service as dictionary
from domain.employers.models import Employer
from domain.institutions.models import Institution
from domain.ledgers.models import AGED_CODE
from domain.queries.service import may_export_unmasked
from domain.residence import service as residence
from domain.retirees import timeline as timelines
from domain.retirees.lifecycle import STATUS_LABELS, Status
from domain.retirees.models import Retiree, SupplementaryInfo
from domain.retirees.service import age_on
from domain.shared import calendar
from domain.shared.errors import ErrorCode, Forbidden
from domain.shared.masking import mask_id_number, mask_phone

router = APIRouter(prefix="/api/v1/retirees", tags=["退休人员 6.x"])

TITLE = "退休人员基本信息表"
SIGNATURE = "经办人：                    审核人：                    单位（盖章）："
RECENT_CERTIFICATIONS = 3
RECENT_CHANGES = 8
MARGIN = 15 * mm
ROW = 6.6 * mm
BASELINE = 2.2 * mm  # a cell's text above its lower edge
LABEL_WIDTH = 27 * mm
SECTION = 6 * mm
FOOTER = MARGIN + 4 * mm  # the signature line stays above this (the page number is below)


@dataclass(frozen=True)
class Section:
    """A titled block: label/value pairs laid two to a line, or a small table (header, rows)."""

    title: str
    pairs: tuple[tuple[str, str], ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()  # the table's column shares


@dataclass(frozen=True)
class Sheet:
    institution: str
    sections: tuple[Section, ...]
    printed_by: str
    printed_at: datetime
    masked: bool


def _value(value: object) -> str:
    return show(value) or "—"


async def _sheet(session: Session, actor: StaffActor, retiree_id: int, unmasked: bool) -> tuple[Retiree, Sheet]:
    story = await timelines.timeline(session, actor, retiree_id)  # refused like the detail view outside the scope
    person = story.retiree
    institution = await session.get(Institution, person.institution_id) if person.institution_id else None
    info = await session.get(SupplementaryInfo, retiree_id)
    lived = await residence.current(session, retiree_id)
    employer = (
        await session.execute(select(col(Employer.name)).where(col(Employer.code) == person.employer_code))
    ).scalar_one_or_none()
    labels = {
        category: await dictionary.labels(session, category)
        for category in ("sex", "payment_status", "management_form", "special_category", "insuring_agency")
    }

    def id_number(value: str | None) -> str:
        return _value(value if unmasked else mask_id_number(value))

    def phone(value: str | None) -> str:
        return _value(value if unmasked else mask_phone(value))

    today = calendar.today()
    categories = [labels["special_category"].get(code, code) for code in (info.special_categories if info else [])]
    aged = await dictionary.parameter_int(session, "aged_ledger_age")
    if age_on(person.birth_date, today) >= aged:
        categories.append(labels["special_category"].get(AGED_CODE, "高龄"))
    certifications = [e.certification for e in story.entries if e.certification is not None][:RECENT_CERTIFICATIONS]
    changes = [e.status_change for e in story.entries if e.status_change is not None][:RECENT_CHANGES]
    status = STATUS_LABELS[Status(person.status)]
    sections = (
        Section(
            "一、基本身份",
            (
                ("姓名", person.name),
                ("性别", labels["sex"].get(person.sex, person.sex)),
                ("身份证号码", id_number(person.id_number)),
                ("个人编号", person.personal_number),
                ("出生日期", _value(person.birth_date)),
                ("民族", "未采集"),  # the province's record carries none (2.2)
            ),
        ),
        Section(
            "二、退休情况",
            (
                ("退休日期", _value(person.retirement_date)),
                ("退休类别", _value(person.retirement_category)),
                ("原工作单位", employer or _value(person.employer_code)),
                ("参保机构", labels["insuring_agency"].get(person.insuring_agency_code, person.insuring_agency_code)),
                ("核准日期", _value(person.approval_date)),
                ("月养老金（元）", _value(person.monthly_pension)),
            ),
        ),
        Section(
            "三、居住和联系方式",
            (
                ("居住地址", _value(lived.address if lived and lived.address else person.residence_address)),
                ("联系电话", phone(lived.phone if lived and lived.phone else person.phone)),
                ("户籍地址", _value(info.household_address if info else None)),
                ("居住地区划", _value(lived.city_code if lived else None)),
                ("紧急联系人", _value(info.emergency_contact_name if info else None)),
                ("紧急联系电话", phone(info.emergency_contact_phone if info else None)),
            ),
        ),
        Section(
            "四、登记和管理",
            (
                ("管理机构", institution.name if institution else "未登记"),
                ("登记日期", _value(person.registered_on)),
                ("管理形式", labels["management_form"].get(person.management_form, person.management_form)),
                ("特殊人员类别", "、".join(categories) or "无"),
            ),
        ),
        Section(
            "五、人员状态和待遇发放",
            (
                ("人员状态", status),
                ("状态起始日期", _value(person.status_since)),
                ("待遇发放状态", labels["payment_status"].get(person.payment_status, person.payment_status)),
                ("最近认证日期", _value(person.last_certified_on)),
            ),
        ),
        Section(
            f"六、最近资格认证（最近 {RECENT_CERTIFICATIONS} 次）",
            header=("认证日期", "认证来源", "认证方式", "经办人"),
            rows=tuple(
                (_value(c.certified_on), c.source_label, _value(c.method), _value(c.certified_by))
                for c in certifications
            ),
            widths=(1, 1.4, 1, 1),
        ),
        Section(
            f"七、状态变更记录（最近 {RECENT_CHANGES} 条）",
            header=("生效日期", "变更类型", "变更原因", "变更前", "变更后"),
            rows=tuple(
                (
                    _value(c.effective_date),
                    c.change_kind_label,
                    c.reason_label,
                    c.from_status_label,
                    c.to_status_label,
                )
                for c in changes
            ),
            widths=(1, 1, 1.8, 1, 1),
        ),
    )
    sheet = Sheet(
        institution.name if institution else "未登记",
        sections,
        actor.name,
        datetime.now(calendar.BUSINESS_TZ),
        not unmasked,
    )
    return person, sheet


def _text(canvas: Canvas, font: str, value: str, x: float, y: float, width: float, size: float = 9) -> None:
    shown, shown_size, _ = fit(clean_text(value), width - 3 * mm, size)
    canvas.setFont(font, shown_size)
    canvas.drawString(x + 1.5 * mm, y, shown)


def _pairs(canvas: Canvas, font: str, pairs: Sequence[tuple[str, str]], top: float, width: float) -> float:
    half = width / 2
    for index in range(0, len(pairs), 2):
        for column, (label, value) in enumerate(pairs[index : index + 2]):
            x = MARGIN + column * half
            canvas.setFillGray(0.93)
            canvas.rect(x, top - ROW, LABEL_WIDTH, ROW, stroke=1, fill=1)
            canvas.setFillGray(0)
            canvas.rect(x + LABEL_WIDTH, top - ROW, half - LABEL_WIDTH, ROW, stroke=1, fill=0)
            _text(canvas, font, label, x, top - ROW + BASELINE, LABEL_WIDTH)
            _text(canvas, font, value, x + LABEL_WIDTH, top - ROW + BASELINE, half - LABEL_WIDTH)
        top -= ROW
    return top


def _table(canvas: Canvas, font: str, section: Section, top: float, width: float) -> float:
    share = width / sum(section.widths)
    lines = [section.header, *(section.rows or (("无记录",),))]
    for number, line in enumerate(lines):
        x = MARGIN
        for index, share_of in enumerate(section.widths):
            cell = share * share_of
            if number == 0:
                canvas.setFillGray(0.93)
                canvas.rect(x, top - ROW, cell, ROW, stroke=1, fill=1)
                canvas.setFillGray(0)
            else:
                canvas.rect(x, top - ROW, cell, ROW, stroke=1, fill=0)
            if index < len(line):
                _text(canvas, font, line[index], x, top - ROW + BASELINE, cell)
            x += cell
        top -= ROW
    return top


def draw_on(canvas: Canvas, font: str, sheet: Sheet) -> float:
    """The form on the canvas's page; returns the signature line's height above the page's foot (the sections are
    bounded — a few certifications, the recent changes — so it stays above :data:`FOOTER`: a unit test checks the
    fullest sheet)."""
    width, height = A4
    usable = width - 2 * MARGIN
    canvas.setLineWidth(0.6)
    canvas.setFont(font, 16)
    canvas.drawCentredString(width / 2, height - MARGIN - 6 * mm, TITLE)
    canvas.setFont(font, 8.5)
    masked = "证件号码、电话已脱敏" if sheet.masked else "未脱敏"
    canvas.drawString(
        MARGIN,
        height - MARGIN - 13 * mm,
        f"管理机构：{clean_text(sheet.institution)}　打印人：{clean_text(sheet.printed_by)}　"
        f"打印时间：{sheet.printed_at.strftime('%Y-%m-%d %H:%M')}　{masked}",
    )
    top = height - MARGIN - 16 * mm
    for section in sheet.sections:
        canvas.setFont(font, 10.5)
        canvas.drawString(MARGIN, top - SECTION + 1.8 * mm, section.title)
        top -= SECTION
        top = (
            _pairs(canvas, font, section.pairs, top, usable)
            if section.pairs
            else _table(canvas, font, section, top, usable)
        )
        top -= 1.5 * mm
    signature = max(top - 8 * mm, FOOTER)
    canvas.setFont(font, 10)
    canvas.drawString(MARGIN, signature, SIGNATURE)
    canvas.setFont(font, 8)
    canvas.drawCentredString(width / 2, MARGIN - 4 * mm, "第 1 页 共 1 页")
    return top - 8 * mm


def draw(sheet: Sheet) -> bytes:
    """The form as a one-page A4 portrait PDF."""
    font = register_font()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setTitle(TITLE)
    draw_on(canvas, font, sheet)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


UnmaskedQuery = Annotated[bool, Query(description="打印完整证件号码和电话（仅有导出未脱敏权限的市、区级经办人员）")]


@router.get(
    "/{retiree_id}/sheet.pdf",
    response_class=Response,
    responses={200: {"description": "打印文件", "content": {PDF_MEDIA_TYPE: {}}}, **error_responses(403, 404)},
)
async def retiree_sheet(
    retiree_id: PathId, session: Session, actor: StaffActor, unmasked: UnmaskedQuery = False
) -> Response:
    """7.10 退休人员基本信息表（A4 纵向 PDF）：本人基本信息、认证和状态变更记录，证件号码和电话默认脱敏；
    每次打印记入审计日志。"""
    if unmasked and not may_export_unmasked(actor):
        raise Forbidden(ErrorCode.EXPORT_UNMASKED_REFUSED, "只有市、区级经办人员可以打印未脱敏的证件号码和电话")
    person, sheet = await _sheet(session, actor, retiree_id, unmasked)
    async with print_slot():
        document = await in_thread(lambda: draw(sheet))
    filename = f"{TITLE}-{person.name}-{person.personal_number}.pdf"
    await trail.record(
        session,
        actor,
        AUDIT_ACTION,
        retiree_id=retiree_id,
        target=person.personal_number,
        detail={"title": TITLE, "format": "pdf", "rows": 1, "filename": filename, "masked": sheet.masked},
    )
    return Response(document, media_type=PDF_MEDIA_TYPE, headers=attachment_headers(filename))
