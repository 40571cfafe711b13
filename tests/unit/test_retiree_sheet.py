"""7.10 退休人员基本信息表 (issue 19): the fullest sheet — every field filled with long values, the most certifications
and status changes it shows — fits one A4 portrait page with the signature line above the page number."""

from __future__ import annotations

import io
from datetime import datetime

from pdfminer.high_level import extract_text
from reportlab.pdfgen.canvas import Canvas

from channels.printing import register_font
from channels.staff import retiree_sheet as sheet_module
from channels.staff.retiree_sheet import RECENT_CERTIFICATIONS, RECENT_CHANGES, Section, Sheet
from domain.shared import calendar

LONG = "石家庄市长安区建设北大街街道办事处青园社区居民委员会第一网格" * 2


def _fullest() -> Sheet:
    pairs = tuple((f"项目{n}", LONG) for n in range(6))
    return Sheet(
        institution=LONG,
        sections=(
            Section("一、基本身份", pairs),
            Section("二、退休情况", pairs),
            Section("三、居住和联系方式", pairs),
            Section("四、登记和管理", pairs[:4]),
            Section("五、人员状态和待遇发放", pairs[:4]),
            Section(
                "六", header=("a", "b", "c", "d"), rows=((LONG,) * 4,) * RECENT_CERTIFICATIONS, widths=(1, 1, 1, 1)
            ),
            Section("七", header=("a", "b", "c", "d", "e"), rows=((LONG,) * 5,) * RECENT_CHANGES, widths=(1,) * 5),
        ),
        printed_by="测试人员",
        printed_at=datetime(2026, 11, 28, 9, 30, tzinfo=calendar.BUSINESS_TZ),
        masked=True,
    )


def test_7_10_the_fullest_sheet_fits_one_page_above_the_foot() -> None:
    canvas = Canvas(io.BytesIO())
    assert sheet_module.draw_on(canvas, register_font(), _fullest()) >= sheet_module.FOOTER
    text = extract_text(io.BytesIO(sheet_module.draw(_fullest())))
    assert "退休人员基本信息表" in text and "第 1 页 共 1 页" in text and "单位（盖章）" in text
    assert "证件号码、电话已脱敏" in text and "\f" not in text.rstrip("\f")  # one page
