"""Ministry reader benchmark (issue 16): rows per second of connectors/ministry_import.read_rows over a 2.7
cross-region certification file of N rows, as a GB18030 CSV and as an XLSX (XlsxWriter, constant_memory), plus the
size of each file. The files are built in a temporary directory first; only the reading is timed.

    python -m bench.ministry_reader [--rows 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import xlsxwriter

from connectors.ministry_import.columns import CROSS_REGION_CERTIFICATIONS
from connectors.ministry_import.reader import read_rows

HEADER = ["姓名", "身份证号", "个人编号", "认证日期", "认证方式", "认证地点"]


def row(n: int) -> list[str]:
    return [f"人员{n}", "130102195001011234", str(1_300_000_000 + n), "2026-11-27", "人脸识别", "北京市朝阳区社保中心"]


def build_csv(path: Path, rows: int) -> None:
    with open(path, "w", encoding="gb18030", newline="") as handle:
        handle.write(",".join(HEADER) + "\n")
        for n in range(rows):
            handle.write(",".join(row(n)) + "\n")


def build_xlsx(path: Path, rows: int) -> None:
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for n in range(rows):
        sheet.write_row(n + 1, 0, row(n))
    workbook.close()


def measure(path: Path, rows: int) -> tuple[float, int]:
    started = time.perf_counter()
    good = sum(1 for read in read_rows(path, CROSS_REGION_CERTIFICATIONS) if read.ok)
    elapsed = time.perf_counter() - started
    assert good == rows, f"{good} good rows of {rows}"
    return elapsed, path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for name, build in (("csv", build_csv), ("xlsx", build_xlsx)):
            path = Path(directory) / f"certs.{name}"
            build(path, args.rows)
            elapsed, size = measure(path, args.rows)
            print(
                f"{name:5} {args.rows:>8} rows  {elapsed:6.2f} s  {args.rows / elapsed:>9,.0f} rows/s  "
                f"{size / 1e6:6.1f} MB"
            )


if __name__ == "__main__":
    main()
