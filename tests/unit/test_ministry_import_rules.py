"""2.7: one row of a ministry file validated by the domain (pure): the ID number with its check character and the
15 → 18 upgrade, no certification date after today, the method mapped to the event's codes (unknown named with its
column), the record key that makes two rows the same certification, and the event a valid row becomes."""

from __future__ import annotations

from datetime import date

from domain.ministry_imports.models import ImportKind, RowOutcome
from domain.ministry_imports.rules import (
    CertificationMethod,
    Column,
    RawRow,
    certification_event,
    certification_id,
    method_of,
    validate,
)
from domain.retirees.idnumber import make_id_number

TODAY = date(2026, 11, 27)
KIND = ImportKind.CROSS_REGION_CERTIFICATIONS
COLUMNS = {
    "name": Column("姓名", "A"),
    "id_number": Column("身份证号", "B"),
    "certification_date": Column("认证日期", "D"),
    "certification_method": Column("认证方式", "E"),
}
ID_18 = make_id_number("130102", date(1955, 3, 4), 12, "1")


def _row(**fields: str) -> RawRow:
    values = {
        "name": "张三",
        "id_number": ID_18,
        "certification_date": "2026-11-20",
        "certification_method": "异地认证",
    }
    values.update(fields)
    day = values.get("certification_date")
    return RawRow(7, values, {"certification_date": date.fromisoformat(day)} if day else {})


def test_2_7_a_good_row_is_valid_with_its_method_code_and_record_key() -> None:
    staged = validate(KIND, _row(), COLUMNS, today=TODAY)
    assert staged.outcome is RowOutcome.VALID and staged.problems == []
    assert staged.id_number_18 == ID_18
    assert staged.fields["method_code"] == "cross_region"
    assert staged.record_key == f"cross_region_certifications:{ID_18}:2026-11-20"


def test_2_7_a_15_character_number_is_upgraded_and_keyed_as_its_18_character_form() -> None:
    legacy = ID_18[:6] + ID_18[8:17]
    staged = validate(KIND, _row(id_number=legacy), COLUMNS, today=TODAY)
    assert (staged.outcome, staged.id_number, staged.id_number_18) == (RowOutcome.VALID, legacy, ID_18)


def test_2_7_each_problem_names_the_row_the_column_and_what_is_wrong() -> None:
    wrong = ID_18[:17] + ("0" if ID_18[17] != "0" else "1")
    staged = validate(
        KIND, _row(id_number=wrong, certification_date="2026-12-01", certification_method="飞鸽"), COLUMNS, today=TODAY
    )
    assert staged.outcome is RowOutcome.EXCEPTION and staged.record_key is None
    messages = {p["field"]: p["message"] for p in staged.problems}
    assert messages["id_number"].startswith("第7行“身份证号”列（B列）：") and "校验位" in messages["id_number"]
    assert (
        messages["certification_date"].startswith("第7行“认证日期”列（D列）：")
        and "晚于今天" in messages["certification_date"]
    )
    assert "“飞鸽”无法识别" in messages["certification_method"]
    assert {p["column"] for p in staged.problems} == {"身份证号", "认证日期", "认证方式"}


def test_2_7_the_readers_problems_are_kept_and_make_the_row_an_exception() -> None:
    raw = RawRow(
        3,
        {"name": "张三"},
        problems=[{"column": "认证日期", "field": "certification_date", "code": "BAD_DATE", "message": "第3行…"}],
    )
    staged = validate(KIND, raw, COLUMNS, today=TODAY)
    assert staged.outcome is RowOutcome.EXCEPTION and staged.problems[0]["code"] == "BAD_DATE"


def test_2_7_methods_are_read_as_written_by_the_ministrys_tools() -> None:
    assert method_of(" 人脸 识别 ") is CertificationMethod.FACE
    assert method_of("ＶＩＤＥＯ") is CertificationMethod.VIDEO
    assert method_of("上门认证") is CertificationMethod.HOME_VISIT
    assert method_of("电话") is None


def test_2_7_a_record_sent_again_is_the_same_certification() -> None:
    key = f"cross_region_certifications:{ID_18}:2026-11-20"
    assert certification_id(key) == certification_id(key) and len(certification_id(key)) <= 64
    event = certification_event("P1", key, {"method_code": "video", "certification_place": "460200"}, "2026-11-20")
    assert event == {
        "personal_number": "P1",
        "certification_id": certification_id(key),
        "source": "ministry_import",
        "method": "video",
        "certified_on": "2026-11-20",
        "result": "passed",
        "location_code": "460200",
    }
    assert (
        certification_event("P1", key, {"certification_place": "三亚市社保中心"}, "2026-11-20")["certified_by"]
        == "三亚市社保中心"
    )
