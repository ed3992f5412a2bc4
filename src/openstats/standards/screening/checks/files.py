"""Checks of the files as files: their names, their bytes (byte-order mark, line endings,
blank lines) and the data file's header row. A gzip-compressed data file is unpacked first
and judged as the CSV inside it."""

from __future__ import annotations

import re
from pathlib import Path

from openstats.standards import meta_columns
from openstats.standards.csvfile import ByteScan, CsvProblem, read_header, scan_bytes
from openstats.standards.findings import CAP_PER_RULE
from openstats.standards.gzipped import is_gzipped, plain_name, unpack_gzip
from openstats.standards.screening import load
from openstats.standards.screening.background import InBackground
from openstats.standards.screening.engine import Checker

COLUMN_NAME = re.compile(meta_columns.COLUMN_NAME_PATTERN)


def check_file_names(ck: Checker) -> None:
    for path, ending in ((ck.s.data_path, ".csv"), (ck.s.meta_path, ".meta.csv")):
        # A data file may come gzip-compressed: x.csv.gz is judged as x.csv.
        name = plain_name(path.name) if ending == ".csv" else path.name
        if not name.lower().endswith(ending) or (
                ending == ".csv" and name.lower().endswith(".meta.csv")):
            ck.r.add("file.name.extension", name,
                     f"'{name}' should end in {ending}.")
            continue
        stem = name[: -len(ending)]
        if " " in stem:
            ck.r.add("file.name.spaces", name, f"'{name}' contains spaces.")
        bad = sorted({c for c in stem if not re.match(r"[A-Za-z0-9_ -]", c)})
        if bad:
            ck.r.add("file.name.special", name,
                     f"'{name}' contains {' '.join(repr(c) for c in bad)}.")
        if stem.split(".")[0].upper() in meta_columns.WINDOWS_DEVICE_NAMES:
            ck.r.add("file.name.reserved", name,
                     f"'{name}' is named like a Windows device ({stem.split('.')[0]}); "
                     "Windows cannot save a file of that name from a download.")
        if len(stem) > meta_columns.MAX_FILE_STEM:
            ck.r.add("file.name.length", name,
                     f"The name part of '{name}' has {len(stem)} characters; "
                     f"at most {meta_columns.MAX_FILE_STEM} are allowed.")
    data_name, meta_name = plain_name(ck.s.data_path.name), ck.s.meta_path.name
    # Case-insensitive, as EES matches them (ONE.CSV goes with ONE.META.CSV).
    if data_name.lower().endswith(".csv") and \
            meta_name.lower() != data_name[:-4].lower() + ".meta.csv":
        ck.r.add("file.names_match", meta_name,
                 f"The meta file for '{data_name}' should be called "
                 f"'{data_name[:-4]}.meta.csv', not '{meta_name}'.")


def check_bytes(ck: Checker, path: Path, file: str) -> ByteScan:
    scan = scan_bytes(path)
    report_scan(ck, scan, file)
    return scan


def report_scan(ck: Checker, scan: ByteScan, file: str) -> None:
    if scan.has_bom:
        ck.r.add("file.bom", file, "The file starts with a UTF-8 byte-order mark.", row=1)
    if scan.mixed_line_endings:
        ck.r.add("file.line_endings", file,
                 f"{scan.crlf_lines} lines end in CRLF and {scan.lf_lines} in LF.")
    listed = scan.blank_lines[:CAP_PER_RULE]
    for i, line in enumerate(listed):
        extra = scan.blank_line_count - len(listed) if i == len(listed) - 1 else 0
        ck.r.add("file.blank_row", file, f"Line {line} is blank.", row=line,
                 more=extra)


