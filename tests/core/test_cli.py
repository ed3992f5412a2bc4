"""The command line's exit codes and messages for import and load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REFERENCE
from tests.core.helpers import TINY_DATA, write_pair


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENSTATS_REFERENCE_DIR": str(REFERENCE), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "openstats.cli", *args], env=env,
                          capture_output=True, text=True)


def test_import_ok_then_unchanged(tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "in")
    first = run("import", str(data), str(meta), "--data-dir", str(tmp_path / "d"))
    assert first.returncode == 0, first.stderr
    assert "imported as data set" in first.stdout and "version 1.0" in first.stdout
    data_set_id = first.stdout.split("data set ")[1].split()[0]
    again = run("import", str(data), str(meta), "--data-dir", str(tmp_path / "d"),
                "--data-set-id", data_set_id)
    assert again.returncode == 0 and "unchanged" in again.stdout


def test_import_of_a_bad_file_exits_1_with_findings(tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "in", data=TINY_DATA.replace("National", "Nation", 1))
    done = run("import", str(data), str(meta), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "data.geography.level_unknown" in done.stdout
    assert "tiny.csv:2:geographic_level: 'Nation' is not a geographic level." in done.stdout
    assert "nothing was imported" in done.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("import", str(tmp_path / "no.csv"), str(tmp_path / "no.meta.csv")).returncode == 2
    data, meta = write_pair(tmp_path / "in")
    assert run("import", str(data), str(meta), "--data-set-id", "x").returncode == 2
    assert run("screen", str(data)).returncode == 2


def test_load_with_a_bad_manifest_prints_every_problem(tmp_path: Path) -> None:
    manifest = tmp_path / "release.toml"
    manifest.write_text('[theme]\ntitle = "T"\n[release]\ntitle = "R"\n')
    done = run("load", str(manifest), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "publication: must be a table" in done.stderr
    assert "release.type: required" in done.stderr
    assert "data_sets: at least one" in done.stderr
