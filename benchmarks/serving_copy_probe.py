"""Would a native DuckDB copy of a version serve queries faster than its Parquet file?

A probe, not a step of `make bench` (issue 13, "query path at the limit"). It measures
DuckDB's own time for the exact SQL the query engine issues for the API step's cases
(a) one school, three years; (b) two options, one local authority, one year; (u) the
first page of everything, uncached, on:

- `parquet`: the stored file, as the engine reads it (`engine.SOURCE`, metadata cache on);
- `native`: the same rows copied into a DuckDB database file in file order
  (`CREATE TABLE t AS SELECT * FROM read_parquet(..., file_row_number = true)`: the
  scan keeps the file's order, checked below), attached read-only;
- for (a) only, both again with a row-range hint added to the WHERE clause
  (`file_row_number BETWEEN lo AND hi`: the first and last row of the school in the years
  asked, found once from the copy), which is what the native copy's min/max zonemaps
  need: school ids do not follow file order, so a school id's min/max per row group
  prune nothing, while the Parquet file's bloom filters do.

Each answer of every variant is checked to be the same Arrow table as the Parquet
one's for the first 20 queries. Timing alternates between the variants query by
query (other work on the machine disturbs all alike), 3 passes of `--queries` different
queries each (the API step's own request lists), median per case. DuckDB's threads are
the engine's (its connection's default: all cores).

Needs the API step's data dirs (`benchmarks/out/api-STEM/openstats/`, from
`run.py --steps api`). Usage:

    .venv/bin/python benchmarks/serving_copy_probe.py [--shapes mixed,time] [--queries 50]

Measured 2026-12-03 (commit 06ba1ae, 2 cores shared, load average 4.6-5.7; median ms of
DuckDB's time, Parquet / native copy / native copy with the row-range hint):
mixed (a) 14.0 / 17.6 / 5.7, (b) 17.8 / 11.1, (u) 12.3 / 6.2; time (a) 11.4 / 8.6 / 4.0,
(b) 11.6 / 6.1, (u) 11.7 / 4.1. The hint on the Parquet file changes nothing (0.96-0.98x).
Copy: 15.3 s and 203 MB peak RSS for the mixed shape (128.5 MB file), 5.4 s and 145 MB
for the time shape (39.6 MB). So the copy alone is slower for (a) on the mixed shape and
1.3x on the time shape: not adopted; copy plus row ranges is 2.5-2.9x for (a).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import api_bench
import duckdb
import generate
from fastapi.testclient import TestClient

from openstats.app import create_app
from openstats.query import engine
from openstats.query.parse_get import parse_get
from openstats.settings import Settings

Query = tuple[str, list[Any]]  # SQL text and its parameters


class RecordingCursor:
    """Stands in for the engine's per-thread DuckDB cursor and keeps the SQL it is given,
    so the probe times exactly what the engine runs, not a copy of it written here."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor
        self.seen: list[Query] = []

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        self.seen.append((query, list(params or [])))
        return self.cursor.sql(query, params=params)