def check_data_file(ck: Checker) -> bool:
    """Byte-level and header checks; False when the cells cannot be loaded at all."""
    if is_gzipped(ck.s.data_path):
        ck.s.csv_path = ck.s.workdir / plain_name(ck.s.data_path.name)
        problem = unpack_gzip(ck.s.data_path, ck.s.csv_path)
        if problem is not None:
            ck.r.add("file.compressed", ck.data,
                     f"The data file cannot be read: {problem}.")
            return False
    if ck.s.csv_path.stat().st_size == 0:
        ck.r.add("file.empty", ck.data, "The data file is empty: it has no header row.")
        return False
    try:
        header = read_header(ck.s.csv_path)
    except CsvProblem as p:
        if p.rule == "file.empty":  # only line endings: nothing else worth saying
            ck.r.add(p.rule, ck.data, "The data file has no header row, only "
                     "blank lines.")
            return False
        if not p.whole_file:
            ck.s.data_scan = check_bytes(ck, ck.s.csv_path, ck.data)
        ck.r.add(p.rule, ck.data, p.message, row=p.line)
        return False
    # Blank lines are looked for only if the counts after loading say there are some.
    ck.byte_scan = InBackground(scan_bytes, ck.s.csv_path, blank_lines=False)
    ck.r.call(lambda: report_scan(ck, load.scan_result(ck), ck.data))  # type: ignore[attr-defined]
    if not header:
        ck.r.add("file.header.blank", ck.data, "The first line is blank: it must hold "
                 "the column names.", row=1)
        return False
    if len(header) > meta_columns.MAX_DATA_COLUMNS:
        # Each column costs the parser memory for a whole batch of rows: far more
        # columns than any statistics file has would exhaust the memory limit.
        ck.r.add("file.too_many_columns", ck.data,
                 f"The header has {len(header):,} columns; at most "
                 f"{meta_columns.MAX_DATA_COLUMNS:,} are allowed.", row=1)
        return False
    ck.s.header = header
    loadable = True
    seen: set[str] = set()
    lowered: dict[str, str] = {}  # DuckDB (and SQL) column names ignore case
    for position, name in enumerate(header, start=1):
        if not name.strip():
            ck.r.add("file.header.blank", ck.data,
                     f"Column {position} of the header has no name.", row=1)
            loadable = False
            continue
        if name.lower() in lowered:
            first = lowered[name.lower()]
            ck.r.add("file.header.duplicate", ck.data,
                     f"The column name '{name}' appears more than once." if first == name
                     else f"The column names '{first}' and '{name}' differ only in "
                     "case.", row=1, column=name)
            loadable = False
        if name.lower() in meta_columns.RESERVED_COLUMN_NAMES:
            ck.r.add("file.header.reserved", ck.data,
                     f"'{name}' is a name the database keeps for itck.", row=1,
                     column=name)
            loadable = False
        seen.add(name)
        lowered.setdefault(name.lower(), name)
        if any(ch.isspace() for ch in name):
            # An error (EES's col_names_spaces fails it); other characters outside
            # snake_case are only awkward, so they stay a warning (below).
            ck.r.add("file.header.space", ck.data,
                     f"'{name}' has a space in it.", row=1, column=name, value=name)
        if not COLUMN_NAME.match(name):
            ck.r.add("file.header.name_invalid", ck.data,
                     f"'{name}' is not lower snake_case.", row=1, column=name,
                     value=name)
        elif len(name) > meta_columns.MAX_COLUMN_NAME:
            ck.r.add("file.header.too_long", ck.data,
                     f"'{name}' has {len(name)} characters.", row=1, column=name)
        if name.startswith("characteristic"):
            ck.r.add("data.columns.characteristic", ck.data,
                     f"'{name}' is a characteristic column.", row=1, column=name)
    for name in meta_columns.MANDATORY_DATA_COLUMNS:
        if name not in seen:
            ck.r.add("data.columns.mandatory_missing", ck.data,
                     f"The data file has no '{name}' column.", row=1, column=name)
    missing_country = [c for c in meta_columns.SCREENER_DATA_COLUMNS if c not in seen]
    if missing_country:
        ck.r.add("data.columns.country_missing", ck.data,
                 f"The data file has no {' or '.join(missing_country)} column.", row=1)
    return loadable
