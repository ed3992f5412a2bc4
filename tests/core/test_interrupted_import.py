"""An import killed at any moment (kill -9 or Ctrl-C) leaves nothing visible or orphaned.

The moments are drawn from a seeded random generator; `test_crash_safety.py` kills at
named points instead. Both run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from openstats.catalogue import data_sets
from openstats.platform import open_platform
from openstats.settings import Settings
from tests.conftest import REFERENCE, postgres_schema
from tests.core.helpers import files_under, write_big_pair
from tests.support.catalogue import empty_catalogue

# Enough rows that the import's phases (screening, the build, the commit) each last a
# while; the delays below are scaled to how long the import takes, so more rows would
# only make every run longer.
ROWS = 100_000


@pytest.fixture(scope="module")
def big_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Enough valid rows that an import takes long enough to be killed part way."""
    return write_big_pair(tmp_path_factory.mktemp("big"), ROWS)


# Seeded, so a failure can be replayed: one moment drawn in each of six equal slices of
# the import, from 0.3 s (the command still loading, or screening) to the time a whole
# run of it takes on this machine now, on this kind of database (the build, then the
# commit). Fixed delays in seconds went stale: once imports got faster, four of six fell
# after the import had finished.
SEED = 20_250_808
SLICES = 6
EARLIEST = 0.3
IMPORT_SECONDS: dict[str, float] = {}  # a whole import's wall time, by database kind


def delays(import_seconds: float) -> list[float]:
    width = max(import_seconds - EARLIEST, 0.1) / SLICES
    return [round(random.Random(SEED + i).uniform(EARLIEST + i * width,
                                                  EARLIEST + (i + 1) * width), 2)
            for i in range(SLICES)]


def import_command(data: Path, meta: Path) -> list[str]:
    return [sys.executable, "-m", "openstats.cli", "import", str(data), str(meta)]


def timed_import(data: Path, meta: Path, tmp: Path, database_url: str) -> float:
    """The wall time of one whole import of the pair into a platform of its own."""
    env = {**os.environ, "OPENSTATS_REFERENCE_DIR": str(REFERENCE),
           "OPENSTATS_DATA_DIR": str(tmp / "timed"), "OPENSTATS_DATABASE_URL": database_url}
    start = time.monotonic()
    done = subprocess.run(import_command(data, meta), env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return time.monotonic() - start


@pytest.fixture
def import_seconds(big_pair: tuple[Path, Path], database_url: str,
                   tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long a whole import takes on this database kind: timed once per file for each,
    into a catalogue of its own (a copy of the migrated SQLite file, or a new schema)."""
    kind = database_url.split(":")[0]
    if kind not in IMPORT_SECONDS:
        tmp = tmp_path_factory.mktemp("timed")
        if kind == "sqlite":
            shutil.copyfile(empty_catalogue(), tmp / "catalogue.sqlite")
            IMPORT_SECONDS[kind] = timed_import(*big_pair, tmp,
                                                f"sqlite:///{tmp / 'catalogue.sqlite'}")
        else:
            with postgres_schema() as url:
                IMPORT_SECONDS[kind] = timed_import(*big_pair, tmp, url)
    return IMPORT_SECONDS[kind]


def run_and_interrupt(data: Path, meta: Path, env: dict[str, str], sig: int,
                      delay: float) -> int:
    proc = subprocess.Popen(
        import_command(data, meta), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # A shell without job control starts background jobs with SIGINT ignored, and a
        # child inherits that: it would finish every import as if never interrupted.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(delay)
    proc.send_signal(sig)
    return proc.wait(timeout=120)


def check_after_restart(settings: Settings) -> int:
    """Open as the next start does (with the sweep); every visible version whole, no
    staging folder and no version folder without its row. Returns the version count."""
    platform = open_platform(settings, sweep=True)
    try:
        versions = platform.catalogue.counts()["data_set_versions"]
        with platform.catalogue.connect() as conn:
            referenced = data_sets.storage_keys(conn)
    finally:
        platform.close()
    files = settings.data_dir / "files"
    for key in referenced:
        rows = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [
            str(files / "versions" / key / "data.parquet")]).fetchone()
        assert rows == (ROWS,), f"a visible version is incomplete: {rows}"
    for path in files_under(files):
        rel = path.relative_to(files)
        assert rel.parts[0] == "versions" and rel.parts[1] in referenced, rel
    return versions


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_import_leaves_nothing(big_pair: tuple[Path, Path], tmp_path: Path,
                                           database_url: str, import_seconds: float,
                                           sig: int) -> None:
    """Six imports into one platform, each interrupted at a seeded moment, then one that
    runs to its end: SQLite and PostgreSQL alike."""
    data, meta = big_pair
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,
                        reference_dir=REFERENCE)
    env = {**os.environ, "OPENSTATS_REFERENCE_DIR": str(REFERENCE),
           "OPENSTATS_DATA_DIR": str(settings.data_dir), "OPENSTATS_DATABASE_URL": database_url}
    completed = versions = 0
    moments = delays(import_seconds)
    print(f"a whole import took {import_seconds:.2f} s: interrupting at {moments}")
    for delay in moments:
        code = run_and_interrupt(data, meta, env, sig, delay)
        now = check_after_restart(settings)
        # Shown with `pytest -s`: the figures of docs/reliability.md.
        print(f"{signal.Signals(sig).name} {database_url.split(':')[0]} at {delay}s: "
              f"exit {code}, versions {versions} -> {now}")
        if code == 0:
            completed += 1
            assert now == versions + 1
        else:
            # Killed before the commit: nothing. Killed in the instant after it (while the
            # process tidies up): the whole version. Never anything in between.
            assert now in (versions, versions + 1), f"interrupted at {delay}s: {now}"
        versions = now
    assert completed < SLICES, "every run finished before it could be interrupted"
    # And the same import, run again without interruption, succeeds.
    env.pop("OPENSTATS_CRASH_AT", None)
    finished = subprocess.run(import_command(data, meta), env=env, capture_output=True,
                              text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert check_after_restart(settings) == versions + 1
