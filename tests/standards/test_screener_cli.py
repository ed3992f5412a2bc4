"""`openstats screen` as a publisher runs it: a real process, its exit status and output.

Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage error (e.g. a missing file).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openstats.standards.rules import RULES

from .pairs import Pair, base


def command() -> list[str]:
    script = Path(sys.executable).parent / "openstats"
    return [str(script)] if script.exists() else [sys.executable, "-m", "openstats.cli"]


def run(args: list[str | Path], cwd: Path, reference_dir: Path | None
        ) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OPENSTATS_DATA_DIR=str(cwd / "data"), COLUMNS="200")
    env.pop("OPENSTATS_REFERENCE_DIR", None)
    if reference_dir is not None:
        env["OPENSTATS_REFERENCE_DIR"] = str(reference_dir)
    result = subprocess.run([*command(), "screen", *map(str, args)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def screen_json(pair: Pair, folder: Path, reference_dir: Path
                ) -> tuple[int, dict[str, Any]]:
    data, meta = pair.write(folder)
    result = run([data, meta, "--json"], folder, reference_dir)
    return result.returncode, json.loads(result.stdout)


def check_shape(report: dict[str, Any]) -> None:
    """The JSON report: passed, and findings grouped by rule."""
    assert isinstance(report["passed"], bool)
    assert isinstance(report["rules"], list)
    for entry in report["rules"]:
        assert entry["rule"] in RULES
        assert entry["severity"] == RULES[entry["rule"]].severity
        assert isinstance(entry["count"], int) and entry["count"] >= len(entry["findings"]) >= 1
        for finding in entry["findings"]:
            assert isinstance(finding["file"], str) and finding["file"]
            assert finding["row"] is None or isinstance(finding["row"], int)
            assert finding["column"] is None or isinstance(finding["column"], str)
            assert isinstance(finding["message"], str) and finding["message"]
    has_errors = any(e["severity"] == "error" for e in report["rules"])
    assert report["passed"] is not has_errors


def test_clean_pair_exits_0(tmp_path: Path, reference_dir: Path) -> None:
    data, meta = base().write(tmp_path)
    result = run([data, meta], tmp_path, reference_dir)
    assert result.returncode == 0, result.stdout
    assert "passed" in result.stdout
    assert "lookups were not checked" not in result.stdout


def test_clean_pair_json(tmp_path: Path, reference_dir: Path) -> None:
    status, report = screen_json(base(), tmp_path, reference_dir)
    assert status == 0
    check_shape(report)
    assert report["passed"] is True
    assert report["rules"] == []
    assert report["row_count"] == len(base().rows)


def test_warnings_only_exit_0(tmp_path: Path, reference_dir: Path) -> None:
    pair = base().meta("attendance_rate", "indicator_dp", "").cell(4, "sex", "Girls ")
    status, report = screen_json(pair, tmp_path, reference_dir)
    assert status == 0
    check_shape(report)
    assert report["passed"] is True
    by_rule = {e["rule"]: e for e in report["rules"]}
    assert set(by_rule) == {"meta.indicator_dp.blank", "data.filter.whitespace"}
    [finding] = by_rule["data.filter.whitespace"]["findings"]
    assert (finding["file"], finding["row"], finding["column"]) == ("pupils.csv", 4, "sex")
    [finding] = by_rule["meta.indicator_dp.blank"]["findings"]
    assert (finding["file"], finding["row"], finding["column"]) == (
        "pupils.meta.csv", 5, "indicator_dp")


def test_errors_exit_1_with_file_row_column(tmp_path: Path, reference_dir: Path) -> None:
    pair = base().cell(3, "time_period", "2018/19").cell(7, "geographic_level", "Country")
    data, meta = pair.write(tmp_path)
    result = run([data, meta], tmp_path, reference_dir)
    assert result.returncode == 1
    assert "pupils.csv:3:time_period:" in result.stdout
    assert "pupils.csv:7:geographic_level:" in result.stdout
    assert "failed" in result.stdout


def test_errors_json(tmp_path: Path, reference_dir: Path) -> None:
    pair = base()
    for row in (3, 5, 8):
        pair.cell(row, "time_identifier", "Academic yr")
    status, report = screen_json(pair, tmp_path, reference_dir)
    assert status == 1
    check_shape(report)
    assert report["passed"] is False
    [entry] = report["rules"]
    assert (entry["rule"], entry["severity"], entry["count"]) == (
        "data.time.identifier_unknown", "error", 3)
    assert [(f["file"], f["row"], f["column"]) for f in entry["findings"]] == [
        ("pupils.csv", row, "time_identifier") for row in (3, 5, 8)]
    assert "Academic yr" in entry["findings"][0]["message"]


def test_without_lookups_says_so(tmp_path: Path) -> None:
    data, meta = base().cell(3, "country_code", "E92000009").write(tmp_path)
    result = run([data, meta], tmp_path, None)
    assert result.returncode == 0
    assert "lookups were not checked" in result.stdout
    assert "lookup_mismatch" not in result.stdout


@pytest.mark.parametrize("missing", ["data", "meta", "both"])
def test_missing_file_exits_2(missing: str, tmp_path: Path, reference_dir: Path) -> None:
    data, meta = base().write(tmp_path)
    if missing in ("data", "both"):
        data = tmp_path / "absent.csv"
    if missing in ("meta", "both"):
        meta = tmp_path / "absent.meta.csv"
    result = run([data, meta], tmp_path, reference_dir)
    assert result.returncode == 2
    assert "not found" in result.stderr
    assert result.stdout == ""


def test_folder_instead_of_file_exits_2(tmp_path: Path, reference_dir: Path) -> None:
    _, meta = base().write(tmp_path)
    result = run([tmp_path, meta], tmp_path, reference_dir)
    assert result.returncode == 2


@pytest.mark.parametrize("args", [[], ["pupils.csv"], ["pupils.csv", "pupils.meta.csv",
                                                        "--nope"]],
                         ids=["no-args", "one-arg", "unknown-option"])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path, reference_dir: Path) -> None:
    base().write(tmp_path)  # the files exist: only the usage is wrong
    result = run(list(args), tmp_path, reference_dir)
    assert result.returncode == 2
    assert result.stdout == ""


def bad(build: str) -> Pair:
    pair = base()
    if build == "empty":
        pair.data_bytes = b""
        pair.meta_bytes = b""
    elif build == "binary":
        pair.data_bytes = bytes(range(256)) * 8
    elif build == "latin1":
        pair.data_bytes = pair.data_text().replace(b"Girls", "Filles é".encode("latin-1"))
    elif build == "unclosed-quote":
        pair.data_bytes = pair.data_text().replace(b",Boys,", b',"Boys,')
    elif build == "mixed-endings":
        pair.data_bytes = pair.data_text().replace(b"\n", b"\r\n", 3)
    return pair


@pytest.mark.parametrize("kind,status", [("empty", 1), ("binary", 1), ("latin1", 1),
                                         ("unclosed-quote", 1), ("mixed-endings", 0)])
def test_bad_input_never_crashes(kind: str, status: int, tmp_path: Path,
                                 reference_dir: Path) -> None:
    returncode, report = screen_json(bad(kind), tmp_path, reference_dir)
    assert returncode == status
    check_shape(report)
