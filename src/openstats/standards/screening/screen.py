"""screen(): every check of the open data standards over a data CSV and its meta CSV.

It streams: the data file is hashed and scanned in chunks, then parsed by DuckDB into an
on-disk table of text cells (memory is capped, DuckDB spills to disk), and each check is a
SQL query over that table. The meta file is small and checked in Python. The finished
`Screening` keeps its DuckDB table so that an import can reuse it instead of reading the
CSV again.

Row numbers in findings count the header as row 1, as a spreadsheet shows them: blank
lines and rows the parser rejects keep their numbers (`Screening.row_number`).

The checks live in checks/, one module per family; the loading of the cells in load.py;
what they share (SQL, the batch of row-by-row counts) in engine.py. This module holds the
order they run in.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openstats.errors import UsageError
from openstats.standards import bidi
from openstats.standards.screening import load
from openstats.standards.screening.background import Deferred
from openstats.standards.screening.checks import (
    duplicates,
    files,
    filters,
    geography,
    indicators,
    meta,
    profile,
    text,
    time,
)
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.result import Screening
from openstats.storage import owners


def screen(
    data_path: Path,
    meta_path: Path,
    *,
    reference_dir: Path | None = None,
    workdir: Path | None = None,
    memory_limit: str = "512MB",
    threads: int | None = None,
) -> Screening:
    """Run every check over a data/meta pair. The caller closes the returned Screening.

    Raises UsageError when either path is not a file; everything wrong inside the files
    is a finding in the report.
    """
    for path in (Path(data_path), Path(meta_path)):
        if not path.is_file():
            raise UsageError("file not found", where=str(path))
    # Marked as ours like every staging folder: another process starting on the same data
    # folder (a replica, a restart, `openstats load`) sweeps staging, and keeps only the
    # folders of live owners (storage/owners.py).
    work = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-screen-", dir=workdir))
    owners.mark(work / owners.OWNER)
    s = Screening(Path(data_path), Path(meta_path), work)
    try:
        _run(Checker(s, reference_dir, memory_limit, threads))
    except BaseException:
        s.close()
        raise
    return s


def _run(ck: Checker) -> None:
    files.check_file_names(ck)
    # The data file's byte scan runs in the background while DuckDB loads the cells;
    # the findings of both files are held back and added in the order of the checks
    # once the scan is done.
    report, ck.r = ck.r, Deferred(ck.r)  # type: ignore[assignment]
    try:
        header_ok = files.check_data_file(ck)
        meta.check_meta_file(ck)
        loaded = load.load_cells(ck) if header_ok else False
        load.finish_data_scan(ck, loaded)
    finally:
        deferred, ck.r = ck.r, report
    deferred.replay()  # type: ignore[attr-defined]
    if header_ok:
        load.load(ck)
    if ck.s.con is not None:
        meta.check_meta_against_data(ck)
    if ck.s.con is not None and ck.s.row_count:
        # Row-by-row conditions are counted together in one scan (count_batch), and
        # their findings added in the order of the checks.
        report, ck.r = ck.r, Deferred(ck.r)  # type: ignore[assignment]
        ck.batch = {}
        try:
            ck.group_cells()
            profile.profile_columns(ck)
            time.check_time(ck)
            geography.check_geography(ck)
            filters.check_filters(ck)
            indicators.check_indicators(ck)
            duplicates.check_duplicates(ck)
            text.check_text_cells(ck)
            # Its own module: direction controls in labels and cells.
            bidi.check(ck, text.text_columns(ck))
            ck.count_batch()
        finally:
            deferred, ck.r = ck.r, report
            ck.batch = None  # what the handlers ask for now is counted at once
        deferred.replay()  # type: ignore[attr-defined]
    ck.r.row_count = ck.s.row_count
