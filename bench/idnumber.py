"""ID number parsing benchmark (issue 16, area codes): numbers per second of ``IdNumber.parse`` over N valid
18-character numbers from the city's districts, the first call's one-off reading of the GB/T 2260 table, and
``make_id_number``'s rate (the seed generator builds a million numbers).

    python -m bench.idnumber [--numbers 200000]
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from domain.retirees import idnumber

DISTRICTS = ("130102", "130104", "130105", "130107", "130108", "130109", "130110", "130111", "130181", "130183")
TODAY = date(2026, 11, 27)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=200_000)
    count = parser.parse_args().numbers

    started = time.perf_counter()
    codes = idnumber.area_codes()
    print(f"GB/T 2260 table: {len(codes)} codes read in {(time.perf_counter() - started) * 1000:.1f} ms (once)")

    first = date(1940, 1, 1)
    started = time.perf_counter()
    numbers = [
        idnumber.make_id_number(DISTRICTS[n % len(DISTRICTS)], first + timedelta(days=n // 5000), n % 500, "12"[n % 2])
        for n in range(count)
    ]
    made = time.perf_counter() - started
    print(f"make_id_number: {count} numbers in {made:.2f} s ({count / made:,.0f}/s)")

    started = time.perf_counter()
    for number in numbers:
        idnumber.IdNumber.parse(number, today=TODAY)
    parsed = time.perf_counter() - started
    rate = f"{count / parsed:,.0f}/s, {parsed / count * 1e6:.2f} µs each"
    print(f"IdNumber.parse: {count} numbers in {parsed:.2f} s ({rate})")


if __name__ == "__main__":
    main()
