"""An import killed at any moment (kill -9 or Ctrl-C) leaves nothing visible or orphaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from openstats.platform import open_platform
from openstats.settings import Settings
from tests.conftest import REFERENCE
from tests.core.helpers import TINY_META, files_under

ROWS = 300_000


@pytest.fixture(scope="module")
def big_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A few hundred thousand valid rows, so an import takes long enough to interrupt."""
    folder = tmp_path_factory.mktemp("big")
    data, meta = folder / "big.csv", folder / "big.meta.csv"
    duckdb.sql(f"""
        COPY (SELECT (2000 + i % 20)::VARCHAR AS time_period, 'Calendar year' AS time_identifier,
                     'National' AS geographic_level, 'E92000001' AS country_code,
                     'England' AS country_name, '' AS region_code, '' AS region_name,
                     CASE WHEN i % 3 = 0 THEN 'Total' ELSE 'Sex ' || (i % 3) END AS sex,
                     'Phase ' || (i // 60) AS phase,
                     (i * 7 % 1000)::VARCHAR AS pupils,
                     CASE WHEN i % 11 = 0 THEN 'c' ELSE (i % 97 / 10)::VARCHAR END AS rate
              FROM range({ROWS}) t(i))
        TO '{data}' (HEADER, DELIMITER ',')""")
    meta.write_text(TINY_META)
    return data, meta


def run_and_interrupt(data: Path, meta: Path, data_dir: Path, sig: int, delay: float) -> int:
    env = {**os.environ, "OPENSTATS_REFERENCE_DIR": str(REFERENCE)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "openstats.cli", "import", str(data), str(meta),
         "--data-dir", str(data_dir)], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(sig)
    return proc.wait(timeout=120)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_import_leaves_nothing(big_pair: tuple[Path, Path], tmp_path: Path,
                                           sig: int) -> None:
    data, meta = big_pair
    completed = 0
    # Interrupt at growing delays: early in screening, in the build, near the commit.
    for attempt, delay in enumerate((0.5, 1.0, 2.0, 3.0, 4.5, 6.0)):
        data_dir = tmp_path / f"run{attempt}"
        code = run_and_interrupt(data, meta, data_dir, sig, delay)
        settings = Settings(data_dir=data_dir, database_url="", reference_dir=REFERENCE)
        platform = open_platform(settings, sweep=True)  # what the next start does
        versions = platform.catalogue.counts()["data_set_versions"]
        leftovers = files_under(data_dir / "files")
        referenced = platform.catalogue.storage_keys()
        platform.close()
        if code == 0:
            completed += 1
            assert versions == 1
        else:
            # Killed before the commit: nothing. Killed in the instant after it (while the
            # process tidies up): the whole version. Never anything in between.
            assert versions in (0, 1), f"interrupted at {delay}s: {versions} versions"
        for key in referenced:
            parquet = data_dir / "files" / "versions" / key / "data.parquet"
            rows = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)",
                                            [str(parquet)]).fetchone()
            assert rows == (ROWS,), f"a visible version is incomplete: {rows}"
        # Every file left belongs to a committed version: no staging, no orphans.
        for path in leftovers:
            rel = path.relative_to(data_dir / "files")
            assert rel.parts[0] == "versions" and rel.parts[1] in referenced, rel
    assert completed < 6, "every run finished before it could be interrupted"
