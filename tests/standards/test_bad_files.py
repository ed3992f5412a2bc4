"""Every file of the bad-file corpus, screened by a real `openstats screen --json` process.

Each must end (well inside a 60 s deadline, under a 2 GB address-space cap) with a JSON
report, no traceback, and the finding that says what is wrong and where. The wall time
and peak memory of each run are recorded, not asserted: set OPENSTATS_RELIABILITY_TABLE
to a file name to get them as the Markdown table of docs/reliability.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import Run, openstats_command, openstats_env, run_limited

from .bad_files import CORPUS, BadFile, Expect
from .pairs import Pair

MEASURED: dict[str, tuple[BadFile, Run, dict[str, Any]]] = {}


@pytest.fixture(scope="module", autouse=True)
def table() -> Iterator[None]:
    yield
    target = os.environ.get("OPENSTATS_RELIABILITY_TABLE")
    if target and MEASURED:
        rows = ["| case | what was uploaded | what the publisher is told | exit | time (s) "
                "| peak RSS (MB) |", "|---|---|---|---|---|---|"]
        for case in CORPUS:
            if case.id not in MEASURED:
                continue
            _, run, report = MEASURED[case.id]
            told = "; ".join(
                f"`{r['rule']}` at {where(r['findings'][0])}: {r['findings'][0]['message']}"
                .replace("|", "\\|") for r in report["rules"])
            rows.append(f"| {case.id} | {case.what} | {told or 'no findings'} | {run.code} "
                        f"| {run.seconds:.2f} | {run.peak_rss_mb:.0f} |")
        Path(target).write_text("\n".join(rows) + "\n")


def where(finding: dict[str, Any]) -> str:
    """file:row:column, as the report shows a finding's place."""
    return ":".join(str(p) for p in (finding["file"], finding["row"], finding["column"])
                    if p is not None)


def finding_for(report: dict[str, Any], expect: Expect, pair: Pair) -> dict[str, Any] | None:
    file = pair.data_name if expect.file == "data" else pair.meta_name
    for entry in report["rules"]:
        if entry["rule"] != expect.rule:
            continue
        for f in entry["findings"]:
            if (f["file"], f["row"], f["column"]) == (file, expect.row, expect.column) and \
                    expect.text in f["message"]:
                return f  # type: ignore[no-any-return]
    return None


@pytest.mark.parametrize("case", CORPUS, ids=str)
def test_bad_file_gets_a_clear_answer(case: BadFile, tmp_path: Path,
                                      reference_dir: Path) -> None:
    pair = case.build()
    data, meta = pair.write(tmp_path / "files")
    run = run_limited([*openstats_command(), "screen", data, meta, "--json"],
                      env=openstats_env(tmp_path / "data", reference_dir=reference_dir),
                      cwd=tmp_path)
    assert not run.killed_at_deadline, f"{case.id}: still running after {run.seconds:.0f} s"
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-3000:]
    assert run.code == (0 if case.passes else 1), (run.code, run.stderr[-2000:])
    # The report is bounded too: findings quote at most a few hundred characters.
    assert len(run.stdout) < 200_000, f"a {len(run.stdout):,}-character report"
    report = json.loads(run.stdout)
    assert report["passed"] is case.passes
    seen = [(r["rule"], f["file"], f["row"], f["column"], f["message"])
            for r in report["rules"] for f in r["findings"]]
    for expect in case.expect:
        assert finding_for(report, expect, pair), f"{expect} not in {seen}"
    if not case.expect:
        assert seen == []
    MEASURED[case.id] = (case, run, report)
    # Screening leaves nothing behind in the data folder it was given.
    leftovers = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert leftovers == []
