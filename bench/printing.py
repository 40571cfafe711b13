"""Printing benchmark (issue 15 item 5): a 12,000-row roster (the largest community) rendered as PDF and as XLSX by
channels/printing, the rows streamed from an async generator as they would be from the database. For each format:
the time, the size of the file, the Python allocations' peak (tracemalloc, a second run) and the process's peak
resident set (ru_maxrss). Each format runs in its own process so one's peak does not hide in the other's.

    python -m bench.printing [--rows 12000]

Prints a table and writes bench/results/printing-<date>-<rows>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from channels.printing import PrintColumn, PrintedDocument, PrintFormat
from channels.printing.document import Cell
from channels.printing.response import render

RESULTS = Path(__file__).resolve().parent / "results"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "国建华明秀英桂兰志强玉珍淑芬德福文"
UNITS = ("石家庄钢铁有限责任公司", "华北制药集团有限责任公司", "长安区第三建筑工程公司", "河北省纺织品进出口公司")
ROSTER = PrintedDocument(
    title="退休人员档案移交花名册",
    institution="长安区建北街道胜利社区",
    data_as_of=date(2026, 11, 27),
    columns=(
        PrintColumn("序号", 12, "center"),
        PrintColumn("个人编号", 26),
        PrintColumn("姓名", 18),
        PrintColumn("性别", 10, "center"),
        PrintColumn("身份证号", 38),
        PrintColumn("出生日期", 22, "center"),
        PrintColumn("退休日期", 22, "center"),
        PrintColumn("单位名称", 60),
        PrintColumn("档案份数", 16, "right"),
        PrintColumn("备注", 40),
    ),
    landscape=True,
    subtitle="移交批次 YJ2026-0001 · 缴费凭证 PZ2026-000778",
    footer_lines=("移交单位经办人：　　　　　　接收单位经办人：　　　　　　日期：",),
)


async def roster_rows(count: int) -> AsyncIterator[tuple[Cell, ...]]:
    for number in range(1, count + 1):
        born = date(1936 + number % 30, 1 + number % 12, 1 + number % 28)
        yield (
            number,
            f"13010{number:07d}",
            SURNAMES[number % len(SURNAMES)] + GIVEN[number % len(GIVEN)] + GIVEN[(number * 7) % len(GIVEN)],
            "男" if number % 2 else "女",
            f"130102********{number % 10000:04d}",
            born,
            date(born.year + 60, born.month, born.day),
            UNITS[number % len(UNITS)],
            1 + number % 3,
            "档案含补充材料" if number % 50 == 0 else None,
        )


async def _render(fmt: PrintFormat, rows: int) -> int:
    with tempfile.TemporaryFile() as out:
        await render(
            fmt,
            ROSTER,
            roster_rows(rows),
            total_rows=rows,
            printed_by="bench",
            printed_at=datetime(2026, 11, 27, 10, 0),
            out=out,
        )
        return out.tell()


def measure_one(fmt: PrintFormat, rows: int) -> dict[str, Any]:
    """In this process: one timed run, then one under tracemalloc."""
    started = time.perf_counter()
    size = asyncio.run(_render(fmt, rows))
    seconds = time.perf_counter() - started
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    asyncio.run(_render(fmt, rows))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "format": fmt.value,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "bytes": size,
        "tracemalloc_peak_mb": round(peak / 1024 / 1024, 1),
        "max_rss_mb": round(max_rss_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=12_000)
    parser.add_argument("--one", choices=[f.value for f in PrintFormat], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(PrintFormat(args.one), args.rows)))
        return
    results = []
    for fmt in PrintFormat:
        child = [sys.executable, "-m", "bench.printing", "--one", fmt.value, "--rows", str(args.rows)]
        output = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    print(f"{'format':<6} {'rows':>7} {'seconds':>8} {'rows/s':>7} {'size':>10} {'tracemalloc':>12} {'ru_maxrss':>10}")
    for r in results:
        print(
            f"{r['format']:<6} {r['rows']:>7} {r['seconds']:>8} {r['rows_per_second']:>7} {r['bytes']:>10} "
            f"{r['tracemalloc_peak_mb']:>9} MB {r['max_rss_mb']:>7} MB"
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"printing-{date.today().isoformat()}-{args.rows}.json"
    machine = {"python": platform.python_version(), "machine": platform.machine(), "processor": platform.processor()}
    path.write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
    print(f"written {path.relative_to(RESULTS.parent.parent)}")


if __name__ == "__main__":
    main()
