"""Issue 17: the migration of the 2007 system at scale — ``make bench-legacy`` (BENCH_ARGS="--people 100000").

Creates a fresh database (``retiree_hub_legacy``), migrates it and gives it the city and its districts, generates a
synthetic export (``hub legacy generate``), then times ``hub legacy import --dry-run`` and ``hub legacy import`` as
operators run them, each in its own process: wall time and the process's peak RSS (``wait4``), plus what the
registry holds after the import (with the old certification history, the staging rows left — none: purged — and
the refusals kept), and the import's time per 1,000 people and per 1,000 rows written. Drops the database at the
end and writes the figures to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from bench.support import RESULTS, ROOT
from connectors.legacy.generator import SHIJIAZHUANG_DISTRICTS

ADMIN_URL = "postgresql://hub:hub@127.0.0.1:54329/postgres"
DATABASE = "retiree_hub_legacy"
URL = f"postgresql://hub:hub@127.0.0.1:54329/{DATABASE}"


def _phase(name: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None
    tail = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{name} failed ({process.returncode}):\n{tail[-3000:]}")
    figure = {"phase": name, "seconds": round(seconds, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}
    print(f"{name:<10} {seconds:8.1f} s   peak RSS {figure['peak_rss_mib']:7.1f} MiB", flush=True)
    return figure


def _fresh_database(env: dict[str, str]) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run([sys.executable, "-m", "app.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(URL) as db:
        db.execute(
            "INSERT INTO institution (code, name, level, parent_id, path) "
            "VALUES ('1301', '石家庄市人力资源和社会保障局', 'city', NULL, '')"
        )
        db.execute("UPDATE institution SET path = '/' || id || '/' WHERE code = '1301'")
        for code in SHIJIAZHUANG_DISTRICTS:
            db.execute(
                "INSERT INTO institution (code, name, level, parent_id, path) "
                "SELECT %s, %s, 'district', id, '' FROM institution WHERE code = '1301'",
                (code, f"{code}社会保险事业管理中心"),
            )
        db.execute(
            "UPDATE institution d SET path = c.path || d.id || '/' FROM institution c "
            "WHERE d.level = 'district' AND c.code = '1301'"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2007)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep the database and the export afterwards")
    options = parser.parse_args()
    env = {**os.environ, "HUB_DATABASE_URL": f"postgresql+psycopg://hub:hub@127.0.0.1:54329/{DATABASE}"}
    export = Path(tempfile.mkdtemp(prefix="legacy-export-"))
    figures: list[dict[str, Any]] = []
    try:
        _fresh_database(env)
        figures.append(
            _phase(
                "generate",
                [
                    "legacy",
                    "generate",
                    "--out",
                    str(export),
                    "--people",
                    str(options.people),
                    "--seed",
                    str(options.seed),
                ],
                env,
            )
        )
        size = sum(p.stat().st_size for p in export.iterdir())
        print(f"export: {size / 2**20:.0f} MiB in {len(list(export.iterdir()))} files", flush=True)
        chunk = ["--chunk", str(options.chunk)]
        figures.append(_phase("dry run", ["legacy", "import", str(export), "--dry-run", *chunk], env))
        figures.append(_phase("import", ["legacy", "import", str(export), *chunk], env))
        with psycopg.connect(URL) as db:
            held = {
                "retirees": db.execute("SELECT count(*) FROM retiree").fetchone(),
                "status_changes": db.execute("SELECT count(*) FROM status_change").fetchone(),
                "state_periods": db.execute("SELECT count(*) FROM retiree_state_period").fetchone(),
                "institutions": db.execute("SELECT count(*) FROM institution").fetchone(),
                "outbox": db.execute("SELECT count(*) FROM hub_outbox").fetchone(),
                "certifications": db.execute("SELECT count(*) FROM certification WHERE source = 'legacy'").fetchone(),
                "certification_reports": db.execute(
                    "SELECT count(*) FROM certification_report WHERE source = 'legacy'"
                ).fetchone(),
                "refusals_kept": db.execute("SELECT count(*) FROM legacy_run_refusal").fetchone(),
                "staging_rows_left": db.execute(
                    "SELECT (SELECT count(*) FROM legacy_stage_person) + (SELECT count(*) FROM legacy_stage_archive)"
                    " + (SELECT count(*) FROM legacy_stage_unit) + (SELECT count(*) FROM legacy_stage_event)"
                ).fetchone(),
            }
        registry = {k: int(v[0]) if v else 0 for k, v in held.items()}
        print("registry after the import: " + ", ".join(f"{k} {v:,}" for k, v in registry.items()), flush=True)
        # Per row: the import's time over the people and over the rows it wrote (retirees, status history,
        # certifications and their reports), to compare runs with and without a part of the history.
        imported = next(f["seconds"] for f in figures if f["phase"] == "import")
        written = sum(registry[k] for k in ("retirees", "status_changes", "certifications", "certification_reports"))
        per_row = {
            "import_ms_per_1000_people": round(imported * 1e6 / max(registry["retirees"], 1), 1),
            "import_ms_per_1000_rows_written": round(imported * 1e6 / max(written, 1), 1),
            "rows_written": written,
        }
        print(
            f"import: {per_row['import_ms_per_1000_people']:.0f} ms per 1,000 people, "
            f"{per_row['import_ms_per_1000_rows_written']:.0f} ms per 1,000 rows written ({written:,} rows)",
            flush=True,
        )
        total = sum(f["seconds"] for f in figures if f["phase"] != "generate")
        print(f"dry run + import: {total:.0f} s for {options.people:,} people", flush=True)
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"legacy-{date.today().isoformat()}-{options.people}.json"
        out.write_text(
            json.dumps(
                {
                    "people": options.people,
                    "export_mib": round(size / 2**20),
                    "phases": figures,
                    "registry": registry,
                    "per_row": per_row,
                },
                indent=2,
            )
        )
        print(f"written {out}")
    finally:
        if not options.keep:
            shutil.rmtree(export, ignore_errors=True)
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    main()
