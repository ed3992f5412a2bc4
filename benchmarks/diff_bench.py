"""The `diff` step of `make bench`: the diff of two versions of the generated data set, as
computed at import, against DuckDB's own CSV-to-Parquet copy of the same file (issue 15,
goal: at most 1x).

The second version is an amendment made from the generated CSV by one DuckDB query (no
Python loops): rows are picked by a hash of their observation (time, location, filters),
so a run always makes the same file, and

- 1 in 100 rows has its `headcount` raised by one (changed; rows whose headcount is a
  symbol stay as they are),
- 1 in 100 rows is left out (removed),
- 1 in 20 observations of the latest year, 202223, is also given for a new year, 202324
  (added: about 1 row in 100 in the mixed shape, where that year holds a fifth of the
  rows; 1 in 160 in the time shape's eight years),

so the amendment has about as many rows as the original and its diff about 3% of them.

Both versions are loaded with `openstats load` (the second as an amendment of the first
release, which computes and stores the diff, as any import does). Then a child process
times exactly the import's diff computation, `openstats.ingest.diff.write_diff`, over the
two stored Parquet files, on a DuckDB connection set up as the import's (a database file,
the same memory limit, spill folder and insertion order): the figure reported. The
amendment's own load time is shown beside it, for scale.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from api_bench import OUT, REPO, manifest_for, run_logged

DATA_SET_ID = "b0a7c4e2-5e1f-4d3a-9c6b-00000000d1ff"
GOAL_RATIO = 1.0
# The observation of a row (generate.py's columns): what the amendment's hash picks by.
KEY = ("time_period", "geographic_level", "country_code", "region_code", "new_la_code",
       "school_urn", "sex", "school_phase", "fsm_status", "age_band")
LAST_YEAR, NEW_YEAR = "202223", "202324"


# Run in a child process: the import's diff of the data set's two versions, timed alone.
DIFF_SCRIPT = """
import json, sys, tempfile, time
from pathlib import Path
import duckdb
from openstats.catalogue import data_sets
from openstats.ingest import diff
from openstats.ingest.build import PARQUET
from openstats.platform import open_platform
from openstats.settings import Settings
from openstats.standards.screening.sql import lit

data_dir, data_set_id = Path(sys.argv[1]), sys.argv[2]
settings = Settings(data_dir=data_dir, database_url="")
platform = open_platform(settings)
with platform.catalogue.connect() as conn:
    new, old = data_sets.versions(conn, data_set_id)[:2]
    old_meta = data_sets.stored_metadata(conn, old.id)
    new_meta = data_sets.stored_metadata(conn, new.id)
old_file = platform.storage.file(old.storage_key, PARQUET)
new_file = platform.storage.file(new.storage_key, PARQUET)
work = Path(tempfile.mkdtemp(prefix="diff-bench-", dir=data_dir))
# As the import's connection (the screener's): a database file, its memory limit and spill.
con = duckdb.connect(str(work / "screen.duckdb"))
con.execute(f"SET memory_limit = {lit(settings.memory_limit)}")
con.execute(f"SET temp_directory = {lit(str(work / 'spill'))}")
con.execute("SET preserve_insertion_order = true")
started = time.perf_counter()
counts = diff.write_diff(con, old_file, old_meta, new_file, new_meta, work / "diff.parquet")
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "added": counts.added, "removed": counts.removed,
                  "changed": counts.changed, "from": old.version, "to": new.version,
                  "memory_limit": settings.memory_limit}))
"""


def amendment(data: Path, meta: Path) -> tuple[Path, Path]:
    """The amended CSV next to `data` (made once, then cached), and its meta file."""
    target = data.with_name(data.name[: -len(".csv")] + "_amended.csv")
    target_meta = target.with_name(target.name[: -len(".csv")] + ".meta.csv")
    if not target.exists():
        print(f"diff: writing the amendment {target.relative_to(REPO)} ...", flush=True)
        started = time.perf_counter()
        source = str(data).replace("'", "''")
        partial = str(target.with_suffix(".csv.partial")).replace("'", "''")
        con = duckdb.connect()
        # The observation's columns that this shape's file has (the time shape has no
        # school_phase or fsm_status).
        header = [row[0] for row in con.execute(
            f"DESCRIBE SELECT * FROM read_csv('{source}', header = true)").fetchall()]
        key = [k for k in KEY if k in header]
        pick = f"hash({', '.join(key)}) % 100"
        # Added rows are picked without the year, so that no two become the same row.
        pick_new = f"hash({', '.join(k for k in key if k != 'time_period')}) % 20"
        # Every cell as text, so that what is not amended is written back as it was read.
        con.execute(f"""
            COPY (
                WITH src AS (SELECT *, {pick} AS _pick, {pick_new} AS _pick_new
                             FROM read_csv('{source}', all_varchar = true, header = true))
                SELECT * EXCLUDE (_pick, _pick_new) REPLACE (
                    CASE WHEN _pick = 0 AND try_cast(headcount AS BIGINT) IS NOT NULL
                         THEN CAST(CAST(headcount AS BIGINT) + 1 AS VARCHAR)
                         ELSE headcount END AS headcount)
                FROM src WHERE _pick <> 1
                UNION ALL
                SELECT * EXCLUDE (_pick, _pick_new) REPLACE ('{NEW_YEAR}' AS time_period)
                FROM src WHERE _pick_new = 0 AND time_period = '{LAST_YEAR}'
            ) TO '{partial}' (FORMAT csv, HEADER true)""")
        con.close()
        Path(partial).replace(target)
        print(f"diff: done in {time.perf_counter() - started:.1f} s", flush=True)
    shutil.copy(meta, target_meta)
    return target, target_meta


def peer_seconds(data: Path, peer_script: str, log: Path, timeout: float) -> float:
    """DuckDB's own copy of `data` to Parquet, in a fresh process: its wall time."""
    out = OUT / f"diff-peer-{data.name[: -len('.csv')]}.parquet"
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    run_logged([sys.executable, "-c", peer_script, str(data), str(out)], log, timeout)
    seconds = time.perf_counter() - started
    out.unlink(missing_ok=True)
    return seconds


