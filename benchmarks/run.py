"""`make bench`: the core import against DuckDB's own copy; the API and pages against Datasette.

Steps, each in its own child process so that its wall time and peak memory are its own:

1. peer    DuckDB (default settings) copies the CSV to Parquet: the least work any
           import of this file must do (parse every cell, write a columnar file).
2. screen  `openstats screen DATA META`: every check of the open data standards.
3. import  `openstats import DATA META --data-dir DIR`: screen + import in one command.
4. api     API latency and throughput over HTTP, openstats against Datasette serving the
           same rows from SQLite (api_bench.py, client in api_client.py).
5. pages   The data-set page and a table-tool table of 1,000 cells against Datasette's
           table page and JSON, on the api step's servers and client (pages_bench.py).
6. release A release page with four data blocks and two key statistics (release_bench.py).
7. formats The query's open formats as ratios of its JSON answer, and the availability
           endpoint (formats_bench.py).
8. diff    The diff of two versions (the data set and an amendment of it) as computed at
           import, against the peer's copy of the same file (diff_bench.py; it times the
           peer itself when the peer step is not in the run).

Peak memory is the child's ru_maxrss as returned by os.wait4. The data set comes from
generate.py and is cached in benchmarks/data/ by row count. Results are printed as
Markdown tables and written into benchmarks/README.md between the results markers (the
core import, the API and the pages each have their own).

Usage: python benchmarks/run.py [--rows N] [--shapes mixed,time] [--repeat N]
                               [--steps peer,screen,import,api,pages,release,formats,diff]
                               [--timeout SECONDS]
                               [--api-samples N] [--api-seconds S] [--no-readme]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import api_bench
import diff_bench
import duckdb
import formats_bench
import generate
import pages_bench
import release_bench

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
README = HERE / "README.md"
START, END = "<!-- results -->", "<!-- /results -->"
CORE_STEPS = ("peer", "screen", "import")
SERVER_STEPS = ("api", "pages")  # one set of servers and one client run for both
# release_bench, formats_bench, diff_bench
STEPS = (*CORE_STEPS, *SERVER_STEPS, "release", "formats", "diff")
GOAL_TIME_RATIO = 1.5  # screen + import at most this many times the peer's time (issue 13)
GOAL_PEAK_MB = 1000.0  # and peak memory under 1 GB

# The peer: DuckDB's own copy, default settings, in a fresh Python process like ours.
PEER_SCRIPT = """
import sys, duckdb
csv, parquet = (p.replace("'", "''") for p in sys.argv[1:3])
duckdb.connect().execute(
    f"COPY (SELECT * FROM read_csv('{csv}')) TO '{parquet}' (FORMAT parquet)")