def engine_sql(stem: str, queries: int) -> tuple[Path, dict[str, list[Query]]]:
    """The version's Parquet path and the SQL of each case's requests (the last query the
    engine ran for each: the page, after any one-off counts)."""
    settings = Settings(data_dir=api_bench.OUT / f"api-{stem}" / "openstats", rate_limit=0)
    base = f"/api/v1/data-sets/{api_bench.DATA_SET_ID}"
    with TestClient(create_app(settings)) as client:
        meta = client.get(f"{base}/meta").json()
        plans = api_bench.plan_requests(meta, stem, queries)
        client.get(f"{base}/query?pageSize=1")  # opens the version, counts rows per period
        e = client.app.state.platform.engine
        v = next(iter(e.versions.values()))
        cases: dict[str, list[Query]] = {}
        for case in ("a", "b", "u"):
            cases[case] = []
            for path in plans[case]["openstats"]:
                req, _ = parse_get(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
                recorder = RecordingCursor(e.con.cursor())
                e.local.cursor = recorder
                e._run(v, req)
                cases[case].append(recorder.seen[-1])
        e.local.cursor = None
    return v.parquet, cases


def build_copy(parquet: Path, out: Path) -> str:
    """The native copy, built in a child process (its own peak RSS); what it cost."""
    code = (
        "import duckdb, re, sys, time\n"
        "t = time.perf_counter()\n"
        "con = duckdb.connect(sys.argv[2], config={'memory_limit': '128MB'})\n"
        "con.execute('SET enable_progress_bar = false')\n"
        "con.execute('CREATE TABLE t AS SELECT * FROM read_parquet(?, file_row_number = true)',"
        " [sys.argv[1]])\n"
        "con.execute('CHECKPOINT'); con.close()\n"
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec (the parent's peak).
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]\n"
        "print(f'{time.perf_counter() - t:.1f} s, peak RSS {int(hwm) / 1024:.0f} MB')\n")
    done = subprocess.run([sys.executable, "-c", code, str(parquet), str(out)], check=True,
                          capture_output=True, text=True)
    return f"{done.stdout.strip()}, {out.stat().st_size / 1e6:.1f} MB"


def on_copy(queries: list[Query], parquet: Path, table: str) -> list[Query]:
    """The same queries reading the copy's table instead of the Parquet file."""
    return [(q.replace(engine.SOURCE, table), [p for p in params if p != str(parquet)])
            for q, params in queries]


def hinted(queries: list[Query], ranges: dict[tuple[int, int], tuple[int, int]],
           skip: int) -> list[Query]:
    """Case (a) with `file_row_number BETWEEN first AND last` row of the school in the
    years asked (`skip`: parameters before the school's id, 1 for the Parquet path)."""
    out = []
    for q, params in queries:
        school, years = params[skip], params[skip + 1:skip + 4]
        found = [ranges[(school, y)] for y in years if (school, y) in ranges]
        span = [min(r[0] for r in found), max(r[1] for r in found)] if found else [0, -1]
        out.append((q.replace(" WHERE ", " WHERE file_row_number BETWEEN ? AND ? AND ", 1),
                    [*params[:skip], *span, *params[skip:]]))
    return out


def probe(shape: str, queries: int) -> None:
    data, _ = generate.paths_for(generate.DEFAULT_ROWS, shape=shape)
    stem = data.name[: -len(".csv")]
    parquet, cases = engine_sql(stem, queries)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.duckdb"
        print(f"{shape}: native copy built in {build_copy(parquet, copy)} "
              f"(Parquet {parquet.stat().st_size / 1e6:.1f} MB)", flush=True)
        con = duckdb.connect()
        con.execute("SET parquet_metadata_cache = true")
        con.execute(f"ATTACH '{copy}' AS cp (READ_ONLY)")
        cursor = con.cursor()
        [(misplaced,)] = cursor.sql(
            "SELECT count(*) FROM (SELECT file_row_number, row_number() OVER () - 1 AS n "
            "FROM cp.t) WHERE file_row_number <> n").fetchall()
        assert misplaced == 0, "the copy is not in file order"
        ranges = {(s, t): (lo, hi) for s, t, lo, hi in cursor.sql(
            "SELECT loc_SCH, time_period_id, min(file_row_number), max(file_row_number) "
            "FROM cp.t WHERE loc_SCH IS NOT NULL GROUP BY ALL").fetchall()}
        for case, found in cases.items():
            variants = {"parquet": found, "native": on_copy(found, parquet, "cp.t")}
            if case == "a":
                variants["parquet+range"] = hinted(found, ranges, 1)
                variants["native+range"] = hinted(variants["native"], ranges, 0)
            for name, listed in variants.items():
                for (q1, p1), (q2, p2) in zip(found[:20], listed[:20], strict=True):
                    same = cursor.sql(q1, params=p1).to_arrow_table().equals(
                        cursor.sql(q2, params=p2).to_arrow_table())
                    assert same, f"{shape} ({case}) {name}: another answer"
            times: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(3):
                for i in range(len(found)):
                    for name, listed in variants.items():
                        started = time.perf_counter()
                        cursor.sql(listed[i][0], params=listed[i][1]).to_arrow_table()
                        times[name].append((time.perf_counter() - started) * 1000)
            med = {name: statistics.median(x) for name, x in times.items()}
            print(f"{shape} ({case}): " + ", ".join(
                f"{name} {ms:.2f} ms ({med['parquet'] / ms:.2f}x)" for name, ms in med.items()),
                flush=True)
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default=",".join(generate.SHAPES))
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    for shape in args.shapes.split(","):
        probe(shape, args.queries)
    print(f"load average {os.getloadavg()[0]:.1f}; probe peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
