"""An import killed at any moment (kill -9 or Ctrl-C) leaves nothing visible or orphaned.

The moments are drawn from a seeded random generator; `test_crash_safety.py` kills at
named points instead. Both run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import random
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
from tests.conftest import REFERENCE
from tests.core.helpers import files_under, write_big_pair

ROWS = 300_000


@pytest.fixture(scope="module")
def big_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Enough valid rows that an import takes long enough to be killed part way."""
    return write_big_pair(tmp_path_factory.mktemp("big"), ROWS)


# Seeded, so a failure can be replayed: one delay drawn in each of six equal slices of
# 0.3-6.5 s, from early in screening, through the build, to near the commit.
SEED = 20_250_808
DELAYS = [round(random.Random(SEED + i).uniform(0.3 + i * 1.03, 0.3 + (i + 1) * 1.03), 2)
          for i in range(6)]


def run_and_interrupt(data: Path, meta: Path, env: dict[str, str], sig: int,
                      delay: float) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "openstats.cli", "import", str(data), str(meta)], env=env,
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
                                           database_url: str, sig: int) -> None:
    """Six imports into one platform, each interrupted at a seeded moment, then one that
    runs to its end: SQLite and PostgreSQL alike."""
    data, meta = big_pair
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,
                        reference_dir=REFERENCE)
    env = {**os.environ, "OPENSTATS_REFERENCE_DIR": str(REFERENCE),
           "OPENSTATS_DATA_DIR": str(settings.data_dir), "OPENSTATS_DATABASE_URL": database_url}
    completed = versions = 0
    for delay in DELAYS:
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
    assert completed < len(DELAYS), "every run finished before it could be interrupted"
    # And the same import, run again without interruption, succeeds.
    env.pop("OPENSTATS_CRASH_AT", None)
    finished = subprocess.run([sys.executable, "-m", "openstats.cli", "import", str(data),
                               str(meta)], env=env, capture_output=True, text=True,
                              timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert check_after_restart(settings) == versions + 1