"""


@dataclass
class Result:
    step: str
    command: str
    seconds: float | None = None
    peak_mb: float | None = None
    exit_code: int | None = None
    note: str = ""


def measure(step: str, argv: list[str], shown: str, log: Path, timeout: float,
            clean: Path | None = None) -> Result:
    """Run argv as a child; its wall time, peak RSS (os.wait4) and exit code.

    `clean` (a file or folder the step writes) is removed first, so each run starts afresh.
    """
    if clean is not None and clean.is_dir():
        shutil.rmtree(clean)
    elif clean is not None:
        clean.unlink(missing_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        # A wide COLUMNS keeps rich from wrapping the CLI's summary line in the log.
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                 env={**os.environ, "COLUMNS": "500"})
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it has been reaped
    result = Result(step, shown, seconds, usage.ru_maxrss * 1024 / 1e6, child.returncode)
    if child.returncode < 0:
        result.note = (f"killed after {timeout:g} s (timeout)" if seconds >= timeout
                       else f"killed by signal {-child.returncode}")
    elif child.returncode != 0:
        result.note = f"exit {child.returncode}, see {log.relative_to(REPO)}"
    return result


def openstats_command() -> list[str]:
    """The openstats console script next to this Python (the venv's), else `-m`."""
    script = Path(sys.executable).parent / "openstats"
    return [str(script)] if script.exists() else [sys.executable, "-m", "openstats.cli"]


def import_available() -> str | None:
    """None when `openstats import` exists, else why not."""
    try:
        done = subprocess.run([*openstats_command(), "import", "--help"], capture_output=True,
                              text=True, timeout=60, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"openstats could not be run: {e}"
    if done.returncode != 0:
        return "`openstats import` is not available in this checkout yet"
    return None


def last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def machine() -> str:
    """Cores, RAM and CPU model of this machine, in one line."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cores ({model}), {ram:.0f} GiB RAM, {platform.system()}, "
            f"load average {load:.1f} at the end")


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=REPO, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def warm_cache(path: Path) -> None:
    """Read the file once so that every step finds it in the page cache."""
    with path.open("rb") as f:
        while f.read(16 * 1024 * 1024):
            pass


def size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def context() -> str:
    """The machine and the versions measured, in one line."""
    return (f"{machine()}; Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
            f"openstats commit {git_commit()}")


def report(results: list[Result], rows: int, data: Path) -> str:
    """The Markdown results section: context, table and verdict."""
    peer = next((r for r in results if r.step == "peer" and r.exit_code == 0), None)
    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {context()}.",
        "",
        f"Data: `{data.name}`, {rows:,} rows, {size(data)} "
        "(file in the page cache for every step).",
        "",
        "| Step | Command | Wall time (s) | Peak RSS (MB) | Time vs peer | Memory vs peer "
        "| Note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        time_ratio = mem_ratio = "–"
        if peer and r.seconds is not None and r.exit_code is not None and r.exit_code >= 0:
            time_ratio = f"{r.seconds / peer.seconds:.2f}x" if peer.seconds else "–"
            mem_ratio = f"{r.peak_mb / peer.peak_mb:.2f}x" if peer.peak_mb and r.peak_mb else "–"
        lines.append(f"| {r.step} | `{r.command}` | {fmt(r.seconds, 2)} | {fmt(r.peak_mb, 0)} | "
                     f"{time_ratio} | {mem_ratio} | {r.note} |")
    lines += ["", verdict(results, peer)]
    return "\n".join(lines)


def verdict(results: list[Result], peer: Result | None) -> str:
    goal = (f"Goal: `openstats import` (screen + import) within {GOAL_TIME_RATIO:g}x the "
            f"peer's time and under {GOAL_PEAK_MB / 1000:g} GB peak memory")
    done = next((r for r in results if r.step == "import" and r.exit_code == 0), None)
    if peer is None or peer.seconds is None or done is None or done.seconds is None:
        return f"{goal}: not measured in this run."
    ratio = done.seconds / peer.seconds
    ok = ratio <= GOAL_TIME_RATIO and (done.peak_mb or 0) < GOAL_PEAK_MB
    return (f"{goal}: **{'met' if ok else 'not met'}** ({ratio:.2f}x, "
            f"{fmt(done.peak_mb, 0)} MB).")


def write_readme(section: str, start: str = START, end: str = END) -> None:
    """Replace the text between a pair of markers of README.md (append if missing)."""
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=generate.DEFAULT_ROWS,
                        help=f"rows in the data set (default {generate.DEFAULT_ROWS:,})")
    parser.add_argument("--steps", default=",".join(STEPS),
                        help=f"comma-separated steps to run (default {','.join(STEPS)})")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds before a step is killed (default 3600)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each step this many times and keep the fastest (default 1)")
    parser.add_argument("--api-samples", type=int, default=api_bench.SAMPLES,
                        help="api, pages: timed requests per case and server "
                             f"(default {api_bench.SAMPLES})")
    parser.add_argument("--api-seconds", type=float, default=api_bench.SECONDS,
                        help="api: seconds of the concurrent-clients run per server "
                             f"(default {api_bench.SECONDS:g})")
    parser.add_argument("--shapes", default=",".join(generate.SHAPES),
                        help="comma-separated data set shapes (generate.py; default "
                             f"{','.join(generate.SHAPES)}: the page cases need 'mixed')")
    parser.add_argument("--no-readme", action="store_true",
                        help="print the results but leave README.md alone")
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    # The screener checks geography lookups when it knows where they are; `make` sets
    # this, and a direct run gets the same default so both measure the same work.
    os.environ.setdefault("OPENSTATS_REFERENCE_DIR", str(generate.default_reference_dir()))

    shapes = [x.strip() for x in args.shapes.split(",") if x.strip()]
    if set(shapes) - set(generate.SHAPES):
        parser.error(f"unknown shape(s); choose from {', '.join(generate.SHAPES)}")
    ok = True
    for shape in shapes:
        ok = run_shape(args, steps, shape) and ok
    return 0 if ok else 1


def markers(name: str, shape: str) -> tuple[str, str]:
    """README.md's markers of one results section (the mixed shape keeps the old ones)."""
    tag = name if shape == "mixed" else f"{name}-{shape}"
    return f"<!-- {tag} -->", f"<!-- /{tag} -->"


def run_shape(args: argparse.Namespace, steps: list[str], shape: str) -> bool:
    """Every step asked for, on one shape of data set; True when all ran cleanly."""
    data, meta = generate.paths_for(args.rows, shape=shape)
    if data.exists() and meta.exists():
        print(f"Using {data.relative_to(REPO)} (cached)", flush=True)
    else:
        print(f"Generating {args.rows:,} rows into {data.relative_to(REPO)} ...", flush=True)
        started = time.perf_counter()
        generate.generate(args.rows, shape=shape)
        print(f"  done in {time.perf_counter() - started:.1f} s, {size(data)}", flush=True)
    warm_cache(data)

    stem = data.name[: -len(".csv")]
    rel_data, rel_meta = data.relative_to(REPO), meta.relative_to(REPO)
    openstats = openstats_command()
    parquet = OUT / f"{stem}.parquet"
    results: list[Result] = []
    for step in (s for s in CORE_STEPS if s in steps):
        log = OUT / "logs" / f"{stem}.{step}.log"
        if step == "peer":
            parquet.parent.mkdir(parents=True, exist_ok=True)
            clean = parquet
            argv = [sys.executable, "-c", PEER_SCRIPT, str(data), str(parquet)]
            shown = "COPY (SELECT * FROM read_csv(DATA)) TO 'x.parquet'"
        elif step == "screen":
            clean = None
            argv = [*openstats, "screen", str(data), str(meta)]
            shown = f"openstats screen {rel_data} {rel_meta}"
        else:
            why = import_available()
            if why:
                print(f"import: skipped: {why}.", flush=True)
                results.append(Result(step, "openstats import DATA META --data-dir DIR",
                                       note=f"skipped: {why}"))
                continue
            data_dir = clean = OUT / f"import-{stem}"
            argv = [*openstats, "import", str(data), str(meta), "--data-dir", str(data_dir)]
            shown = (f"openstats import {rel_data} {rel_meta} "
                     f"--data-dir {data_dir.relative_to(REPO)}")
        print(f"{step}: running ...", flush=True)
        runs = [measure(step, argv, shown, log, args.timeout, clean) for _ in range(args.repeat)]
        # The fastest run is the least disturbed by other work on the machine.
        result = min(runs, key=lambda r: (r.exit_code != 0, r.seconds or 0))
        if args.repeat > 1:
            result.note = (result.note + "; " if result.note else "") + (
                f"best of {args.repeat}: " + ", ".join(fmt(r.seconds, 2) for r in runs) + " s")
        results.append(result)
        summary = (f"wrote {size(parquet)} of Parquet" if step == "peer" and parquet.exists()
                   else last_line(log))
        print(f"{step}: {fmt(result.seconds, 2)} s, {fmt(result.peak_mb, 0)} MB peak, "
              f"exit {result.exit_code}" + (f" | {summary}" if summary else ""), flush=True)

    api_ok = True
    server_steps = [s for s in steps if s in SERVER_STEPS and (s != "pages" or shape == "mixed")]
    if server_steps:
        api_ok = run_server_steps(args, openstats, data, meta, server_steps, shape)
    if "release" in steps and shape == "mixed":
        api_ok = release_bench.run_step(args, openstats, data, meta, context(), write_readme,
                                        markers("release-results", shape)) and api_ok
    if "formats" in steps:
        api_ok = formats_bench.run_step(args, openstats, data, meta, context(), write_readme,
                                        markers("formats-results", shape), shape) and api_ok
    if "diff" in steps:
        peer = next((r.seconds for r in results if r.step == "peer" and r.exit_code == 0),
                    None)
        api_ok = diff_bench.run_step(args, openstats, data, meta, context(), peer,
                                     PEER_SCRIPT, write_readme,
                                     markers("diff-results", shape)) and api_ok
    if results:
        section = report(results, args.rows, data)
        print()
        print(section)
        # The section is the import's verdict: a run without the import step (the peer
        # alone, for the diff step) leaves the last import results in place.
        if not args.no_readme and "import" in steps:
            write_readme(section, *markers("results", shape))
            print(f"\nWritten into {README.relative_to(REPO)}.")
    return api_ok and all(r.exit_code in (0, None) for r in results)


def run_server_steps(args: argparse.Namespace, openstats: list[str], data: Path,
                     meta: Path, steps: list[str], shape: str) -> bool:
    """The api and pages steps on one pair of servers and one client run: measure, print
    and (unless --no-readme) write each step's section."""
    started = time.perf_counter()
    api = "api" in steps
    extra = [pages_bench.CASE_SET] if "pages" in steps else []
    names = "+".join(s for s in SERVER_STEPS if s in steps)
    try:
        measured = api_bench.run_api(openstats, data, meta, args.rows, args.timeout,
                                     args.api_samples, args.api_seconds, api=api, extra=extra)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print(f"{names}: failed: {e}", flush=True)
        return False
    print(f"{names}: done in {time.perf_counter() - started:.1f} s", flush=True)
    outcomes = []
    if api:
        outcomes.append((api_bench.report(measured, data, args.rows, context(),
                                          args.api_samples, args.api_seconds),
                         *markers("api-results", shape)))
    if extra:
        outcomes.append((pages_bench.report(measured, data, args.rows, context(),
                                            args.api_samples, after_api=api),
                         *markers("page-results", shape)))
    for outcome, start, end in outcomes:
        print()
        print(outcome.section)
        if not args.no_readme:
            write_readme(outcome.section, start, end)
            print(f"\nWritten into {README.relative_to(REPO)}.")
    return all(outcome.ok for outcome, _, _ in outcomes)


if __name__ == "__main__":
    sys.exit(main())
