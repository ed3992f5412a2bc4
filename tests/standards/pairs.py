"""A tiny valid data/meta pair, built in code, and helpers to break it one way at a time.

The base pair is a national data set in the open data standards: two academic years,
two filters (`school_type`, `sex`, both with a `Total` option) and two indicators. It
screens with no findings at all (lookups included), so every finding a mutated copy gets
comes from the mutation.

Rows are numbered as the screener numbers them: the header is row 1, the first data row
row 2 (meta rows likewise).
"""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from openstats.standards.findings import Report
from openstats.standards.screening.screen import screen

HEADER: list[str] = [
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "school_type", "sex", "enrolments", "attendance_rate",
]
_CELLS = [  # school_type, sex, enrolments, attendance_rate; repeated for each year
    ("Total", "Total", "1000", "95.1"),
    ("Total", "Boys", "510", "94.8"),
    ("Total", "Girls", "490", "95.4"),
    ("Primary", "Total", "600", "96.0"),
    ("Secondary", "Total", "400", "93.7"),
]
ROWS: list[list[str]] = [
    [period, "Academic year", "National", "E92000001", "England", st, sex,
     str(int(n) + offset), rate]
    for period, offset in (("201819", 0), ("201920", 7))
    for st, sex, n, rate in _CELLS
]
META_HEADER: list[str] = [
    "col_name", "col_type", "label", "indicator_grouping", "indicator_unit", "indicator_dp",
    "filter_hint", "filter_grouping_column",
]
META_ROWS: list[list[str]] = [
    ["school_type", "Filter", "School type", "", "", "", "Filter by school type", ""],
    ["sex", "Filter", "Sex", "", "", "", "Filter by sex", ""],
    ["enrolments", "Indicator", "Number of enrolments", "", "", "0", "", ""],
    ["attendance_rate", "Indicator", "Attendance rate", "", "%", "1", "", ""],
]
# Spreadsheet row numbers of the meta rows, by col_name.
META_ROW = {"school_type": 2, "sex": 3, "enrolments": 4, "attendance_rate": 5}
LAST_ROW = len(ROWS) + 1  # spreadsheet row number of the last data row


def to_csv(header: list[str], rows: list[list[str]], eol: str = "\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=eol)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@dataclass
class Pair:
    """A data file and its meta file, as cells, with optional raw bytes instead."""

    header: list[str] = field(default_factory=lambda: list(HEADER))
    rows: list[list[str]] = field(default_factory=lambda: copy.deepcopy(ROWS))
    meta_header: list[str] = field(default_factory=lambda: list(META_HEADER))
    meta_rows: list[list[str]] = field(default_factory=lambda: copy.deepcopy(META_ROWS))
    data_name: str = "pupils.csv"
    meta_name: str = "pupils.meta.csv"
    eol: str = "\n"
    data_bytes: bytes | None = None  # when set, written instead of header + rows
    meta_bytes: bytes | None = None

    # --- data file ------------------------------------------------------------------------
    def cell(self, row: int, column: str, value: str) -> Pair:
        """Set one cell; `row` is the spreadsheet row number (2 = first data row)."""
        self.rows[row - 2][self.header.index(column)] = value
        return self

    def column(self, column: str, value: str) -> Pair:
        """Set a column to one value on every row."""
        at = self.header.index(column)
        for row in self.rows:
            row[at] = value
        return self

    def add_column(self, name: str, values: str | list[str], at: int | None = None) -> Pair:
        at = len(self.header) if at is None else at
        cells = [values] * len(self.rows) if isinstance(values, str) else values
        self.header.insert(at, name)
        for row, value in zip(self.rows, cells, strict=True):
            row.insert(at, value)
        return self

    def add_column_block(self, count: int, prefix: str = "extra") -> Pair:
        """Append `count` columns `extra_0`... with small repeating values (fast: wide
        files have thousands of columns)."""
        self.header += [f"{prefix}_{i}" for i in range(count)]
        for n, row in enumerate(self.rows):
            row += [str(n % 3)] * count
        return self

    def drop_column(self, name: str) -> Pair:
        at = self.header.index(name)
        del self.header[at]
        for row in self.rows:
            del row[at]
        return self

    def rename(self, old: str, new: str) -> Pair:
        """Rename a column in the data file and in the meta file."""
        self.header[self.header.index(old)] = new
        for meta_row in self.meta_rows:
            if meta_row[0] == old:
                meta_row[0] = new
        return self

    def add_row(self, **cells: str) -> Pair:
        """Append a row like the first one, with some cells replaced."""
        row = list(self.rows[0])
        for column, value in cells.items():
            row[self.header.index(column)] = value
        self.rows.append(row)
        return self

    def copy_row(self, row: int, **cells: str) -> Pair:
        """Append a copy of data row `row` (spreadsheet numbering), some cells replaced."""
        self.rows.append(list(self.rows[row - 2]))
        for column, value in cells.items():
            self.rows[-1][self.header.index(column)] = value
        return self

    def replace(self, column: str, old: str, new: str) -> Pair:
        at = self.header.index(column)
        for row in self.rows:
            if row[at] == old:
                row[at] = new
        return self

    # --- meta file ------------------------------------------------------------------------
    def meta(self, col_name: str, field_name: str, value: str) -> Pair:
        """Set one cell of the meta row describing `col_name`."""
        at = self.meta_header.index(field_name)
        for meta_row in self.meta_rows:
            if meta_row[0] == col_name:
                meta_row[at] = value
                return self
        raise KeyError(col_name)

    def add_meta_row(self, **fields: str) -> Pair:
        self.meta_rows.append([fields.get(name, "") for name in self.meta_header])
        return self

    def drop_meta_row(self, col_name: str) -> Pair:
        self.meta_rows = [r for r in self.meta_rows if r[0] != col_name]
        return self

    def add_meta_column(self, name: str, values: dict[str, str] | None = None) -> Pair:
        values = values or {}
        self.meta_header.append(name)
        for meta_row in self.meta_rows:
            meta_row.append(values.get(meta_row[0], ""))
        return self

    def drop_meta_column(self, name: str) -> Pair:
        at = self.meta_header.index(name)
        del self.meta_header[at]
        for meta_row in self.meta_rows:
            del meta_row[at]
        return self

    # --- files ----------------------------------------------------------------------------
    def data_text(self) -> bytes:
        if self.data_bytes is not None:
            return self.data_bytes
        return to_csv(self.header, self.rows, self.eol)

    def meta_text(self) -> bytes:
        if self.meta_bytes is not None:
            return self.meta_bytes
        return to_csv(self.meta_header, self.meta_rows, self.eol)

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        data, meta = folder / self.data_name, folder / self.meta_name
        data.write_bytes(self.data_text())
        meta.write_bytes(self.meta_text())
        return data, meta

    def screen(self, folder: Path, reference_dir: Path | None = None, **options: object
               ) -> Report:
        """Write the pair into `folder`, screen it and return the report."""
        data, meta = self.write(folder)
        with screen(data, meta, reference_dir=reference_dir, workdir=folder,
                    **options) as screening:  # type: ignore[arg-type]
            return screening.report


def base() -> Pair:
    return Pair()
