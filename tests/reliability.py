"""Tools for the reliability tests: run a real process under limits, and snapshot storage.

`run_limited` starts a command with a cap on its address space and CPU time and a wall
clock deadline (a hang detector, not a speed test), and reports its exit status, output,
wall time and peak resident memory (from the kernel's own accounting, `wait4`).

`snapshot` records everything a failed import or upload must leave unchanged: every file
under the data folder (by content) and every row of every catalogue table.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

# Generous bounds: a case that needs more is a bug (a hang or unbounded memory).
WALL_LIMIT = 60.0  # seconds before the process is killed
CPU_LIMIT = 120  # seconds of CPU time
MEMORY_LIMIT = 2 << 30  # bytes of address space (DuckDB's own cap is 512 MB)


@dataclass
class Run:
    code: int  # exit status; -N when killed by signal N
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    killed_at_deadline: bool


def openstats_command() -> list[str]:
    script = Path(sys.executable).parent / "openstats"
    return [str(script)] if script.exists() else [sys.executable, "-m", "openstats.cli"]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT))


def run_limited(args: Sequence[str | Path], env: dict[str, str] | None = None,
                cwd: Path | None = None, deadline: float = WALL_LIMIT) -> Run:
    """Run a command to its end (or its deadline) under the limits above."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([str(a) for a in args], stdout=out, stderr=err, cwd=cwd,
                                env=env, preexec_fn=_limits)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(deadline, kill)
        timer.start()
        try:
            # wait4, not Popen.wait: it also returns this child's own peak memory.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, out.read().decode(errors="replace"),
                   err.read().decode(errors="replace"), seconds,
                   usage.ru_maxrss / 1024, killed.is_set())


def openstats_env(data_dir: Path, database_url: str = "",
                  reference_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, OPENSTATS_DATA_DIR=str(data_dir), COLUMNS="200")
    env["OPENSTATS_DATABASE_URL"] = database_url
    if reference_dir is not None:
        env["OPENSTATS_REFERENCE_DIR"] = str(reference_dir)
    return env


def sqlalchemy_url(data_dir: Path, database_url: str) -> str:
    return database_url or f"sqlite:///{(data_dir / 'catalogue.sqlite').resolve()}"


# SQLite's own files change on every open (WAL checkpoints) without any row changing: the
# rows are compared instead.
SQLITE_FILES = ("catalogue.sqlite", "catalogue.sqlite-wal", "catalogue.sqlite-shm")


def snapshot(data_dir: Path, database_url: str = "", *,
             skip_tables: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every file under `data_dir` by content, and every catalogue row, comparably."""
    files = {}
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir).as_posix()
        if rel in SQLITE_FILES:
            continue
        files[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    engine = create_engine(sqlalchemy_url(data_dir, database_url))
    try:
        # The tables' names only, and their rows as the driver returns them: reflecting
        # every table's columns, keys and indexes (sqlalchemy MetaData.reflect) took most
        # of the time of the files that snapshot after each of dozens of cases, and
        # comparing two snapshots needs no column types.
        tables = {}
        with engine.connect() as conn:
            for name in sorted(inspect(conn).get_table_names()):
                if name in skip_tables:
                    continue
                rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
                tables[name] = sorted(json.dumps(list(r), default=str) for r in rows)
    finally:
        engine.dispose()
    return {"files": files, "tables": tables}


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed between two snapshots, in words (empty when nothing did)."""
    out = []
    for kind in ("files", "tables"):
        old, new = before[kind], after[kind]
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                how = "added" if key not in old else "removed" if key not in new else "changed"
                out.append(f"{kind[:-1]} {key}: {how}")
    return out

