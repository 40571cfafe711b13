"""Issue 17: the row checks of the legacy migration (pure) and the mapping file's validation."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from connectors.legacy.export import ExportError, read_table
from connectors.legacy.generator import Dirt, generate
from connectors.legacy.mapping import MappingError, load_mapping, parse_mapping
from domain.legacy.schema import TableCode
from domain.legacy.validate import archive_row, parse_date, person_row
from domain.retirees.idnumber import make_id_number

TODAY = date(2026, 11, 27)
MAPPING = load_mapping()


@pytest.mark.parametrize(
    "text", ["2008-03-05", "2008/3/5", "2008.03.05", "20080305", "2008年3月5日", "2008-03-05 00:00:00"]
)
def test_17_dates_spelt_as_text_in_the_old_systems_ways_are_read(text: str) -> None:
    assert parse_date(text) == date(2008, 3, 5)


@pytest.mark.parametrize("text", ["不详", "2008-02-30", "0000-00-00", "05/03/2008"])
def test_17_impossible_dates_are_not_guessed(text: str) -> None:
    assert parse_date(text) is None


def _person(id_number: str, sex: str = "1", birth: str = "1950-01-02") -> tuple[object, ...]:
    fields = {
        "personal_number": "P1",
        "id_number": id_number,
        "name": "张 三",
        "sex": sex,
        "birth_date": birth,
        "employer_code": "E1",
    }
    return person_row(MAPPING, 7, fields, TODAY)


def test_17_a_15_digit_id_number_is_upgraded_and_kept() -> None:
    full = make_id_number("130102", date(1950, 1, 2), 12, "1")
    row = _person(full[:6] + full[8:17])
    assert row[1] == full and row[2] is True and row[-3] is None


def test_17_a_wrong_check_character_is_refused_naming_file_row_and_column() -> None:
    full = make_id_number("130102", date(1950, 1, 2), 12, "1")
    wrong = full[:17] + ("0" if full[17] != "0" else "1")
    code, column, message = _person(wrong)[-3:]
    assert code == "BAD_ID_NUMBER" and column == "aac002"
    assert str(message).startswith("AC01.csv 第7行 aac002（身份证号码）：") and "校验位错误" in str(message)


def test_17_a_code_no_longer_in_the_dictionary_is_refused_with_the_known_ones() -> None:
    full = make_id_number("130102", date(1950, 1, 2), 12, "1")
    code, column, message = _person(full, sex="3")[-3:]
    assert code == "UNKNOWN_CODE" and column == "aac004" and "“3”不在字典中" in str(message)
    fields = {
        "personal_number": "P1",
        "retirement_date": "2010-01-01",
        "retirement_category": "1",
        "community_code": "C1",
        "registered_on": "不详",
        "status": "1",
        "payment_status": "1",
        "monthly_pension": "2000",
    }
    code, column, message = archive_row(MAPPING, 9, fields, TODAY)[-3:]
    assert code == "BAD_DATE" and column == "aae036" and "“不详”不是有效日期" in str(message)


def test_17_the_mapping_is_validated_with_a_clear_message(tmp_path: Path) -> None:
    text = Path("legacy/mapping.yaml").read_text(encoding="utf-8")
    with pytest.raises(MappingError, match=re.escape("tables.AC01.columns 缺少字段：id_number")):
        parse_mapping(text.replace("      id_number: aac002", "").encode())
    with pytest.raises(MappingError, match=re.escape("codes.status 的取值 retired 无效")):
        parse_mapping(text.replace('"1": registered', '"1": retired').encode())
    with pytest.raises(MappingError, match="不是有效的 UTF-8 YAML"):
        parse_mapping(b"tables: [unclosed")


def test_17_the_generator_is_deterministic_gbk_and_dirty(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 400, seed=3, rates={Dirt.WRONG_CHECK: 0.05, Dirt.DUPLICATE: 0.05})
    second = generate(tmp_path / "b", 400, seed=3, rates={Dirt.WRONG_CHECK: 0.05, Dirt.DUPLICATE: 0.05})
    for table in first.rows:
        assert (tmp_path / "a" / f"{table}.csv").read_bytes() == (tmp_path / "b" / f"{table}.csv").read_bytes()
    assert first.dirt == second.dirt and first.dirt[Dirt.DUPLICATE] > 0 and first.dirt[Dirt.OLD_ID_NUMBER] > 0
    (tmp_path / "a" / "AC01.csv").read_bytes().decode("gbk")  # GBK, as the old system writes
    rows = list(read_table(tmp_path / "a", MAPPING, TableCode.AC01))
    assert len(rows) == first.rows["AC01"] and rows[0][0] == 2
    (tmp_path / "a" / "AEF1.csv").unlink()
    with pytest.raises(ExportError, match=re.escape("缺少 AEF1 表的文件 AEF1.csv")):
        list(read_table(tmp_path / "a", MAPPING, TableCode.AEF1))
