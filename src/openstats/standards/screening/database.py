"""Where a screening loads the data file's cells: a DuckDB database of its own.

A larger file gets a database file in the screening's working folder, so that its table
can spill out of memory, on the threads the caller asks for (DuckDB's own choice if
none). A small file (load.SMALL_FILE_BYTES) gets a database in memory, attached to one
DuckDB instance that the process keeps for small screenings. Creating an instance costs
about 17 ms of CPU, a quarter of a tiny pair's whole screening, and attaching a database
to a running one about 1 ms (measured here, 2026-12-04). Each screening still has its own
connection (a cursor of the instance) and its own database, so screenings in different
threads see nothing of each other: their temporary tables live and die with their
connection, and closing detaches the database and frees its memory.

The kept instance runs on one thread: a small file cannot fill even one of DuckDB's
row groups, so more threads only wait on each other. A caller that asks for more threads
gets an instance of its own. Spilling is off for it (nothing the size of a small file
needs to spill), so the memory limit, shared by the small screenings running at once, is
met or the screening says that the file needs more memory than it may use.
"""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import duckdb

from openstats.standards.screening.sql import lit

# The kept instances, by (process, memory limit): a forked child must not use its
# parent's instance (its threads and locks were not copied), so it makes its own.
_KEPT: dict[tuple[int, str], duckdb.DuckDBPyConnection] = {}
_KEPT_LOCK = threading.Lock()
_NAMES = itertools.count(1)
# The instance's own database, to which a connection returns before detaching its own.
_HOME = "memory"


def open_cells(workdir: Path, attempt: int, small: bool, memory_limit: str,
               threads: int | None) -> tuple[duckdb.DuckDBPyConnection, str | None]:
    """A connection to a new, empty database for one load of the cells, and the name of
    the database attached for it in the kept instance (None when it has one of its own)."""
    if small and threads in (None, 1):
        con = _kept(memory_limit).cursor()
        name = f"screening_{next(_NAMES)}"
        con.execute(f"ATTACH ':memory:' AS {name}")
        con.execute(f"USE {name}")
        return con, name
    con = duckdb.connect(":memory:" if small else str(workdir / f"screen-{attempt}.duckdb"))
    con.execute(f"SET memory_limit = {lit(memory_limit)}")
    con.execute(f"SET temp_directory = {lit(str(workdir / 'spill'))}")
    con.execute("SET preserve_insertion_order = true")
    # The database is thrown away after screening and import (Screening.close): closing it
    # must not first checkpoint it, i.e. write every table compressed into the file, which
    # took 4-5 s of a 10-million-row import.
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    if threads or small:
        con.execute(f"SET threads = {int(threads or 1)}")
    return con, None


def close_cells(con: duckdb.DuckDBPyConnection, attached: str | None) -> None:
    """Close a connection from open_cells; a database attached for it goes with it."""
    try:
        if attached is not None:
            con.execute(f"USE {_HOME}")
            con.execute(f"DETACH DATABASE IF EXISTS {attached}")
    finally:
        con.close()


def _kept(memory_limit: str) -> duckdb.DuckDBPyConnection:
    key = (os.getpid(), memory_limit)
    with _KEPT_LOCK:
        instance = _KEPT.get(key)
        if instance is None:
            instance = duckdb.connect(":memory:")
            instance.execute(f"SET memory_limit = {lit(memory_limit)}")
            instance.execute("SET temp_directory = ''")
            instance.execute("SET preserve_insertion_order = true")
            instance.execute("SET threads = 1")
            _KEPT[key] = instance
        return instance
