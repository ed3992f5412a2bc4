"""What screening a pair of files gives: the meta file's columns, and the Screening (the
report, the loaded DuckDB table an import reuses, row numbering)."""

from __future__ import annotations

import shutil
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import duckdb

from openstats.standards.csvfile import ByteScan
from openstats.standards.findings import Report
from openstats.standards.screening.database import close_cells
from openstats.standards.screening.sql import DATA


@dataclass
class MetaColumn:
    """One row of the meta file, as a filter or an indicator of the data set."""

    name: str
    col_type: str
    label: str
    indicator_grouping: str
    indicator_unit: str
    indicator_dp: int | None
    filter_hint: str
    filter_grouping_column: str
    parent_filter: str
    filter_default: str
    row: int

    @property
    def is_filter(self) -> bool:
        return self.col_type == "Filter"

    @property
    def is_indicator(self) -> bool:
        return self.col_type == "Indicator"


class Screening:
    """The result of screening a pair of files: the report, and the loaded table if any.

    Use it as a context manager: closing it removes its working folder.
    """

    def __init__(self, data_path: Path, meta_path: Path, workdir: Path) -> None:
        self.data_path = data_path  # as given: a .csv, or a .csv.gz kept as it is
        self.csv_path = data_path  # the CSV read: the unpacked copy of a .csv.gz
        self.meta_path = meta_path
        self.workdir = workdir
        self.report = Report(data_path.name, meta_path.name)
        self.header: list[str] = []
        self.meta: list[MetaColumn] = []
        self.data_scan: ByteScan | None = None
        self.meta_scan: ByteScan | None = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.attached: str | None = None  # its database's name in a shared instance
        self.row_count = 0
        self.lookups_checked = False
        self.meta_read = False  # the meta file could be parsed (its rows may still be bad)
        # Rows of the file that are not in the table (blank lines, rejected rows), as
        # rowid thresholds: see row_number.
        self.skipped_rows: list[int] = []
        # Temporary tables of the distinct combinations of some columns' cells, by the
        # columns they hold (see Checker.group_cells).
        self.grouped: dict[str, set[str]] = {}

    def cells_of(self, columns: Iterable[str]) -> str:
        """A table holding every distinct combination of these columns' cells: a table
        of grouped cells if one has them all, else the data table."""
        wanted = set(columns)
        return next((t for t, have in self.grouped.items() if wanted <= have), DATA)

    def row_number(self, rowid: int) -> int:
        """The spreadsheet row number (header = 1) of the table row with this rowid.

        The table holds only the rows the parser loaded, so each blank line or rejected
        row before a row moves it one further down the file.
        """
        return rowid + 2 + bisect_right(self.skipped_rows, rowid)

    @property
    def filters(self) -> list[MetaColumn]:
        # Every Filter row is a filter, grouping columns named as rows included: EES's
        # importer drops those, but they carry hierarchy levels we must not lose.
        return [m for m in self.meta if m.is_filter]

    @property
    def indicators(self) -> list[MetaColumn]:
        return [m for m in self.meta if m.is_indicator]

    def close_cells(self) -> None:
        """Close the connection to the loaded cells (and their database)."""
        if self.con is not None:
            con, self.con = self.con, None
            close_cells(con, self.attached)
            self.attached = None

    def close(self) -> None:
        self.close_cells()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Screening:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
