"""How a screening's DuckDB is set up: a file too small to share out among threads
(standards/screening/load.py, SMALL_FILE_BYTES) is loaded on one thread into a database
in memory; a larger one on DuckDB's own choice of threads into a database file, which
can spill out of memory; and the threads are always the number the caller asks for."""

from __future__ import annotations

from pathlib import Path

import duckdb

from openstats.standards.screening.load import SMALL_FILE_BYTES
from openstats.standards.screening.screen import screen

from .pairs import base


def threads_used(tmp_path: Path, copies: int, threads: int | None = None
                 ) -> tuple[int, int, str]:
    """The threads of the screening of the base pair with its rows `copies` times over,
    the data file's size, and the file its database is in ("" for one in memory)."""
    pair = base()
    pair.rows = [row[:] for _ in range(copies) for row in pair.rows]
    data, meta = pair.write(tmp_path)
    with screen(data, meta, workdir=tmp_path, threads=threads) as screening:
        assert screening.report.row_count == len(pair.rows)
        assert screening.con is not None
        used = screening.con.execute("SELECT current_setting('threads')").fetchone()
        database = screening.con.execute(
            "SELECT coalesce(path, '') FROM duckdb_databases() "
            "WHERE database_name = current_database()").fetchone()
        assert used is not None and database is not None
        return int(used[0]), data.stat().st_size, str(database[0])


def test_a_small_file_is_screened_on_one_thread_in_memory(tmp_path: Path) -> None:
    assert threads_used(tmp_path, 1) == (1, len(base().data_text()), "")


def test_a_larger_file_keeps_duckdbs_threads(tmp_path: Path) -> None:
    threads, size, database = threads_used(
        tmp_path, 2 * SMALL_FILE_BYTES // len(base().data_text()))
    assert size > SMALL_FILE_BYTES
    assert database.endswith(".duckdb") and database.startswith(str(tmp_path))
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()
    assert default is not None and threads == default[0]


def test_the_callers_threads_win(tmp_path: Path) -> None:
    assert threads_used(tmp_path, 1, threads=2)[0] == 2


def test_small_screenings_share_an_instance_but_not_their_cells(tmp_path: Path) -> None:
    """Small files' databases are attached to one kept DuckDB instance (database.py):
    screenings running at once each see only their own rows, and closing one detaches
    its database, so the instance does not grow with every upload."""
    from concurrent.futures import ThreadPoolExecutor

    from openstats.standards.screening import database

    def rows_seen(copies: int) -> tuple[int, str]:
        pair = base()
        pair.rows = [row[:] for _ in range(copies) for row in pair.rows]
        folder = tmp_path / f"pair-{copies}"
        folder.mkdir()
        data, meta = pair.write(folder)
        with screen(data, meta, workdir=folder) as screening:
            assert screening.con is not None and screening.attached is not None
            (count,) = screening.con.execute("SELECT count(*) FROM data").fetchone() or (0,)
            return count, screening.attached

    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(rows_seen, range(1, 9)))
    rows = len(base().rows)
    assert [count for count, _ in seen] == [rows * copies for copies in range(1, 9)]
    assert len({name for _, name in seen}) == 8  # a database each
    kept = database._kept("512MB")
    left = kept.execute("SELECT database_name FROM duckdb_databases() "
                        "WHERE database_name LIKE 'screening_%'").fetchall()
    assert left == []
