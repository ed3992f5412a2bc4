"""The screener: every check of the open data standards over a data CSV and its meta CSV.

It streams: the data file is hashed and scanned in chunks, then parsed by DuckDB into an
on-disk table of text cells (memory is capped, DuckDB spills to disk), and each check is a
SQL query over that table. The meta file is small and checked in Python. The finished
`Screening` keeps its DuckDB table so that an import can reuse it instead of reading the
CSV again.

Row numbers in findings count the header as row 1, as a spreadsheet shows them: blank
lines and rows the parser rejects keep their numbers (`Screening.row_number`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from openstats.errors import UsageError
from openstats.standards import bidi, geography, meta_columns, symbols, time_periods
from openstats.standards.csvfile import (
    ByteScan,
    CsvProblem,
    find_blank_lines,
    normalise_line_endings,
    read_header,
    read_meta_rows,
    scan_bytes,
)
from openstats.standards.findings import CAP_PER_RULE
from openstats.standards.gzipped import is_gzipped, plain_name, unpack_gzip
from openstats.standards.reference import load_lookups
from openstats.standards.screening.background import Deferred, InBackground
from openstats.standards.screening.result import MetaColumn, Screening
from openstats.standards.screening.sql import DATA, LEVEL_CODE, TIME_CODE, blank, case, lit, q
from openstats.storage import owners

COLUMN_NAME = re.compile(meta_columns.COLUMN_NAME_PATTERN)
FILE_STEM = re.compile(meta_columns.FILE_STEM_PATTERN)
# Text a spreadsheet would take for a formula (CSV injection): =, +, @, a tab or carriage
# return first, or a minus that does not start a number. RE2 and Python read it alike.
FORMULA = re.compile(r"^[=+@\t\r]|^-[^0-9. ]")
FORMULA_MESSAGE = ("'{value}' in {column} starts like a spreadsheet formula: a spreadsheet "
                   "opening a download could run it.")
# An HTML tag or comment: '<' and a letter, '/' or '!', up to a '>'. "<5" is not one.
MARKUP = re.compile(r"<\s*[A-Za-z/!][^>]*>")
MARKUP_MESSAGE = "'{value}' in {column} looks like HTML; it will be shown as typed."
MAX_SKIPPED_ROWS = 1_000_000  # blank or rejected rows tracked for row numbering
# The longest line the parser reads (about 10 MB); longer lines are rejected, one by one.
MAX_LINE_BYTES = 10_000_000


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
        _Checks(s, reference_dir, memory_limit, threads).run()
    except BaseException:
        s.close()
        raise
    return s


class _Checks:
    def __init__(self, s: Screening, reference_dir: Path | None, memory_limit: str,
                 threads: int | None) -> None:
        self.s = s
        self.r = s.report
        self.data = s.data_path.name
        self.meta_file = s.meta_path.name
        self.reference_dir = reference_dir
        self.memory_limit = memory_limit
        self.threads = threads
        self._scan: InBackground[ByteScan] | None = None  # the data file's byte scan
        self._attempts = 0  # databases created to load the cells
        self._unreadable: str | None = None  # why the parser gave up, if it did
        # While the checks are batched: the aggregates they asked for, and their values.
        self._batch: dict[str, object] | None = None
        # Tables of grouped cells and their columns (group_cells).
        self._grouped: dict[str, set[str]] = {}

    # --- orchestration ------------------------------------------------------------------
    def run(self) -> None:
        self.check_file_names()
        # The data file's byte scan runs in the background while DuckDB loads the cells;
        # the findings of both files are held back and added in the order of the checks
        # once the scan is done.
        report, self.r = self.r, Deferred(self.r)  # type: ignore[assignment]
        try:
            header_ok = self.check_data_file()
            self.check_meta_file()
            loaded = self.load_cells() if header_ok else False
            self.finish_data_scan(loaded)
        finally:
            deferred, self.r = self.r, report
        deferred.replay()  # type: ignore[attr-defined]
        if header_ok:
            self.load()
        if self.s.con is not None:
            self.check_meta_against_data()
        if self.s.con is not None and self.s.row_count:
            # Row-by-row conditions are counted together in one scan (count_batch), and
            # their findings added in the order of the checks.
            report, self.r = self.r, Deferred(self.r)  # type: ignore[assignment]
            self._batch = {}
            try:
                self.group_cells()
                self.profile_columns()
                self.check_time()
                self.check_geography()
                self.check_filters()
                self.check_indicators()
                self.check_duplicates()
                self.check_text_cells()
                bidi.check(self)  # its own module: direction controls in labels and cells
                self.count_batch()
            finally:
                deferred, self.r = self.r, report
                self._batch = None  # what the handlers ask for now is counted at once
            deferred.replay()  # type: ignore[attr-defined]
        self.r.row_count = self.s.row_count

    def sql(self, query: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        assert self.s.con is not None
        return self.s.con.execute(query, list(params)).fetchall()

    def first_rows(self, condition: str, select: str, total: int | None = None
                   ) -> tuple[list[tuple[Any, ...]], int]:
        """The first rows matching `condition`, as (row number, *values of `select`), and
        how many rows match (`total`, when already counted)."""
        if total == 0:
            return [], 0
        rows = self.sql(f"SELECT rowid, {select} FROM {DATA} WHERE {condition} "
                        f"ORDER BY rowid LIMIT {CAP_PER_RULE}")
        if total is None:
            total = len(rows)
            if total == CAP_PER_RULE:
                total = self.sql(f"SELECT count(*) FROM {DATA} WHERE {condition}")[0][0]
        return [(self.s.row_number(rowid), *values) for rowid, *values in rows], total

    def when_rows(self, condition: str, select: str,
                  handler: Callable[[list[tuple[Any, ...]], int], None]) -> None:
        """Call `handler` with first_rows(condition, select): at once, or, while the checks
        are batched, after one scan has counted the rows of every condition (only the
        conditions some row meets cost a query of their own)."""
        count = f"count_if({condition})"
        self.with_aggregates([count], lambda values: handler(
            *self.first_rows(condition, select, None if values is None else values[0])))

    def with_aggregates(self, aggregates: list[str],
                        handler: Callable[[list[Any] | None], None]) -> None:
        """Call `handler` with the values of these aggregates over the data table.

        While the checks are batched, the aggregates of every check are computed together
        (count_batch) and the handlers called in order afterwards; otherwise the handler is
        called at once with None.
        """
        batch = self._batch
        if batch is None:
            handler(None)
            return
        for aggregate in aggregates:
            batch.setdefault(aggregate, None)
        self.r.call(lambda: handler([batch[a] for a in aggregates]))  # type: ignore[attr-defined]

    def count_batch(self) -> None:
        """Compute the aggregates of the batch, 200 to a scan.

        An aggregate that only reads columns of a table of grouped cells (group_cells) is
        computed over that table, weighting each group by its row count.
        """
        assert self._batch is not None
        aggregates = list(self._batch)
        by_source: dict[str, list[tuple[str, str]]] = {DATA: []}
        for aggregate, columns in zip(aggregates, self.columns_read(aggregates), strict=True):
            table = next((t for t, have in self._grouped.items()
                          if columns and columns <= have), None)
            counted = re.fullmatch(r"count_if\((.*)\)", aggregate, re.DOTALL)
            if table is not None and counted:
                physical = f"coalesce(sum(_os_n) FILTER (WHERE {counted[1]}), 0)"
            elif table is not None and aggregate.startswith("approx_count_distinct("):
                physical = aggregate  # a sketch of distinct values: repeats do not matter
            else:
                table, physical = DATA, aggregate
            by_source.setdefault(table, []).append((aggregate, physical))
        for source, items in by_source.items():
            for start in range(0, len(items), 200):
                part = items[start:start + 200]
                values = self.sql(f"SELECT {', '.join(p for _, p in part)} FROM {source}")[0]
                self._batch.update(zip((a for a, _ in part), values, strict=True))

    def columns_read(self, expressions: list[str]) -> list[set[str] | None]:
        """The columns each SQL expression reads (None if DuckDB cannot parse it)."""
        if not expressions:
            return []
        tree = json.loads(self.sql("SELECT json_serialize_sql(?)",
                                   [f"SELECT {', '.join(expressions)}"])[0][0])
        if tree.get("error"):
            return [None] * len(expressions)
        items = tree["statements"][0]["node"]["select_list"]

        def walk(node: object, found: set[str]) -> set[str]:
            if isinstance(node, dict):
                if node.get("class") == "COLUMN_REF":
                    found.add(node["column_names"][-1])
                for value in node.values():
                    walk(value, found)
            elif isinstance(node, list):
                for value in node:
                    walk(value, found)
            return found

        if len(items) != len(expressions):
            return [None] * len(expressions)
        return [walk(item, set()) for item in items]

    def group_cells(self) -> None:
        """Tables of the distinct combinations of some columns, with how many rows have
        each and the first of them: time and geography columns (and any others that are
        neither filters nor indicators), and the filter columns. A few thousand groups
        stand for millions of rows in the checks that read only those columns."""
        header = self.s.header
        indicators = {m.name for m in self.s.indicators}
        filters = [c for m in self.s.filters for c in (m.name, m.filter_grouping_column)
                   if c in header and c not in indicators]
        filters = list(dict.fromkeys(filters))
        others = [c for c in header if c not in indicators and c not in filters]
        self._grouped = {}
        for table, columns in (("_os_cells_g", others), ("_os_cells_f", filters)):
            if columns:
                self.s.con.execute(  # type: ignore[union-attr]
                    f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT "
                    f"{', '.join(q(c) for c in columns)}, count(*) AS _os_n, "
                    f"min(rowid) AS _os_first FROM {DATA} GROUP BY ALL")
                self._grouped[table] = set(columns)
        self.s.grouped = dict(self._grouped)

    def cells(self, *columns: str) -> tuple[str, str, str]:
        """Where to count rows by these columns: (table, first row's rowid, row count)
        aggregates, from a table of grouped cells if one has them all."""
        for table, have in self._grouped.items():
            if set(columns) <= have:
                return table, "min(_os_first)", "sum(_os_n)"
        return DATA, "min(rowid)", "count(*)"

    def add_rows(self, rule: str, condition: str, column: str, message: str,
                 column_in_finding: bool = True) -> None:
        """One finding per matching row (up to the cap); `message` may use {value},
        {column} and {row}."""
        def report(rows: list[tuple[Any, ...]], total: int) -> None:
            for i, (row, value) in enumerate(rows):
                self.r.add(rule, self.data,
                           message.format(value=value, column=column, row=row),
                           row=row, column=column if column_in_finding else None,
                           value=value if column_in_finding else None,
                           more=total - len(rows) if i == len(rows) - 1 else 0)

        self.when_rows(condition, q(column) if column else "NULL", report)

    # --- names --------------------------------------------------------------------------
    def check_file_names(self) -> None:
        for path, ending in ((self.s.data_path, ".csv"), (self.s.meta_path, ".meta.csv")):
            # A data file may come gzip-compressed: x.csv.gz is judged as x.csv.
            name = plain_name(path.name) if ending == ".csv" else path.name
            if not name.lower().endswith(ending) or (
                    ending == ".csv" and name.lower().endswith(".meta.csv")):
                self.r.add("file.name.extension", name,
                           f"'{name}' should end in {ending}.")
                continue
            stem = name[: -len(ending)]
            if " " in stem:
                self.r.add("file.name.spaces", name, f"'{name}' contains spaces.")
            bad = sorted({c for c in stem if not re.match(r"[A-Za-z0-9_ -]", c)})
            if bad:
                self.r.add("file.name.special", name,
                           f"'{name}' contains {' '.join(repr(c) for c in bad)}.")
            if stem.split(".")[0].upper() in meta_columns.WINDOWS_DEVICE_NAMES:
                self.r.add("file.name.reserved", name,
                           f"'{name}' is named like a Windows device ({stem.split('.')[0]}); "
                           "Windows cannot save a file of that name from a download.")
            if len(stem) > meta_columns.MAX_FILE_STEM:
                self.r.add("file.name.length", name,
                           f"The name part of '{name}' has {len(stem)} characters; "
                           f"at most {meta_columns.MAX_FILE_STEM} are allowed.")
        data_name, meta_name = plain_name(self.s.data_path.name), self.s.meta_path.name
        # Case-insensitive, as EES matches them (ONE.CSV goes with ONE.META.CSV).
        if data_name.lower().endswith(".csv") and \
                meta_name.lower() != data_name[:-4].lower() + ".meta.csv":
            self.r.add("file.names_match", meta_name,
                       f"The meta file for '{data_name}' should be called "
                       f"'{data_name[:-4]}.meta.csv', not '{meta_name}'.")

    # --- bytes and header ---------------------------------------------------------------
    def check_bytes(self, path: Path, file: str) -> ByteScan:
        scan = scan_bytes(path)
        self.report_scan(scan, file)
        return scan

    def report_scan(self, scan: ByteScan, file: str) -> None:
        if scan.has_bom:
            self.r.add("file.bom", file, "The file starts with a UTF-8 byte-order mark.", row=1)
        if scan.mixed_line_endings:
            self.r.add("file.line_endings", file,
                       f"{scan.crlf_lines} lines end in CRLF and {scan.lf_lines} in LF.")
        listed = scan.blank_lines[:CAP_PER_RULE]
        for i, line in enumerate(listed):
            extra = scan.blank_line_count - len(listed) if i == len(listed) - 1 else 0
            self.r.add("file.blank_row", file, f"Line {line} is blank.", row=line,
                       more=extra)

    def check_data_file(self) -> bool:
        """Byte-level and header checks; False when the cells cannot be loaded at all."""
        if is_gzipped(self.s.data_path):
            self.s.csv_path = self.s.workdir / plain_name(self.s.data_path.name)
            problem = unpack_gzip(self.s.data_path, self.s.csv_path)
            if problem is not None:
                self.r.add("file.compressed", self.data,
                           f"The data file cannot be read: {problem}.")
                return False
        if self.s.csv_path.stat().st_size == 0:
            self.r.add("file.empty", self.data, "The data file is empty: it has no header row.")
            return False
        try:
            header = read_header(self.s.csv_path)
        except CsvProblem as p:
            if p.rule == "file.empty":  # only line endings: nothing else worth saying
                self.r.add(p.rule, self.data, "The data file has no header row, only "
                           "blank lines.")
                return False
            if not p.whole_file:
                self.s.data_scan = self.check_bytes(self.s.csv_path, self.data)
            self.r.add(p.rule, self.data, p.message, row=p.line)
            return False
        # Blank lines are looked for only if the counts after loading say there are some.
        self._scan = InBackground(scan_bytes, self.s.csv_path, blank_lines=False)
        self.r.call(lambda: self.report_scan(self.scan_result(), self.data))  # type: ignore[attr-defined]
        if not header:
            self.r.add("file.header.blank", self.data, "The first line is blank: it must hold "
                       "the column names.", row=1)
            return False
        if len(header) > meta_columns.MAX_DATA_COLUMNS:
            # Each column costs the parser memory for a whole batch of rows: far more
            # columns than any statistics file has would exhaust the memory limit.
            self.r.add("file.too_many_columns", self.data,
                       f"The header has {len(header):,} columns; at most "
                       f"{meta_columns.MAX_DATA_COLUMNS:,} are allowed.", row=1)
            return False
        self.s.header = header
        loadable = True
        seen: set[str] = set()
        lowered: dict[str, str] = {}  # DuckDB (and SQL) column names ignore case
        for position, name in enumerate(header, start=1):
            if not name.strip():
                self.r.add("file.header.blank", self.data,
                           f"Column {position} of the header has no name.", row=1)
                loadable = False
                continue
            if name.lower() in lowered:
                first = lowered[name.lower()]
                self.r.add("file.header.duplicate", self.data,
                           f"The column name '{name}' appears more than once." if first == name
                           else f"The column names '{first}' and '{name}' differ only in "
                           "case.", row=1, column=name)
                loadable = False
            if name.lower() in meta_columns.RESERVED_COLUMN_NAMES:
                self.r.add("file.header.reserved", self.data,
                           f"'{name}' is a name the database keeps for itself.", row=1,
                           column=name)
                loadable = False
            seen.add(name)
            lowered.setdefault(name.lower(), name)
            if any(ch.isspace() for ch in name):
                # An error (EES's col_names_spaces fails it); other characters outside
                # snake_case are only awkward, so they stay a warning (below).
                self.r.add("file.header.space", self.data,
                           f"'{name}' has a space in it.", row=1, column=name, value=name)
            if not COLUMN_NAME.match(name):
                self.r.add("file.header.name_invalid", self.data,
                           f"'{name}' is not lower snake_case.", row=1, column=name,
                           value=name)
            elif len(name) > meta_columns.MAX_COLUMN_NAME:
                self.r.add("file.header.too_long", self.data,
                           f"'{name}' has {len(name)} characters.", row=1, column=name)
            if name.startswith("characteristic"):
                self.r.add("data.columns.characteristic", self.data,
                           f"'{name}' is a characteristic column.", row=1, column=name)
        for name in meta_columns.MANDATORY_DATA_COLUMNS:
            if name not in seen:
                self.r.add("data.columns.mandatory_missing", self.data,
                           f"The data file has no '{name}' column.", row=1, column=name)
        missing_country = [c for c in meta_columns.SCREENER_DATA_COLUMNS if c not in seen]
        if missing_country:
            self.r.add("data.columns.country_missing", self.data,
                       f"The data file has no {' or '.join(missing_country)} column.", row=1)
        return loadable

    # --- meta file ----------------------------------------------------------------------
    def check_meta_file(self) -> None:
        file = self.meta_file
        if self.s.meta_path.stat().st_size == 0:
            self.r.add("file.empty", file, "The meta file is empty: it has no header row.")
            return
        try:
            parsed = read_meta_rows(self.s.meta_path)
        except CsvProblem as p:
            if not p.whole_file:
                self.s.meta_scan = self.check_bytes(self.s.meta_path, file)
            self.r.add(p.rule, file, p.message, row=p.line)
            return
        self.s.meta_scan = self.check_bytes(self.s.meta_path, file)
        header, rows = parsed.header, parsed.rows
        self.s.meta_read = True
        for problem in parsed.problems:
            self.r.add(problem.rule, file, problem.message, row=problem.line)
        missing = [c for c in meta_columns.REQUIRED_META_COLUMNS if c not in header]
        for column in missing:
            self.r.add("meta.columns.missing", file, f"The meta file has no '{column}' column.",
                       row=1, column=column)
        allowed = set(meta_columns.REQUIRED_META_COLUMNS) | set(meta_columns.OPTIONAL_META_COLUMNS)
        for column in header:
            if column not in allowed:
                self.r.add("meta.columns.unknown", file,
                           f"'{column}' is not a meta file column.", row=1, column=column)
        if "col_name" not in header or "col_type" not in header:
            return
        meta: list[MetaColumn] = []
        for line, cells in rows:
            values = {k: (v or "").strip() for k, v in cells.items()}
            if not cells:
                continue  # an empty line: the byte scan reports it (file.blank_row)
            if not any(values.values()):
                self.r.add("meta.rows.blank", file, f"Row {line} is blank.", row=line)
                continue
            for column, raw in cells.items():
                if raw in symbols.NULL_MARKERS:
                    self.r.add("data.null_marker", file, f"'{raw}' in {column}.", row=line,
                               column=column, value=raw)
                self.check_text(raw or "", file, line, column)
            dp_text = values.get("indicator_dp", "")
            dp = int(dp_text) if dp_text.isdigit() else None
            meta.append(MetaColumn(
                name=values.get("col_name", ""), col_type=values.get("col_type", ""),
                label=values.get("label", ""),
                indicator_grouping=values.get("indicator_grouping", ""),
                indicator_unit=values.get("indicator_unit", ""), indicator_dp=dp,
                filter_hint=values.get("filter_hint", ""),
                filter_grouping_column=values.get("filter_grouping_column", ""),
                parent_filter=values.get("parent_filter", ""),
                filter_default=values.get("filter_default", ""), row=line,
            ))
            self.check_meta_row(meta[-1], cells)
        names = [m.name for m in meta]
        labels: dict[str, int] = {}
        groups: dict[str, str] = {}
        for m in meta:
            if m.name and names.count(m.name) > 1 and names.index(m.name) != meta.index(m):
                self.r.add("meta.col_name.duplicate", file, f"'{m.name}' is described again.",
                           row=m.row, column="col_name", value=m.name)
            if m.label:
                if m.label.lower() in labels:
                    self.r.add("meta.label.duplicate", file,
                               f"The label '{m.label}' is also used on row "
                               f"{labels[m.label.lower()]}.", row=m.row, column="label",
                               value=m.label)
                labels.setdefault(m.label.lower(), m.row)
            group = m.filter_grouping_column
            if group and m.is_filter:
                if group in groups:
                    self.r.add("meta.grouping.duplicate", file,
                               f"'{group}' already groups '{groups[group]}'.", row=m.row,
                               column="filter_grouping_column", value=group)
                groups.setdefault(group, m.name)
            if m.parent_filter and m.parent_filter not in {
                    x.name for x in meta if x.is_filter and x is not m}:
                self.r.add("meta.parent_filter.invalid", file,
                           f"parent_filter '{m.parent_filter}' of '{m.name}' is not a filter "
                           "in this file.", row=m.row, column="parent_filter",
                           value=m.parent_filter)
        if not any(m.is_indicator for m in meta):
            self.r.add("meta.no_filters_or_indicators", file,
                       "No row of the meta file is an Indicator.")
        self.s.meta = [m for m in meta if m.name]

    def check_text(self, text: str, file: str, row: int, column: str) -> None:
        """Formula and markup warnings for one piece of text from the meta file."""
        if FORMULA.search(text):
            self.r.add("data.formula", file, FORMULA_MESSAGE.format(value=text, column=column),
                       row=row, column=column, value=text)
        if MARKUP.search(text):
            self.r.add("data.markup", file, MARKUP_MESSAGE.format(value=text, column=column),
                       row=row, column=column, value=text)

    def check_meta_row(self, m: MetaColumn, cells: dict[str, str]) -> None:
        file, row = self.meta_file, m.row
        if not m.name:
            self.r.add("meta.col_name.blank", file, f"Row {row} has no col_name.", row=row,
                       column="col_name")
        elif (m.name in geography.GEOGRAPHY_COLUMNS or m.name in meta_columns.TIME_COLUMNS
              or m.name == "geographic_level") and m.name not in ("school_name",
                                                                  "provider_name"):
            self.r.add("meta.col_name.observational_unit", file,
                       f"'{m.name}' is a time or geography column.", row=row,
                       column="col_name", value=m.name)
        if m.col_type not in meta_columns.COL_TYPES:
            self.r.add("meta.col_type.invalid", file,
                       f"col_type of '{m.name}' is '{m.col_type}'.", row=row,
                       column="col_type", value=m.col_type)
        if not m.label:
            self.r.add("meta.label.blank", file, f"'{m.name}' has no label.", row=row,
                       column="label")
        elif len(m.label) > meta_columns.MAX_LABEL:
            self.r.add("meta.label.too_long", file,
                       f"The label of '{m.name}' has {len(m.label)} characters.", row=row,
                       column="label", value=m.label)
        if m.is_indicator:
            for column in ("filter_hint", "filter_grouping_column", "parent_filter",
                           "filter_default"):
                if (cells.get(column) or "").strip():
                    self.r.add("meta.filter_field_on_indicator", file,
                               f"Indicator '{m.name}' has a {column}.", row=row, column=column,
                               value=cells[column])
            if m.indicator_unit not in meta_columns.INDICATOR_UNITS:
                self.r.add("meta.indicator_unit.invalid", file,
                           f"Unit '{m.indicator_unit}' of '{m.name}' is not allowed.",
                           row=row, column="indicator_unit", value=m.indicator_unit)
            dp = (cells.get("indicator_dp") or "").strip()
            if not dp:
                self.r.add("meta.indicator_dp.blank", file,
                           f"Indicator '{m.name}' has no indicator_dp.", row=row,
                           column="indicator_dp")
            elif m.indicator_dp is None:
                self.r.add("meta.indicator_dp.invalid", file,
                           f"indicator_dp of '{m.name}' is '{dp}'.", row=row,
                           column="indicator_dp", value=dp)
            lowered = m.name.lower()
            word = next((w for w in meta_columns.SMUSHED_WORDS if w in lowered), None)
            if word:
                self.r.add("meta.indicator.smushed", file,
                           f"Indicator '{m.name}' contains '{word}'.", row=row,
                           column="col_name", value=m.name)
        elif m.is_filter:
            for column in ("indicator_grouping", "indicator_unit", "indicator_dp"):
                if (cells.get(column) or "").strip():
                    self.r.add("meta.indicator_field_on_filter", file,
                               f"Filter '{m.name}' has an {column}.", row=row, column=column,
                               value=cells[column])
            if m.filter_default and m.parent_filter:
                self.r.add("meta.default_with_parent", file,
                           f"Filter '{m.name}' has both filter_default and parent_filter.",
                           row=row, column="filter_default")
            if m.filter_grouping_column.startswith("characteristic"):
                self.r.add("data.columns.characteristic", file,
                           f"'{m.filter_grouping_column}' is a characteristic column.",
                           row=row, column="filter_grouping_column")

    def check_meta_against_data(self) -> None:
        header = set(self.s.header)
        for m in self.s.meta:
            if m.name not in header:
                self.r.add("meta.col_name.not_in_data", self.meta_file,
                           f"'{m.name}' is not a column of {self.data}.", row=m.row,
                           column="col_name", value=m.name)
            group = m.filter_grouping_column
            if m.is_filter and group and group not in header:
                self.r.add("meta.grouping.not_in_data", self.meta_file,
                           f"Grouping column '{group}' of '{m.name}' is not a column of "
                           f"{self.data}.", row=m.row, column="filter_grouping_column",
                           value=group)

    # --- load ---------------------------------------------------------------------------
    def load_cells(self, source: Path | None = None) -> bool:
        """Parse the data file's cells into a DuckDB table; False when the parser cannot.

        Findings come later (see load), once the byte scan's findings are in the report.
        """
        if self.s.con is not None:  # a second attempt: start from an empty database
            self.s.con.close()
            self.s.con = None
        self._attempts += 1
        database = self.s.workdir / f"screen-{self._attempts}.duckdb"
        con = duckdb.connect(str(database))
        con.execute(f"SET memory_limit = {lit(self.memory_limit)}")
        con.execute(f"SET temp_directory = {lit(str(self.s.workdir / 'spill'))}")
        con.execute("SET preserve_insertion_order = true")
        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")
        self.s.con = con
        columns = {name: "VARCHAR" for name in self.s.header}
        self._unreadable = None
        try:
            con.execute(
                f"CREATE TABLE {DATA} AS SELECT * FROM read_csv(?, header = true, "
                "columns = ?, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                "strict_mode = true, store_rejects = true, rejects_table = 'rejects', "
                f"rejects_scan = 'reject_scans', max_line_size = {MAX_LINE_BYTES}, "
                # Never decompress: a .gz or .zst name must not unpack a bomb.
                "encoding = 'utf-8', compression = 'none')",
                [str(source or self.s.csv_path), columns],
            )
        except duckdb.InvalidInputException as e:
            # What the parser cannot get past at all (a lone carriage return, binary
            # bytes): no cells to check.
            self._unreadable = str(e).splitlines()[0].removeprefix("Invalid Input Error: ")
            con.close()
            self.s.con = None
            return False
        except duckdb.OutOfMemoryException:
            # Very wide rows or huge cells: say so rather than crash the screening.
            self._unreadable = (f"reading it needs more than the {self.memory_limit} of "
                                "memory the screener may use; its rows or cells are "
                                "unusually large")
            con.close()
            self.s.con = None
            return False
        return True

    def finish_data_scan(self, loaded: bool) -> None:
        """Wait for the byte scan; reload a file with mixed line endings; find blank lines
        if the line count says there may be some."""
        if self._scan is None:
            return  # scanned in full already, or not at all
        scan = self._scan.result()
        self._scan = None
        self.s.data_scan = scan
        if scan.mixed_line_endings and self._attempts:
            # DuckDB's strict parser stops at the first line ending unlike the others; the
            # mix is only a warning, so parse a copy with one kind of ending.
            source = self.s.workdir / "normalised.csv"
            normalise_line_endings(self.s.csv_path, source)
            loaded = self.load_cells(source)
        # Blank lines are skipped by the parser. When every line of the file is the header,
        # a loaded row or a rejected one, there are none, and the slow search is not needed.
        no_blank_lines = False
        if loaded and not scan.lone_carriage_returns:
            rows, rejected = self.sql(
                f"SELECT (SELECT count(*) FROM {DATA}), "
                "(SELECT count(DISTINCT line) FROM rejects)")[0]
            no_blank_lines = rejected == 0 and \
                scan.lines_without_trailing_blanks() == 1 + rows
        if not no_blank_lines:
            scan.blank_lines, scan.blank_line_count = find_blank_lines(self.s.csv_path)
        scan.blank_lines_scanned = True

    def scan_result(self) -> ByteScan:
        assert self.s.data_scan is not None and self.s.data_scan.blank_lines_scanned
        return self.s.data_scan

    def load(self) -> None:
        """Report what the parser made of the data file; rejected lines become findings."""
        con = self.s.con
        if con is None:
            if self._unreadable is not None:
                self.r.add("file.unreadable", self.data, "The file cannot be read as CSV: "
                           f"{self._unreadable.rstrip('.')}.")
            return
        rejected = self.report_rejects()
        self.number_rows(rejected)
        self.drop_blank_rows()
        self.s.row_count = con.execute(f"SELECT count(*) FROM {DATA}").fetchone()[0]  # type: ignore[index]
        if self.s.row_count == 0 and not rejected:
            self.r.add("file.empty", self.data, "The data file has a header row but no rows "
                       "of data under it.")

    def report_rejects(self) -> list[int]:
        """One finding per line the parser rejected; returns the rejected lines, in order.

        DuckDB lists a rejected line once per problem (a short row once per missing
        cell): the worst problem names the line's rule, and its first column the column.
        """
        assert self.s.con is not None
        kinds = {
            "INVALID ENCODING": ("file.encoding", 0),
            "INVALID UNICODE": ("file.encoding", 0),
            "UNQUOTED VALUE": ("file.unclosed_quote", 1),
            "MISSING COLUMNS": ("file.ragged_row", 2),
            "TOO MANY COLUMNS": ("file.ragged_row", 2),
            "LINE SIZE OVER MAXIMUM": ("file.line_too_long", 2),
        }
        rule_of = case("error_type", {k: v[0] for k, v in kinds.items()})
        rank = case("error_type", {k: str(v[1]) for k, v in kinds.items()})
        self.s.con.execute(
            "CREATE TEMP TABLE bad_lines AS SELECT line, "
            f"arg_min(coalesce({rule_of}, 'file.ragged_row'), "
            f"(coalesce(CAST({rank} AS INTEGER), 3), column_idx)) AS rule, "
            f"arg_min(error_message, (coalesce(CAST({rank} AS INTEGER), 3), column_idx)) "
            "AS message, "
            f"arg_min(column_name, (coalesce(CAST({rank} AS INTEGER), 3), column_idx)) "
            "AS column_name FROM rejects GROUP BY line")
        for rule in ("file.encoding", "file.unclosed_quote", "file.ragged_row",
                     "file.line_too_long"):
            rows = self.sql("SELECT line, message, column_name FROM bad_lines WHERE rule = ? "
                            f"ORDER BY line LIMIT {CAP_PER_RULE}", [rule])
            total = len(rows)
            if total == CAP_PER_RULE:
                total = self.sql("SELECT count(*) FROM bad_lines WHERE rule = ?", [rule])[0][0]
            for i, (line, message, column) in enumerate(rows):
                text = {
                    "file.ragged_row": _ragged_message(line, message),
                    "file.unclosed_quote": f"Line {line}: a quoted cell is never closed.",
                    "file.encoding": f"Line {line} is not UTF-8 text.",
                    "file.line_too_long": _long_line_message(line, message),
                }[rule]
                self.r.add(rule, self.data, text, row=int(line), column=column,
                           more=total - len(rows) if i == len(rows) - 1 else 0)
        rejected: list[int] = []
        cursor = self.s.con.execute("SELECT line FROM bad_lines ORDER BY line")
        while batch := cursor.fetchmany(100_000):
            rejected.extend(int(line) for (line,) in batch)
            if len(rejected) > MAX_SKIPPED_ROWS:
                break
        return rejected

    def number_rows(self, rejected: list[int]) -> None:
        """Record which rows of the file are not in the table, for Screening.row_number."""
        blank = self.s.data_scan.blank_lines if self.s.data_scan else []
        skipped = sorted({*blank, *rejected})[:MAX_SKIPPED_ROWS]
        # The k-th skipped row (0-based) at row s has s - 2 - k table rows before it.
        self.s.skipped_rows = [row - 2 - k for k, row in enumerate(skipped)]

    def drop_blank_rows(self) -> None:
        """Rows whose cells are all blank (",,,,") are blank rows: say so and drop them.

        Spreadsheets save empty but formatted rows like this; EES skips them, and so
        does an import that reuses this table.
        """
        if not self.s.header:
            return
        empty = " AND ".join(blank(c) for c in self.s.header)
        self.add_rows("file.blank_row", empty, self.s.header[0],
                      "Row {row} has no value in any cell.", column_in_finding=False)
        self.s.con.execute(f"DELETE FROM {DATA} WHERE {empty}")  # type: ignore[union-attr]

    # --- per-column profile -------------------------------------------------------------
    def profile_columns(self) -> None:
        """One scan for per-column facts: blanks, null markers, distinct values."""
        header = self.s.header
        if not header or self.s.row_count == 0:
            return
        markers = ", ".join(lit(m) for m in sorted(symbols.NULL_MARKERS))
        parts = []
        for c in header:
            parts += [f"count_if({blank(c)})", f"count_if({q(c)} IN ({markers}))",
                      f"approx_count_distinct({q(c)})"]
        if self._batch is None:
            values = self.sql(f"SELECT {', '.join(parts)} FROM {DATA}")[0]
            self.report_profile(values)
        else:
            self.with_aggregates(parts, self.report_profile)  # type: ignore[arg-type]

    def report_profile(self, values: Sequence[Any]) -> None:
        header = self.s.header
        markers = ", ".join(lit(m) for m in sorted(symbols.NULL_MARKERS))
        self.blank_counts: dict[str, int] = {}
        self.distinct: dict[str, int] = {}
        described = {m.name for m in self.s.meta} | {
            m.filter_grouping_column for m in self.s.meta if m.filter_grouping_column}
        for i, c in enumerate(header):
            blanks, nulls, distinct = values[3 * i: 3 * i + 3]
            self.blank_counts[c] = blanks
            self.distinct[c] = distinct
            if blanks == self.s.row_count:
                self.r.add("data.columns.blank", self.data, f"Column '{c}' has no values.",
                           column=c)
            if nulls:
                self.add_rows("data.null_marker", f"{q(c)} IN ({markers})", c,
                              "'{value}' in {column}.")
            observational = (c in geography.GEOGRAPHY_COLUMNS or c in meta_columns.TIME_COLUMNS
                             or c == "geographic_level")
            # When the meta file cannot be read, every column would be "undescribed".
            if not observational and c not in described and distinct > 1 and \
                    self.s.meta_read:
                self.r.add("data.columns.undescribed", self.data,
                           f"Column '{c}' has values but no row in {self.meta_file}; it will "
                           "not be imported.", row=1, column=c)

    # --- time ---------------------------------------------------------------------------
    def check_time(self) -> None:
        if not {"time_period", "time_identifier"} <= set(self.s.header):
            return
        self.add_rows("data.time.identifier_blank", blank("time_identifier"),
                      "time_identifier", "time_identifier is blank.")
        self.add_rows("data.time.identifier_unknown",
                      f"NOT {blank('time_identifier')} AND {TIME_CODE} IS NULL",
                      "time_identifier", "'{value}' is not a time identifier.")
        # No aliases in WHERE or GROUP BY: a data column of that name would win.
        cells, first, count = self.cells("time_identifier")
        used = self.sql(f"SELECT {TIME_CODE}, {first}, {count} FROM {cells} "
                        f"WHERE {TIME_CODE} IS NOT NULL GROUP BY 1 ORDER BY 2")
        first_family = None
        for code, rowid, count in used:
            row = self.s.row_number(rowid)
            identifier = time_periods.BY_CODE[code]
            if identifier.screener_rejects:
                self.r.add("data.time.identifier_screener_rejects", self.data,
                           f"'{identifier.label}' ({count} rows).", row=row,
                           column="time_identifier", value=identifier.label, count=count)
            first_family = first_family or identifier.family
            if identifier.family != first_family:
                self.r.add("data.time.identifier_mixed", self.data,
                           f"'{identifier.label}' is mixed with identifiers of the "
                           f"'{first_family}' kind ({count} rows).", row=row,
                           column="time_identifier", value=identifier.label, count=count)
        # Periods: the SQL finds rows with a bad shape for their identifier; Python words it.
        # Rows whose identifier is blank or unknown still need a 4- or 6-digit period.
        digits = case("lower(trim(time_identifier))",
                       {k: str(v.digits) for k, v in time_periods.BY_LABEL.items()})
        bad = (
            "(time_period IS NULL OR NOT regexp_full_match(time_period, "
            "'[0-9]{4}([0-9]{2})?') OR (length(time_period) = 6 AND "
            "TRY_CAST(substr(time_period, 5, 2) AS INTEGER) != "
            "(TRY_CAST(substr(time_period, 3, 2) AS INTEGER) + 1) % 100) OR "
            f"({TIME_CODE} IS NOT NULL AND length(time_period) != CAST({digits} AS INTEGER)))"
        )
        def report(rows: list[tuple[Any, ...]], total: int) -> None:
            for i, (row, period, identifier) in enumerate(rows):
                ident = time_periods.BY_LABEL.get((identifier or "").strip().lower())
                problem = time_periods.period_problem(period or "", ident) or "is not valid"
                shown = f" ({identifier})" if ident else ""
                self.r.add("data.time.period_malformed", self.data,
                           f"'{period or ''}'{shown}: {problem}.", row=row,
                           column="time_period", value=period,
                           more=total - len(rows) if i == len(rows) - 1 else 0)

        self.when_rows(bad, "time_period, time_identifier", report)

    # --- geography ----------------------------------------------------------------------
    def check_geography(self) -> None:
        header = set(self.s.header)
        if "geographic_level" not in header:
            return
        self.add_rows("data.geography.level_blank", blank("geographic_level"),
                      "geographic_level", "geographic_level is blank.")
        self.add_rows("data.geography.level_unknown",
                      f"NOT {blank('geographic_level')} AND {LEVEL_CODE} IS NULL",
                      "geographic_level", "'{value}' is not a geographic level.")
        cells, first, count = self.cells("geographic_level")
        present = self.sql(f"SELECT {LEVEL_CODE}, {first}, {count} FROM {cells} "
                           f"WHERE {LEVEL_CODE} IS NOT NULL GROUP BY 1 ORDER BY 2")
        self.levels_present = {code: count for code, _, count in present}
        for code, rowid, count in present:
            row = self.s.row_number(rowid)
            level = geography.BY_CODE[code]
            if level.screener_rejects:
                self.r.add("data.geography.level_screener_rejects", self.data,
                           f"'{level.label}' ({count} rows).", row=row,
                           column="geographic_level", value=level.label, count=count)
            needed = [*level.code_columns[:1], level.name_column]
            missing = [c for c in needed if c not in header]
            for secondary in level.code_columns[1:]:
                if secondary not in header:
                    self.r.add("data.geography.secondary_missing", self.data,
                               f"There are {level.label} rows but no {secondary} column.",
                               row=1, column=secondary)
            if missing:
                self.r.add("data.geography.columns_missing", self.data,
                           f"There are {level.label} rows (first on row {row}) but no "
                           f"{', '.join(missing)} column.", row=row, column=missing[0],
                           count=1)
                continue
            is_level = f"{LEVEL_CODE} = {lit(code)}"
            ignored = level.low_level and len(present) > 1
            if level.code_columns:
                # A legacy LA may lack a 9-character code if it has the old 3-digit one.
                codes = [c for c in level.code_columns if c in header] if code == "LA" \
                    else level.code_columns[:1]
                code_blank = " AND ".join(blank(c) for c in codes)
                self.add_rows("data.geography.low_level_incomplete" if ignored else
                              "data.geography.code_blank", f"{is_level} AND {code_blank}",
                              level.code_columns[0],
                              f"{level.label} row with no {level.code_columns[0]}.")
            self.add_rows("data.geography.low_level_incomplete" if ignored else
                          "data.geography.name_blank",
                          f"{is_level} AND {blank(level.name_column)}", level.name_column,
                          f"{level.label} row with no {level.name_column}.")
            self.check_codes_unique(level)
            if level.code_columns:
                main = level.code_columns[0]
                na = (f"{is_level} AND (({q(main)} = 'x') != "
                      f"(coalesce({q(level.name_column)}, '') = 'Not available'))")
                self.add_rows("data.geography.not_available", na, main,
                              f"{level.label} row: code '{{value}}' with name not matching.")
        if {"country_code", "country_name"} <= header:
            self.add_rows("data.geography.country_blank",
                          f"{LEVEL_CODE} != 'NAT' AND ({blank('country_code')} OR "
                          f"{blank('country_name')})", "country_code",
                          "Row has no country_code or country_name.")
        low = [c for c in self.levels_present if geography.BY_CODE[c].low_level]
        if low and len(self.levels_present) > 1:
            for code in low:
                level = geography.BY_CODE[code]
                self.r.add("data.geography.low_levels_mixed", self.data,
                           f"{self.levels_present[code]} {level.label} rows are mixed with "
                           "other levels.", column="geographic_level", value=level.label,
                           count=self.levels_present[code])
        totals = ", ".join(lit(w) for w in sorted(geography.TOTAL_WORDS))
        for column in sorted(geography.GEOGRAPHY_COLUMNS & header):
            if column in ("school_name", "provider_name") and len(self.s.filters) == 1 and \
                    self.s.filters[0].name == column:
                continue
            self.add_rows("data.geography.total_in_location", f"trim({q(column)}) IN ({totals})",
                          column, "'{value}' in {column}: these cells should be blank.")
        code_columns = sorted({c for lv in geography.LEVELS for c in lv.code_columns} & header)
        for column in code_columns:
            self.add_rows("data.geography.code_too_long",
                          f"length({q(column)}) > {meta_columns.MAX_LOCATION_CODE}", column,
                          "'{value}' is longer than 30 characters.")
        self.check_lookups(header)

    def check_codes_unique(self, level: geography.GeographicLevel) -> None:
        if not level.code_columns:
            return
        code = level.code_columns[0]
        cells, first, _ = self.cells("geographic_level", code, level.name_column)
        rows = self.sql(
            f"SELECT {q(code)}, list(DISTINCT {q(level.name_column)}), {first} "
            f"FROM {cells} WHERE {LEVEL_CODE} = ? AND NOT {blank(code)} AND {q(code)} "
            f"NOT IN ('x', 'z') GROUP BY 1 HAVING count(DISTINCT {q(level.name_column)}) > 1 "
            f"ORDER BY 3 LIMIT {CAP_PER_RULE}", [level.code])
        for value, names, rowid in rows:
            shown = ", ".join(repr(n) for n in sorted(n for n in names if n is not None))
            self.r.add("data.geography.code_many_names", self.data,
                       f"{level.label} code '{value}' has names {shown}.",
                       row=self.s.row_number(rowid),
                       column=code, value=value)

    def check_lookups(self, header: set[str]) -> None:
        if self.reference_dir is None or not Path(self.reference_dir).is_dir():
            return
        lookups = load_lookups(Path(self.reference_dir))
        self.s.lookups_checked = True
        for (code_col, name_col), valid in lookups.items():
            if not {code_col, name_col} <= header:
                continue
            cells, first, count = self.cells(code_col, name_col)
            pairs = self.sql(
                f"SELECT {q(code_col)}, {q(name_col)}, {first}, {count} FROM {cells} "
                f"WHERE NOT {blank(code_col)} AND {q(code_col)} != 'x' GROUP BY 1, 2 ORDER BY 3")
            for code, name, rowid, rows in pairs:
                if (code.strip(), (name or "").strip()) not in valid:
                    self.r.add("data.geography.lookup_mismatch", self.data,
                               f"{code_col} '{code}' with {name_col} '{name}' is not in the "
                               f"standard lookup ({rows} rows).",
                               row=self.s.row_number(rowid), column=code_col,
                               value=code, count=rows)

    # --- filters ------------------------------------------------------------------------
    def check_filters(self) -> None:
        header = set(self.s.header)
        for m in self.s.filters:
            if m.name not in header:
                continue
            c = m.name
            self.add_rows("data.filter.blank", blank(c), c,
                          "Blank cell in filter {column}: it will show as 'Not specified'.")
            self.add_rows("data.filter.whitespace", f"{q(c)} != trim({q(c)})", c,
                          "'{value}' in {column} has spaces at the start or end.")
            self.add_rows("data.filter.value_too_long",
                          f"length({q(c)}) > {meta_columns.MAX_FILTER_ITEM}", c,
                          "A value of {column} is longer than 120 characters.")
            distinct = self.sql(f"SELECT count(DISTINCT {q(c)}) FROM {self.cells(c)[0]}")[0][0]
            if distinct < 2:
                self.r.add("data.filter.single_option", self.meta_file,
                           f"Filter '{c}' has {distinct} option(s).", row=m.row, column=c)
            if distinct > meta_columns.MAX_FILTER_OPTIONS:
                self.r.add("data.filter.too_many_options", self.meta_file,
                           f"Filter '{c}' has {distinct:,} options.", row=m.row, column=c)
            default = m.filter_default or "Total"
            has_default = self.sql(f"SELECT count(*) FROM (SELECT 1 FROM {self.cells(c)[0]} WHERE "
                                   f"trim({q(c)}) = ? LIMIT 1)", [default])[0][0]
            if not has_default:
                if m.filter_default:
                    self.r.add("meta.default.not_in_data", self.meta_file,
                               f"filter_default '{default}' is not an option of '{c}'.",
                               row=m.row, column="filter_default", value=default)
                else:
                    self.r.add("data.filter.no_default", self.data,
                               f"Filter '{c}' has no 'Total' option.", column=c)
            group = m.filter_grouping_column
            if group and group in header:
                self.add_rows("data.filter.blank", blank(group), group,
                              "Blank cell in filter group {column}.")
                groups = self.sql(f"SELECT count(DISTINCT {q(group)}) "
                                  f"FROM {self.cells(group)[0]}")[0][0]
                if groups > distinct:
                    self.r.add("data.filter.group_larger", self.meta_file,
                               f"'{group}' has {groups} values but '{c}' has {distinct}.",
                               row=m.row, column="filter_grouping_column", value=group)

    # --- indicators ---------------------------------------------------------------------
    def check_indicators(self) -> None:
        header = set(self.s.header)
        allowed = ", ".join(lit(s) for s in symbols.SYMBOLS)
        obsolete = ", ".join(lit(s) for s in symbols.OBSOLETE_SYMBOLS)
        nulls = ", ".join(lit(s) for s in symbols.NULL_MARKERS)
        for m in self.s.indicators:
            c = m.name
            if c not in header:
                continue
            self.add_rows("data.indicator.blank", blank(c), c, "Blank cell in indicator {column}.")
            self.when_rows(f"trim({q(c)}) IN ({obsolete})", q(c), partial(self.report_obsolete, c))
            # Numbers first: most cells are, and for them the other tests need not run.
            text = (f"NOT regexp_full_match(trim({q(c)}), {lit(symbols.NUMBER_PATTERN[1:-1])}) "
                    f"AND NOT {blank(c)} AND trim({q(c)}) NOT IN ({allowed}, {obsolete}, "
                    f"{nulls})")
            if m.indicator_unit == "numberstring":
                continue  # codes and identifiers: text is expected
            self.add_rows("data.indicator.not_numeric", text, c,
                          "'{value}' in {column} is neither a number nor a symbol.")

    def report_obsolete(self, c: str, rows: list[tuple[Any, ...]], total: int) -> None:
        for i, (row, value) in enumerate(rows):
            self.r.add("data.indicator.obsolete_symbol", self.data,
                       f"'{value}' in {c}: use '{symbols.OBSOLETE_SYMBOLS[value.strip()]}'.",
                       row=row, column=c, value=value,
                       more=total - len(rows) if i == len(rows) - 1 else 0)

    # --- text that other software would run -----------------------------------------------
    def check_text_cells(self) -> None:
        """Formulas and markup in the text columns an import keeps: filters, their groups
        and location names. Both are stored and shown as typed (escaped on every page), so
        they only warn: a spreadsheet opening a download would run a formula, and markup
        in a label is almost always pasted by mistake."""
        for c in self.text_columns():
            self.add_matches("data.formula", FORMULA.pattern, c, FORMULA_MESSAGE)
            self.add_matches("data.markup", MARKUP.pattern, c, MARKUP_MESSAGE)

    def text_columns(self) -> list[str]:
        """The data file's text columns an import keeps: filters, their groups and
        location names."""
        header = self.s.header
        names = {lv.name_column for lv in geography.LEVELS}
        columns = [c for m in self.s.filters for c in (m.name, m.filter_grouping_column)
                   if c in header]
        columns += [c for c in header if c in names]
        return list(dict.fromkeys(columns))

    def add_matches(self, rule: str, pattern: str, column: str, message: str) -> None:
        """add_rows for the cells of `column` that match a regular expression (RE2)."""
        self.add_rows(rule, f"regexp_matches({q(column)}, {lit(pattern)})", column, message)

    # --- duplicates ---------------------------------------------------------------------
    def check_duplicates(self) -> None:
        header = self.s.header
        if not {"time_period", "time_identifier", "geographic_level"} <= set(header):
            return
        # Everything but the indicators identifies an observation: time, location, filters,
        # groups, and columns the meta file leaves undescribed (EES keeps those apart too).
        indicators = {m.name for m in self.s.indicators}
        key = [c for c in header if c not in indicators]
        present = getattr(self, "levels_present", {})
        only = set(present)
        low = {c for c in present if geography.BY_CODE[c].low_level}
        if only in ({"SCH"}, {"PROV"}):
            low -= only
        where = (f"WHERE coalesce({LEVEL_CODE}, '') NOT IN ({', '.join(lit(c) for c in low)})"
                 if low else "")
        # Hash first (cheap, one column), then confirm candidates on the full key.
        hashed = f"hash({', '.join(q(c) for c in key)})"
        candidates = self.sql(
            f"SELECT h FROM (SELECT {hashed} AS h FROM {DATA} {where}) GROUP BY h "
            f"HAVING count(*) > 1 LIMIT 10000")
        if not candidates:
            return
        self.s.con.execute("CREATE TEMP TABLE dup_hashes(h UBIGINT)")  # type: ignore[union-attr]
        self.s.con.executemany("INSERT INTO dup_hashes VALUES (?)", candidates)  # type: ignore[union-attr]
        cols = ", ".join(q(c) for c in key)
        groups = self.sql(
            f"SELECT list(rowid ORDER BY rowid), {cols} FROM {DATA} "
            f"WHERE {hashed} IN (SELECT h FROM dup_hashes) GROUP BY {cols} "
            f"HAVING count(*) > 1 ORDER BY min(rowid) LIMIT {CAP_PER_RULE}")
        if not groups:
            return
        # Every repeat counts, also those beyond the listed groups (counted by hash).
        total = self.sql(f"SELECT sum(n - 1) FROM (SELECT count(*) AS n FROM {DATA} {where} "
                         f"GROUP BY {hashed} HAVING count(*) > 1)")[0][0]
        listed = sum(len(rowids) - 1 for rowids, *_ in groups)
        for i, (rowids, *_) in enumerate(groups):
            rows = [self.s.row_number(rowid) for rowid in rowids[:10]]
            more = f" and {len(rowids) - 10} more" if len(rowids) > 10 else ""
            extra = max(total - listed, 0) if i == len(groups) - 1 else 0
            self.r.add("data.rows.duplicate", self.data,
                       f"Rows {', '.join(str(r) for r in rows)}{more} have the same time, "
                       "location and filter values.", row=rows[1],
                       count=len(rowids) - 1, more=extra)


def _ragged_message(line: int, message: str) -> str:
    """DuckDB's "Expected Number of Columns: 9 Found: 10" in the publisher's words."""
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if found is None:
        return f"Line {line}: {message.rstrip('.')}."
    expected, cells = found.groups()
    return f"Line {line} has {cells} cells but the header has {expected}."


def _long_line_message(line: int, message: str) -> str:
    size = re.search(r"Actual Size:\s*(\d+)", message)
    actual = f" ({int(size[1]):,} bytes)" if size else ""
    return (f"Line {line} is longer than {MAX_LINE_BYTES:,} bytes{actual}: a cell that size "
            "is usually a quote that is never closed, or not CSV text at all.")
