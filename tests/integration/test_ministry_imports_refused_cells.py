"""2.7 exceptions file: a cell the reader refused (an Excel error value, a date that is no date, an ID number Excel
stored as a number, a cell far over its limit) is written back into the downloadable exceptions file with its original
content as text, a huge one cut short with the reason saying so, so staff correct it in place and upload again."""

from __future__ import annotations

import io
import uuid

import pytest
from python_calamine import CalamineWorkbook
from xlsxwriter import Workbook

from app.imports import run_pending_imports
from connectors.ministry_import.reader import KEPT_VALUE_LENGTH
from domain.shared import calendar
from hub.bootstrap import Hub
from tests.integration.test_ministry_imports import IMPORTS, _detail, _token, _upload, _world
from tests.support.api import Api

pytestmark = pytest.mark.integration

HEADER = ("姓名", "身份证号", "个人编号", "认证日期", "认证方式", "认证地点")
XLSX = "跨地区认证.xlsx"


def _workbook(rows: list[tuple[str | float, ...]]) -> bytes:
    """An XLSX written cell by cell: numbers as numbers, text as text (an error literal stays text)."""
    out = io.BytesIO()
    book = Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    for r, row in enumerate([HEADER, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return out.getvalue()


async def test_2_7_refused_cells_keep_their_original_value_in_the_exceptions_file(registry_hub: Hub, api: Api) -> None:
    world = await _world(registry_hub, 4)
    a, b, c, d = world.people
    lost = float(c.id_number[:17] + "0")
    today = calendar.today().isoformat()
    place = f"海南省三亚市{uuid.uuid4().hex[:8]}"  # a file of its own on the shared test database
    huge = "王" * (KEPT_VALUE_LENGTH * 3)
    content = _workbook(
        [
            (a.name, a.id_number, a.personal_number, today, "异地认证", place),  # row 2: good
            (b.name, b.id_number, b.personal_number, "2026-13-45", "异地认证", place),  # row 3: no date
            (c.name, lost, "", today, "异地认证", place),  # row 4: number lost digits
            (huge, d.id_number, d.personal_number, today, "异地认证", place),  # row 5: far over the name's limit
            (a.name, a.id_number, a.personal_number, today, "#N/A", place),  # row 6: an Excel error value
        ]
    )
    operator = world.district_operator
    uploaded = await _upload(api, operator, content, name=XLSX)
    assert uploaded.status_code == 202, uploaded.text
    import_id = uploaded.json()["id"]
    await run_pending_imports(registry_hub)
    staged = await _detail(api, operator, import_id)
    assert (staged["state"], staged["total_rows"], staged["exception_rows"]) == ("staged", 5, 4)

    download = await api.call("GET", f"{IMPORTS}/{import_id}/exceptions.xlsx", await _token(api, operator))
    assert download.status_code == 200, download.text
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(download.content)).get_sheet_by_index(0).to_python()
    assert sheet[0] == [*HEADER, "原行号", "错误原因"]
    lines = {int(float(str(line[6]))): [str(cell) for cell in line] for line in sheet[1:]}
    assert sorted(lines) == [3, 4, 5, 6]

    assert lines[3][3] == "2026-13-45" and "不是有效日期" in lines[3][7]
    assert lines[3][0] == b.name  # the accepted cells of the row as before
    assert lines[4][1] == f"{lost:.12g}"  # as Excel shows it: the digits it lost are not made up
    assert "被Excel存成了数字" in lines[4][7]
    assert lines[5][0] == "王" * KEPT_VALUE_LENGTH
    assert "超过上限50" in lines[5][7] and f"只保留了原内容的前{KEPT_VALUE_LENGTH}个字符" in lines[5][7]
    assert lines[5][1] == d.id_number
    assert lines[6][4] == "#N/A" and "Excel错误值#N/A" in lines[6][7]
