"""The ministry file reader (issue 16, function points 2.7 cross-region certifications and 2.8 suspicious lists):
CSV in every encoding the ministry's tools export, Excel through python-calamine, header matching, row problems that
never stop a file, and file-level refusals. Every file is built on the fly in tmp_path."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from connectors.ministry_import.columns import (
    CROSS_REGION_CERTIFICATIONS,
    SUSPICIOUS_LIST,
    Field,
    normalise_header,
)
from connectors.ministry_import.reader import (
    ImportErrorCode,
    ImportFileError,
    ProblemCode,
    SourceRow,
    WarningCode,
    column_letter,
    file_digest,
    read_rows,
)

pytestmark = pytest.mark.unit

ID_1 = "130102195001011234"
ID_2 = "13010219520315452X"
CERT_HEADER = "姓名,身份证号,个人编号,认证日期,认证方式,认证地点\n"
CERT_ROW_1 = f"张三,{ID_1},1300012345,2026-11-27,人脸识别,北京市朝阳区社保中心\n"
CERT_ROW_2 = f"李四,{ID_2},,2026/11/26,现场认证,天津市河西区\n"


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        handle.write(text)
    return path


def codes(row: SourceRow) -> list[ProblemCode]:
    return [problem.code for problem in row.problems]


# --- encodings --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_2_7_csv_is_read_in_utf8_with_or_without_bom_gbk_and_gb18030(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "certs.csv", CERT_HEADER + CERT_ROW_1 + CERT_ROW_2, encoding)

    reader = read_rows(path, CROSS_REGION_CERTIFICATIONS)
    rows = list(reader)

    assert reader.headers[0] == "姓名"  # no BOM left on the first header
    assert [row.row for row in rows] == [2, 3]
    assert all(row.ok for row in rows)
    assert rows[0].fields == {
        Field.NAME: "张三",
        Field.ID_NUMBER: ID_1,
        Field.PERSONAL_NUMBER: "1300012345",
        Field.CERTIFICATION_DATE: "2026-11-27",
        Field.CERTIFICATION_METHOD: "人脸识别",
        Field.CERTIFICATION_PLACE: "北京市朝阳区社保中心",
    }
    assert rows[0].dates == {Field.CERTIFICATION_DATE: date(2026, 11, 27)}
    assert Field.PERSONAL_NUMBER not in rows[1].fields  # optional and empty: simply absent
    assert reader.warnings == []


def test_2_7_gb18030_characters_outside_gbk_are_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "certs.csv", "姓名,身份证号\n𠀀明,130102195001011234\n", "gb18030")

    (row,) = read_rows(path, SUSPICIOUS_LIST)

    assert row.fields[Field.NAME] == "𠀀明"


def test_2_8_a_csv_in_neither_utf8_nor_gbk_is_refused_with_the_byte_offset_and_row(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    good = "姓名,身份证号\n张三,130102195001011234\n".encode("gbk")
    path.write_bytes(good + b"\xff\xfe\xff," + ID_2.encode() + b"\n")

    with pytest.raises(ImportFileError) as refused:
        list(read_rows(path, SUSPICIOUS_LIST))

    assert refused.value.code is ImportErrorCode.UNDECODABLE_CSV
    assert f"第{len(good)}字节" in refused.value.message_zh
    assert "第3行" in refused.value.message_zh
    assert "GBK" in refused.value.message_zh


def test_2_8_broken_bytes_after_the_first_chunk_of_a_utf8_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = "姓名,身份证号\n" + f"张三,{ID_1}\n" * 5000
    path.write_bytes(body.encode() + b"\xc0\xc0,x\n")

    with pytest.raises(ImportFileError) as refused:
        list(read_rows(path, SUSPICIOUS_LIST))

    assert refused.value.code is ImportErrorCode.UNDECODABLE_CSV
    assert f"第{len(body.encode())}字节" in refused.value.message_zh
    assert "第5002行" in refused.value.message_zh


# --- headers ----------------------------------------------------------------------------------------------------


def test_2_7_a_missing_required_column_is_named_with_the_headers_found(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "certs.csv", "姓名,个人编号,认证日期,认证方式,认证地点\n张三,1,2026-11-27,人脸,北京\n")

    with pytest.raises(ImportFileError) as refused:
        read_rows(path, CROSS_REGION_CERTIFICATIONS)

    assert refused.value.code is ImportErrorCode.MISSING_COLUMN
    message = refused.value.message_zh
    assert "身份证号" in message and "aac002" in message  # the missing field and the headers it is accepted under
    assert "“姓名”、“个人编号”、“认证日期”、“认证方式”、“认证地点”" in message  # what the file has


def test_2_8_unknown_columns_are_kept_aside_with_a_warning(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", f"姓名,身份证号,疑点类型,备注\n张三,{ID_1},疑似死亡,已核实\n")

    reader = read_rows(path, SUSPICIOUS_LIST)
    (row,) = reader

    assert row.ok and row.extras == {"疑点类型": "疑似死亡", "备注": "已核实"}
    (warning,) = reader.warnings
    assert warning.code is WarningCode.UNKNOWN_COLUMNS
    assert "疑点类型" in warning.message_zh and "备注" in warning.message_zh


@pytest.mark.parametrize(
    "header",
    [
        "姓名,身份证号",
        "aac003,aac002",
        "name,id_number",
        " 姓 名 ：,公民身份号码:",
        "NAME,ID_Number",
        "ＡＡＣ００３,ＡＡＣ００２",
        "姓名\u3000,身份证号码",
    ],
)
def test_2_8_headers_are_matched_in_chinese_english_and_ld_t_codes(tmp_path: Path, header: str) -> None:
    path = write_csv(tmp_path / "list.csv", f"{header}\n张三,{ID_1}\n")

    (row,) = read_rows(path, SUSPICIOUS_LIST)

    assert row.fields == {Field.NAME: "张三", Field.ID_NUMBER: ID_1}


@given(
    accepted=st.sampled_from([name for spec in CROSS_REGION_CERTIFICATIONS.fields for name in spec.headers]),
    before=st.sampled_from(["", " ", "\u3000", "\t"]),
    after=st.sampled_from(["", ":", "：", " ：", "\u3000:"]),
    upper=st.booleans(),
)
def test_2_7_header_matching_ignores_spaces_case_and_a_trailing_colon(
    accepted: str, before: str, after: str, upper: bool
) -> None:
    written = before + (accepted.upper() if upper else accepted) + after
    assert normalise_header(written) == normalise_header(accepted)
    assert normalise_header(written) in CROSS_REGION_CERTIFICATIONS.header_index()


# --- rows -------------------------------------------------------------------------------------------------------


def test_2_7_a_broken_row_is_reported_with_row_column_and_reason_and_good_rows_are_kept(tmp_path: Path) -> None:
    text = (
        CERT_HEADER
        + CERT_ROW_1
        + f"王五,{ID_1},,2026-13-45,人脸识别,上海\n"  # row 3: no such date
        + "\n"  # row 4: blank, skipped but counted
        + "赵六,13010219\n"  # row 5: fewer cells than the header
        + CERT_ROW_2  # row 6
    )
    path = write_csv(tmp_path / "certs.csv", text, "gbk")

    rows = list(read_rows(path, CROSS_REGION_CERTIFICATIONS))

    assert [row.row for row in rows] == [2, 3, 5, 6]
    assert rows[0].ok and rows[3].ok
    (bad_date,) = rows[1].problems
    assert (bad_date.row, bad_date.column, bad_date.field, bad_date.code) == (
        3,
        "认证日期",
        Field.CERTIFICATION_DATE,
        ProblemCode.BAD_DATE,
    )
    assert "第3行“认证日期”列（D列）" in bad_date.message_zh and "2026-13-45" in bad_date.message_zh
    assert rows[1].fields[Field.NAME] == "王五"  # the rest of the row is still read
    assert ProblemCode.SHORT_ROW in codes(rows[2])
    short = next(p for p in rows[2].problems if p.code is ProblemCode.SHORT_ROW)
    assert "认证日期" in short.message_zh and "认证地点" in short.message_zh


def test_2_8_an_empty_required_cell_is_a_row_problem(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", f"姓名,身份证号\n,{ID_1}\n")

    (row,) = read_rows(path, SUSPICIOUS_LIST)

    assert codes(row) == [ProblemCode.EMPTY_REQUIRED]
    assert row.problems[0].column == "姓名" and row.problems[0].field is Field.NAME


def test_2_8_values_beyond_the_last_header_column_are_a_row_problem(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", f"姓名,身份证号\n张三,{ID_1},多余\n")

    (row,) = read_rows(path, SUSPICIOUS_LIST)

    assert codes(row) == [ProblemCode.LONG_ROW]
    assert "C列" in row.problems[0].message_zh


def test_2_8_a_huge_cell_is_a_row_problem_and_the_file_goes_on(tmp_path: Path) -> None:
    text = f"姓名,身份证号\n{'张' * 60},{ID_1}\n李四,{'9' * 300_000}\n王五,{ID_2}\n"
    path = write_csv(tmp_path / "list.csv", text)

    rows = list(read_rows(path, SUSPICIOUS_LIST))

    assert [row.row for row in rows] == [2, 3, 4]
    too_long = rows[0].problems[0]
    assert (too_long.code, too_long.column, too_long.field) == (ProblemCode.CELL_TOO_LONG, "姓名", Field.NAME)
    assert "60个字符" in too_long.message_zh and "上限50" in too_long.message_zh
    assert Field.NAME not in rows[0].fields  # never truncated silently
    assert codes(rows[1]) == [ProblemCode.CELL_TOO_LONG] and rows[1].fields == {}
    assert rows[2].ok and rows[2].fields[Field.ID_NUMBER] == ID_2


def test_2_8_an_excel_error_value_kept_as_text_is_a_row_problem(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", f"姓名,身份证号\n#N/A,{ID_1}\n")

    (row,) = read_rows(path, SUSPICIOUS_LIST)

    assert codes(row) == [ProblemCode.FORMULA_ERROR]
    assert "#N/A" in row.problems[0].message_zh


def test_2_8_identifiers_are_folded_to_half_width_and_scientific_text_is_refused(tmp_path: Path) -> None:
    text = "姓名,身份证号\n张三,１３０１０２１９５２０３１５４５２ｘ\n李四,1.30102E+17\n"
    path = write_csv(tmp_path / "list.csv", text)

    first, second = read_rows(path, SUSPICIOUS_LIST)

    assert first.fields[Field.ID_NUMBER] == ID_2
    assert codes(second) == [ProblemCode.ID_AS_NUMBER]
    assert "1.30102E+17" in second.problems[0].message_zh


# --- file-level refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf", b" , ,\n"])
def test_2_8_an_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFileError) as refused:
        read_rows(path, SUSPICIOUS_LIST)

    assert refused.value.code is ImportErrorCode.EMPTY_FILE


def test_2_8_a_header_without_rows_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", "姓名,身份证号\n\n")
    reader = read_rows(path, SUSPICIOUS_LIST)

    with pytest.raises(ImportFileError) as refused:
        next(reader)

    assert refused.value.code is ImportErrorCode.NO_DATA_ROWS
    assert "第1行" in refused.value.message_zh


@pytest.mark.parametrize(
    "content",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # a Word .doc (OLE container) renamed .xlsx
        b"%PDF-1.7\n\x00\x01binary",
        b"PK\x03\x04not really a zip",
    ],
)
def test_2_7_a_file_that_is_no_workbook_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "certs.xlsx"
    path.write_bytes(content)

    with pytest.raises(ImportFileError) as refused:
        read_rows(path, CROSS_REGION_CERTIFICATIONS)

    assert refused.value.code is ImportErrorCode.UNSUPPORTED_FORMAT
    assert "certs.xlsx" in refused.value.message_zh


# --- Excel ------------------------------------------------------------------------------------------------------


def test_2_7_xlsx_dates_serials_text_dates_and_cached_formula_values(tmp_path: Path) -> None:
    path = tmp_path / "certs.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("认证结果")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["姓名", "身份证号", "个人编号", "认证日期", "认证方式", "认证地点"])
    dates: list[object] = [
        datetime(2026, 11, 27),
        46353,  # the serial of 2026-11-27, without a date format
        "2026/11/27",
        "20261127",
        "2026年11月27日",
        20261127,
        "２０２６－１１－２７",
        "2026.11.27 09:30:00",
    ]
    for row, when in enumerate(dates, start=1):
        sheet.write_string(row, 0, f"人员{row}")
        sheet.write_string(row, 1, ID_1)
        sheet.write_number(row, 2, 1300012345)
        if isinstance(when, datetime):
            sheet.write_datetime(row, 3, when, date_format)
        elif isinstance(when, int):
            sheet.write_number(row, 3, when)
        else:
            sheet.write_string(row, 3, str(when))
        sheet.write_formula(row, 4, '="人脸"&"识别"', None, "人脸识别")  # saved with its result
        sheet.write_string(row, 5, "北京")
    workbook.close()

    rows = list(read_rows(path, CROSS_REGION_CERTIFICATIONS))

    assert [row.row for row in rows] == list(range(2, 2 + len(dates)))
    for read in rows:
        assert read.ok, read.problems
        assert read.dates[Field.CERTIFICATION_DATE] == date(2026, 11, 27)
        assert read.fields[Field.CERTIFICATION_DATE] == "2026-11-27"
        assert read.fields[Field.CERTIFICATION_METHOD] == "人脸识别"
        assert read.fields[Field.PERSONAL_NUMBER] == "1300012345"  # an exact number kept as its digits


def test_2_8_an_id_number_stored_as_a_number_is_a_row_problem_never_a_guess(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号"])
    sheet.write_string(1, 0, "张三")
    sheet.write_number(1, 1, 130102195001011234)
    sheet.write_string(2, 0, "李四")
    sheet.write_string(2, 1, ID_2)
    workbook.close()

    first, second = read_rows(path, SUSPICIOUS_LIST)

    assert codes(first) == [ProblemCode.ID_AS_NUMBER]
    problem = first.problems[0]
    assert (problem.row, problem.column, problem.field) == (2, "身份证号", Field.ID_NUMBER)
    assert "1.30102195001e+17" in problem.message_zh and "文本" in problem.message_zh
    assert Field.ID_NUMBER not in first.fields
    assert second.ok


def test_2_8_formula_errors_and_formulas_without_a_saved_result_are_row_problems(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号"])
    sheet.append(['=CONCAT("张","三")', ID_1])  # openpyxl saves no result for a formula
    sheet.append(["李四", "#REF!"])  # an error value
    sheet.append(["王五", ID_2])
    workbook.save(path)

    first, second, third = read_rows(path, SUSPICIOUS_LIST)

    assert codes(first) == [ProblemCode.EMPTY_REQUIRED]
    assert "公式没有计算结果" in first.problems[0].message_zh
    # python-calamine 0.9 reads an error cell as empty: it is reported as an empty required cell naming the cause
    assert codes(second) == [ProblemCode.EMPTY_REQUIRED]
    assert second.problems[0].column == "身份证号" and "错误值" in second.problems[0].message_zh
    assert third.ok


def test_2_8_only_the_first_sheet_is_read_and_the_others_are_named(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "疑点名单"
    first.append(["姓名", "身份证号"])
    first.append(["张三", ID_1])
    second = workbook.create_sheet("说明")
    second.append(["本表由部里生成"])
    workbook.save(path)

    reader = read_rows(path, SUSPICIOUS_LIST)
    rows = list(reader)

    assert len(rows) == 1 and rows[0].fields[Field.ID_NUMBER] == ID_1
    (warning,) = reader.warnings
    assert warning.code is WarningCode.EXTRA_SHEETS and "说明" in warning.message_zh


def test_2_7_a_merged_header_cell_maps_what_it_can_and_reports_the_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "certs.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", None, "认证日期", "认证方式", "认证地点"])
    sheet.merge_cells("B1:C1")
    sheet.append(["张三", ID_1, "附注", "2026-11-27", "人脸识别", "北京"])
    workbook.save(path)

    reader = read_rows(path, CROSS_REGION_CERTIFICATIONS)
    (row,) = reader

    assert row.ok and row.fields[Field.ID_NUMBER] == ID_1
    (warning,) = reader.warnings
    assert warning.code is WarningCode.EMPTY_HEADER and "第C列" in warning.message_zh


def test_2_7_a_merged_header_hiding_a_required_column_names_the_empty_cell(tmp_path: Path) -> None:
    path = tmp_path / "certs.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["人员信息", None, "认证日期", "认证方式", "认证地点"])
    sheet.merge_cells("A1:B1")
    sheet.append(["张三", ID_1, "2026-11-27", "人脸识别", "北京"])
    workbook.save(path)

    with pytest.raises(ImportFileError) as refused:
        read_rows(path, CROSS_REGION_CERTIFICATIONS)

    assert refused.value.code is ImportErrorCode.MISSING_COLUMN
    assert "第B列的表头为空（可能是合并单元格）" in refused.value.message_zh


def test_2_8_a_sheet_starting_below_and_right_of_a1_keeps_the_user_visible_positions(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    sheet.write_row(2, 1, ["姓名", "身份证号"])
    sheet.write_row(3, 1, ["", ID_1])
    workbook.close()

    (row,) = read_rows(path, SUSPICIOUS_LIST)

    assert row.row == 4
    assert "（B列）" in row.problems[0].message_zh


def test_2_8_a_binary_file_object_is_read_like_a_path(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号"])
    sheet.append(["张三", ID_1])
    workbook.save(path)
    csv_bytes = f"姓名,身份证号\n张三,{ID_1}\n".encode("gbk")

    for source in (io.BytesIO(path.read_bytes()), io.BytesIO(csv_bytes)):
        (row,) = read_rows(source, SUSPICIOUS_LIST)
        assert row.fields == {Field.NAME: "张三", Field.ID_NUMBER: ID_1}


# --- digest, streaming, helpers ---------------------------------------------------------------------------------


def test_2_7_file_digest_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "certs.csv", CERT_HEADER + CERT_ROW_1 * 3000)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()

    assert file_digest(path) == expected
    with open(path, "rb") as handle:
        assert file_digest(handle) == expected
        assert handle.tell() == 0


def peak_while_reading(path: Path) -> tuple[int, int]:
    """(good rows, peak traced bytes) of reading ``path`` as a 2.7 file."""
    tracemalloc.start()
    try:
        count = sum(1 for row in read_rows(path, CROSS_REGION_CERTIFICATIONS) if row.ok)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def big_csv(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="gb18030", newline="") as handle:
        handle.write(CERT_HEADER)
        for n in range(rows):
            handle.write(f"人员{n},{ID_1},{n},2026-11-27,人脸识别,北京市朝阳区社保中心\n")
    return path


@pytest.mark.slow  # about 18 s: tracemalloc slows the reader down about eight times
def test_2_7_a_100000_row_csv_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    count, peak = peak_while_reading(big_csv(tmp_path / "big.csv", 100_000))

    assert count == 100_000
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_2_7_the_memory_peak_does_not_grow_with_the_rows(tmp_path: Path) -> None:
    _, small = peak_while_reading(big_csv(tmp_path / "small.csv", 2_000))
    count, large = peak_while_reading(big_csv(tmp_path / "large.csv", 16_000))

    assert count == 16_000
    assert large < small * 1.5 + 256 * 1024, f"{small} B for 2,000 rows, {large} B for 16,000"


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_2_7_every_accepted_date_spelling_reads_back_the_same_date(when: date) -> None:
    spellings = [
        when.isoformat(),
        f"{when.year}/{when.month}/{when.day}",
        when.strftime("%Y%m%d"),
        f"{when.year}年{when.month}月{when.day}日",
    ]
    body = "姓名,身份证号,认证日期,认证方式,认证地点\n" + "".join(f"张三,{ID_1},{s},人脸,北京\n" for s in spellings)

    rows = list(read_rows(io.BytesIO(body.encode()), CROSS_REGION_CERTIFICATIONS))

    assert [row.dates[Field.CERTIFICATION_DATE] for row in rows] == [when] * len(spellings)


@given(st.integers(min_value=0, max_value=20_000))
def test_2_7_column_letters_count_like_a_spreadsheet(index: int) -> None:
    letters = column_letter(index)
    value = 0
    for letter in letters:
        value = value * 26 + ord(letter) - ord("A") + 1
    assert value - 1 == index
