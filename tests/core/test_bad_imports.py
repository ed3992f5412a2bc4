"""`openstats import` of every bad file in the corpus changes nothing, on SQLite and PostgreSQL.

A data folder that already holds one data set is snapshotted (every file by content, every
catalogue row); each refused pair is imported, which must exit 1 with the finding in its
output and no traceback, and the snapshot must be the same afterwards. Pairs with warnings
only are imported, as they should be.

The good pair and the first refused one are imported by real processes under resource
limits: the command's wiring (entry point, exit status, what reaches the terminal). The
rest run the same entry point (`openstats.cli.main`) in this process, which answers with
the same exit status and output without paying a process start per case (28 per database,
most of this file's time). Each file of the corpus is also screened by its own process
under the same limits in tests/standards/test_bad_files.py, so a hang or runaway memory in
the screener is still caught by a kernel limit.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest

from openstats import cli
from openstats.platform import open_platform
from openstats.settings import Settings
from tests.conftest import REFERENCE
from tests.reliability import (
    Run,
    differences,
    openstats_command,
    openstats_env,
    run_limited,
    snapshot,
)
from tests.standards.bad_files import CORPUS
from tests.standards.pairs import base


def versions(data_dir: Path, database_url: str) -> int:
    platform = open_platform(Settings(data_dir=data_dir, database_url=database_url,
                                      reference_dir=REFERENCE))
    try:
        return platform.catalogue.counts()["data_set_versions"]
    finally:
        platform.close()


def run_in_process(args: list[str | Path], env: dict[str, str],
                   monkeypatch: pytest.MonkeyPatch) -> Run:
    """`openstats ARGS` through the console script's own function, in this process: its
    exit status and what it printed. An exception that escapes it fails the test here (a
    process would have printed its traceback)."""
    out, err = io.StringIO(), io.StringIO()
    with monkeypatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(sys, "argv", ["openstats", *map(str, args)])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
    # Rich wraps to the terminal's width, which this process's consoles took from its own
    # terminal (a process is told COLUMNS=200): compare words, not line breaks.
    return Run(code, " ".join(out.getvalue().split()), " ".join(err.getvalue().split()),
               0.0, 0.0, killed_at_deadline=False)


def test_refused_imports_leave_storage_unchanged(tmp_path: Path, database_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    env = openstats_env(data_dir, database_url, REFERENCE)
    command = [*openstats_command(), "import"]
    first = run_limited([*command, *base().write(tmp_path / "good")], env=env)
    assert first.code == 0, first.stderr[-2000:]
    before = snapshot(data_dir, database_url)
    assert any(name.startswith("files/versions/") for name in before["files"])
    imported = 1
    in_a_process = next(case for case in CORPUS if not case.passes)
    for case in CORPUS:
        pair = case.build()
        data, meta = pair.write(tmp_path / case.id)
        if case is in_a_process:
            run = run_limited([*command, data, meta], env=env)
        else:
            run = run_in_process(["import", data, meta], env, monkeypatch)
        assert not run.killed_at_deadline, case.id
        assert "Traceback" not in run.stdout + run.stderr, (case.id, run.stderr[-3000:])
        if case.passes:
            assert run.code == 0, (case.id, run.stdout[-2000:], run.stderr[-2000:])
            imported += 1
            assert versions(data_dir, database_url) == imported
            before = snapshot(data_dir, database_url)  # the new version is the new normal
            continue
        assert run.code == 1, (case.id, run.code, run.stderr[-2000:])
        shown = run.stdout + run.stderr
        for expect in case.expect:
            assert expect.rule in shown, (case.id, expect.rule, shown[-2000:])
        assert "nothing was imported" in shown, (case.id, shown[-2000:])
        after = snapshot(data_dir, database_url)
        assert differences(before, after) == [], case.id


def test_long_labels_are_stored_and_keep_their_ids(tmp_path: Path, database_url: str) -> None:
    """Filter values of 1 MB (the screener only warns) import on PostgreSQL too, whose
    unique index stops at about 2.7 kB, and keep their public ids in the next version."""
    from openstats.ingest.service import import_pair
    from tests.standards.bad_files import long_cells_many_rows

    platform = open_platform(Settings(data_dir=tmp_path / "data", database_url=database_url,
                                      reference_dir=REFERENCE))
    data_set_id = "cccccccc-0000-4000-8000-000000000003"
    try:
        ids = []
        for n, pair in enumerate([long_cells_many_rows(),
                                  long_cells_many_rows().cell(3, "enrolments", "7")]):
            data, meta = pair.write(tmp_path / f"v{n}")
            result = import_pair(platform.catalogue, platform.storage, platform.settings,
                                 data, meta, data_set_id=data_set_id, publication_id=None,
                                 title="Long labels")
            assert result.created
            sex = platform.catalogue.metadata.get(result.version_id).filter_by_column["sex"]
            ids.append({o.label[:9]: o.public_id for o in sex.options})
        assert ids[0] == ids[1] and len(ids[0]) == 10
    finally:
        platform.close()
