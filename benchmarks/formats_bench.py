"""The `formats` step of `make bench`: the query's open formats against its JSON answer,
and the availability endpoint (issue 15), over the generated data set, on each shape.

The data set is loaded by `openstats load` with a manifest of its own; one `openstats
serve` (one worker) answers; this process sends sequential GETs. Each query asks for the
rows of one area in one year (QUERIES: a region's local authorities in the mixed shape,
a local authority's schools in the time shape): one page of the JSON answer
(`pageSize=10000`), so the JSON answer and each file hold the same rows. Each format's
median is reported as a ratio of the JSON answer's median (goal: at most 1.5x).
Availability is asked what the table tool asks after its locations step (one local
authority) and after its time step (that and one year); goal: median at most 20 ms.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api_bench import OUT, REPO, Server, free_port, get_json, manifest_for, run_logged

DATA_SET_ID = "b0a7c4e2-5e1f-4d3a-9c6b-000000000015"
FORMATS = ("json-stat", "sdmx-csv", "parquet", "csv")
GOAL_RATIO = 1.5
GOAL_AVAILABILITY_MS = 20.0
WARMUP = 3



def _timed(port: int, paths: list[str], samples: int) -> tuple[float, int, float]:
    """(median ms, bytes of the first timed answer, ms of the very first, cold, request):
    WARMUP requests, then `samples` timed ones, each a different query (answers are cached
    per query and format, so asking the same again would time the cache, not the work)."""
    def get(path: str) -> tuple[float, int]:
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=600) as r:
            size = len(r.read())
        return (time.perf_counter() - started) * 1000, size

    if len(paths) < WARMUP + samples:
        raise RuntimeError(f"formats: {len(paths)} different queries, "
                           f"{WARMUP + samples} needed")
    cold, _ = get(paths[0])
    for path in paths[1:WARMUP]:
        get(path)
    runs = [get(path) for path in paths[WARMUP:WARMUP + samples]]
    return statistics.median(ms for ms, _ in runs), runs[0][1], cold


# Per shape (generate.py): the rows each query asks for, and the level of the rows the
# availability questions look at, so that each shape's queries return a page of a few
# thousand rows. The mixed shape has every level: a region's local authorities in a year.
# The time shape has school rows only: one local authority's schools in a year.
QUERIES = {
    "mixed": ("the local authority rows of one region in one year", "LA", "REG"),
    "time": ("the school rows of one local authority in one year", "SCH", "LA"),
}


def _paths(port: int, shape: str) -> tuple[list[str], dict[str, list[str]]]:
    """The queries (without format) and the availability questions, from the metadata:
    one query per area and year (QUERIES), and availability per local authority."""
    _, level, area_level = QUERIES[shape]
    meta = get_json(port, f"/api/v1/data-sets/{DATA_SET_ID}/meta")
    periods = [f"{t['period']}|{t['code']}" for t in meta["timePeriods"]]
    areas = next(g["options"] for g in meta["locations"] if g["level"]["code"] == area_level)
    las = next(g["options"] for g in meta["locations"] if g["level"]["code"] == "LA")
    base = f"/api/v1/data-sets/{DATA_SET_ID}"
    queries = [f"{base}/query?" + urllib.parse.urlencode(
        {"geographicLevels.eq": level, "locations.eq": f"{area_level}|id|{area['id']}",
         "timePeriods.eq": period, "pageSize": "10000"})
        for period in reversed(periods) for area in areas]

    def ask(params: dict[str, str]) -> str:
        return f"{base}/availability?" + urllib.parse.urlencode(params)

    return queries, {
        "after the locations step (one local authority)": [ask(
            {"geographicLevels.eq": level, "locations.eq": f"LA|id|{la['id']}"})
            for la in las],
        "after the time step (one local authority, one year)": [ask(
            {"geographicLevels.eq": level, "locations.eq": f"LA|id|{la['id']}",
             "timePeriods.eq": periods[n % len(periods)]}) for n, la in enumerate(las)]}


def run_step(args: Any, openstats: list[str], data: Path, meta: Path, context: str,
             write: Callable[[str, str, str], None], marks: tuple[str, str],
             shape: str = "mixed") -> bool:
    """Load, serve, time, report (and write README.md's section unless --no-readme); True
    when the step ran cleanly and met its goals."""
    stem = data.name[: -len(".csv")]
    folder = OUT / f"formats-{stem}"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = manifest_for(
        folder / "formats.toml", DATA_SET_ID, args.rows, data, meta,
        publication="Open formats benchmark",
        summary="Generated rows for the open formats benchmark (benchmarks/formats_bench.py).",
        release="Formats benchmark release", data_set="Formats benchmark data set")
    data_dir = folder / "openstats"
    print("formats: loading the data set ...", flush=True)
    try:
        run_logged([*openstats, "load", str(manifest), "--data-dir", str(data_dir)],
                   OUT / "logs" / f"{folder.name}.load.log", args.timeout)
    except RuntimeError as e:
        print(f"formats: failed: {e}", flush=True)
        return False
    port = free_port()
    server = Server("openstats", [*openstats, "serve", "--host", "127.0.0.1", "--port",
                                  str(port), "--workers", "1", "--data-dir", str(data_dir)],
                    port, "/healthz", OUT / "logs" / f"{folder.name}.serve.log")
    samples = max(5, args.api_samples // 10)
    try:
        server.wait_ready()
        queries, questions = _paths(port, shape)
        json_ms, json_size, json_cold = _timed(port, queries, samples)
        # Counted after the timing: asked first, it made the JSON's "cold" request a warm one.
        rows = get_json(port, queries[WARMUP])["paging"]["totalResults"]
        measured = {f: _timed(port, [f"{q}&format={f}" for q in queries], samples)
                    for f in FORMATS}
        available = {name: _timed(port, path, samples) for name, path in questions.items()}
    finally:
        server.stop()
    met_formats = all(ms / json_ms <= GOAL_RATIO for ms, _, _ in measured.values())
    met_availability = all(ms <= GOAL_AVAILABILITY_MS for ms, _, _ in available.values())
    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {context}.",
        "",
        f"Queries: {QUERIES[shape][0]} of `{data.name}` "
        f"({args.rows:,} rows; {rows:,} rows in the first timed one), one page of the JSON "
        f"answer; one server worker; median of {samples} sequential requests after "
        f"{WARMUP} warm-up ones, each a different region and year (the same list for each "
        "answer, so none is served from a cache); the first request of each answer is "
        "its cold one.",
        "",
        "| Answer | First, cold (ms) | Median (ms) | Size (KB) | Ratio to JSON (median; "
        "cold) | Goal (median at most 1.5x) |",
        "|---|---:|---:|---:|---:|---|",
        f"| JSON (EES's answer) | {json_cold:,.1f} | {json_ms:,.1f} | {json_size / 1000:,.0f} "
        "| 1.0x; 1.0x | |",
        *(f"| `format={f}` | {cold:,.1f} | {ms:,.1f} | {size / 1000:,.0f} | "
          f"{ms / json_ms:,.2f}x; {cold / json_cold:,.2f}x | "
          f"{'met' if ms / json_ms <= GOAL_RATIO else 'not met'} |"
          for f, (ms, size, cold) in measured.items()),
        "",
        "| Availability | First, cold (ms) | Median (ms) | Goal (median at most 20 ms) |",
        "|---|---:|---:|---|",
        *(f"| {name} | {cold:,.1f} | {ms:,.1f} | "
          f"{'met' if ms <= GOAL_AVAILABILITY_MS else 'not met'} |"
          for name, (ms, _, cold) in available.items()),
        "",
        f"Goals: formats **{'met' if met_formats else 'not met'}**, availability "
        f"**{'met' if met_availability else 'not met'}**."]
    section = "\n".join(lines)
    print()
    print(section)
    if not args.no_readme:
        write(section, *marks)
        print(f"\nWritten into {(REPO / 'benchmarks' / 'README.md').relative_to(REPO)}.")
    return met_formats and met_availability
