"""How many DuckDB threads a screening uses: one for a file too small to share out
(standards/screening/load.py, ONE_THREAD_BYTES), DuckDB's own choice for a larger one,
and always the number the caller asks for."""

from __future__ import annotations

from pathlib import Path

import duckdb

from openstats.standards.screening.load import ONE_THREAD_BYTES
from openstats.standards.screening.screen import screen

from .pairs import base


def threads_used(tmp_path: Path, copies: int, threads: int | None = None) -> tuple[int, int]:
    """The threads of the screening of the base pair with its rows `copies` times over,
    and the data file's size."""
    pair = base()
    pair.rows = [row[:] for _ in range(copies) for row in pair.rows]
    data, meta = pair.write(tmp_path)
    with screen(data, meta, workdir=tmp_path, threads=threads) as screening:
        assert screening.report.row_count == len(pair.rows)
        assert screening.con is not None
        used = screening.con.execute("SELECT current_setting('threads')").fetchone()
        assert used is not None
        return int(used[0]), data.stat().st_size


def test_a_small_file_is_screened_on_one_thread(tmp_path: Path) -> None:
    assert threads_used(tmp_path, 1) == (1, len(base().data_text()))


def test_a_larger_file_keeps_duckdbs_threads(tmp_path: Path) -> None:
    threads, size = threads_used(tmp_path, 2 * ONE_THREAD_BYTES // len(base().data_text()))
    assert size > ONE_THREAD_BYTES
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()
    assert default is not None and threads == default[0]


def test_the_callers_threads_win(tmp_path: Path) -> None:
    assert threads_used(tmp_path, 1, threads=2)[0] == 2