def _load(openstats: list[str], folder: Path, name: str, data: Path, meta: Path,
          rows: int, data_dir: Path, timeout: float) -> float:
    manifest = manifest_for(
        folder / f"{name}.toml", DATA_SET_ID, rows, data, meta, publication="Diff benchmark",
        summary="Generated rows and an amendment of them (benchmarks/diff_bench.py).",
        release="Diff benchmark release", data_set="Diff benchmark data set")
    started = time.perf_counter()
    run_logged([*openstats, "load", str(manifest), "--data-dir", str(data_dir)],
               OUT / "logs" / f"{folder.name}.{name}.log", timeout)
    return time.perf_counter() - started


def run_step(args: Any, openstats: list[str], data: Path, meta: Path, context: str,
             peer: float | None, peer_script: str,
             write: Callable[[str, str, str], None], marks: tuple[str, str]) -> bool:
    """Amend, load both versions, time the diff, report (and write README.md's section
    unless --no-readme); True when the step ran cleanly and met its goal. `peer`: the
    peer step's time in this run, if it ran (else the copy is timed here)."""
    stem = data.name[: -len(".csv")]
    folder = OUT / f"diff-{stem}"
    if folder.exists():
        shutil.rmtree(folder)  # both versions loaded afresh: the amendment must be new
    folder.mkdir(parents=True)
    data_dir = folder / "openstats"
    try:
        amended, amended_meta = amendment(data, meta)
        if peer is None:
            print("diff: timing DuckDB's own copy (the peer) ...", flush=True)
            peer = peer_seconds(data, peer_script, OUT / "logs" / f"{folder.name}.peer.log",
                                args.timeout)
        print("diff: loading the first version ...", flush=True)
        _load(openstats, folder, "first", data, meta, args.rows, data_dir, args.timeout)
        print("diff: loading the amendment (its import computes the diff) ...", flush=True)
        amend_load = _load(openstats, folder, "amendment", amended, amended_meta, args.rows,
                           data_dir, args.timeout)
        print("diff: timing the diff ...", flush=True)
        done = subprocess.run([sys.executable, "-c", DIFF_SCRIPT, str(data_dir), DATA_SET_ID],
                              capture_output=True, text=True, cwd=REPO, timeout=args.timeout)
    except (RuntimeError, OSError, subprocess.SubprocessError, duckdb.Error) as e:
        print(f"diff: failed: {e}", flush=True)
        return False
    if done.returncode != 0:
        print(f"diff: failed: {done.stderr.strip().splitlines()[-3:]}", flush=True)
        return False
    found = json.loads(done.stdout.strip().splitlines()[-1])
    ratio = found["seconds"] / peer
    met = ratio <= GOAL_RATIO
    total = found["added"] + found["removed"] + found["changed"]
    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {context}.",
        "",
        f"Versions: `{data.name}` ({args.rows:,} rows) as {found['from']}, and "
        f"`{amended.name}` as {found['to']} (about 1 row in 100 changed, 1 in 100 removed, "
        f"some added for a new year: see the step's notes); memory limit "
        f"{found['memory_limit']}, as the import's.",
        "",
        "| What | Wall time (s) | Ratio to DuckDB's copy | Goal (at most 1x) |",
        "|---|---:|---:|---|",
        f"| DuckDB's own CSV-to-Parquet copy of `{data.name}` (peer) | {peer:,.2f} | 1.00x | |",
        f"| the diff at import (`ingest.diff.write_diff`, {found['added']:,} added, "
        f"{found['removed']:,} removed, {found['changed']:,} changed: {total:,} rows) "
        f"| {found['seconds']:,.2f} | {ratio:,.2f}x | {'met' if met else 'not met'} |",
        f"| for scale: `openstats load` of the amendment (screen, import, diff, publish) "
        f"| {amend_load:,.2f} | {amend_load / peer:,.2f}x | |",
        "",
        f"Goal: the diff within {GOAL_RATIO:g}x DuckDB's copy: **{'met' if met else 'not met'}**"
        f" ({ratio:.2f}x)."]
    section = "\n".join(lines)
    print()
    print(section)
    if not args.no_readme:
        write(section, *marks)
        print(f"\nWritten into {(REPO / 'benchmarks' / 'README.md').relative_to(REPO)}.")
    return met
