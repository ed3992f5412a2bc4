"""Loading the data file's cells into DuckDB: an on-disk table of text (memory capped,
spilling to disk), the byte scan that runs meanwhile, the lines the parser rejects (each a
finding), and the row numbering that keeps blank and rejected lines counted.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from openstats.standards.csvfile import ByteScan, find_blank_lines, normalise_line_endings
from openstats.standards.findings import CAP_PER_RULE
from openstats.standards.screening.database import open_cells
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.sql import DATA, blank, lookup

MAX_SKIPPED_ROWS = 1_000_000  # blank or rejected rows tracked for row numbering
# The longest line the parser reads (about 10 MB); longer lines are rejected, one by one.
MAX_LINE_BYTES = 10_000_000
# Files up to this size are small, and loaded unlike larger ones in two ways:
# - on one DuckDB thread. DuckDB shares a scan out among its threads by row groups of
#   122,880 rows, and a file this small cannot fill one (that would be 8 bytes a row,
#   less than its time and level cells take): the other threads had nothing to do but
#   wait on each other, about a tenth of a small screening;
# - into a database in memory, not in a file. The cells of a file this small fit in
#   memory many times over, and an on-disk database costs its creation, a synced write
#   for each statement and its removal: a tiny pair's screening took 190 ms with the
#   file and 74 ms without, for about the same CPU (measured here, 2026-12-03). A
#   larger file keeps its database file, so that the table can spill out of memory.
#   That database is attached to a DuckDB instance the process keeps for small files
#   rather than to an instance of its own (database.py says why).
SMALL_FILE_BYTES = 1_000_000


def load_cells(ck: Checker, source: Path | None = None) -> bool:
    """Parse the data file's cells into a DuckDB table; False when the parser cannot.

    Findings come later (see load), once the byte scan's findings are in the report.
    """
    if ck.s.con is not None:  # a second attempt: start from an empty database
        ck.s.close_cells()
    ck.attempts += 1
    path = source or ck.s.csv_path  # the file the parser reads, whose size decides
    small = path.stat().st_size <= SMALL_FILE_BYTES
    con, ck.s.attached = open_cells(ck.s.workdir, ck.attempts, small, ck.memory_limit,
                                    ck.threads)
    ck.s.con = con
    columns = {name: "VARCHAR" for name in ck.s.header}
    ck.unreadable = None
    try:
        con.execute(
            f"CREATE TABLE {DATA} AS SELECT * FROM read_csv(?, header = true, "
            "columns = ?, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            "strict_mode = true, store_rejects = true, rejects_table = 'rejects', "
            f"rejects_scan = 'reject_scans', max_line_size = {MAX_LINE_BYTES}, "
            # Never decompress: a .gz or .zst name must not unpack a bomb.
            "encoding = 'utf-8', compression = 'none')",
            [str(path), columns],
        )
    except duckdb.InvalidInputException as e:
        # What the parser cannot get past at all (a lone carriage return, binary
        # bytes): no cells to check.
        ck.unreadable = str(e).splitlines()[0].removeprefix("Invalid Input Error: ")
        ck.s.close_cells()
        return False
    except duckdb.OutOfMemoryException:
        # Very wide rows or huge cells: say so rather than crash the screening.
        ck.unreadable = (f"reading it needs more than the {ck.memory_limit} of "
                            "memory the screener may use; its rows or cells are "
                            "unusually large")
        ck.s.close_cells()
        return False
    return True


def finish_data_scan(ck: Checker, loaded: bool) -> None:
    """Wait for the byte scan; reload a file with mixed line endings; find blank lines
    if the line count says there may be some."""
    if ck.byte_scan is None:
        return  # scanned in full already, or not at all
    scan = ck.byte_scan.result()
    ck.byte_scan = None
    ck.s.data_scan = scan
    if scan.mixed_line_endings and ck.attempts:
        # DuckDB's strict parser stops at the first line ending unlike the others; the
        # mix is only a warning, so parse a copy with one kind of ending.
        source = ck.s.workdir / "normalised.csv"
        normalise_line_endings(ck.s.csv_path, source)
        loaded = load_cells(ck, source)
    # Blank lines are skipped by the parser. When every line of the file is the header,
    # a loaded row or a rejected one, there are none, and the slow search is not needed.
    no_blank_lines = False
    if loaded and not scan.lone_carriage_returns:
        rows, rejected = ck.sql(
            f"SELECT (SELECT count(*) FROM {DATA}), "
            "(SELECT count(DISTINCT line) FROM rejects)")[0]
        no_blank_lines = rejected == 0 and \
            scan.lines_without_trailing_blanks() == 1 + rows
    if not no_blank_lines:
        scan.blank_lines, scan.blank_line_count = find_blank_lines(ck.s.csv_path)
    scan.blank_lines_scanned = True


def scan_result(ck: Checker) -> ByteScan:
    assert ck.s.data_scan is not None and ck.s.data_scan.blank_lines_scanned
    return ck.s.data_scan


def load(ck: Checker) -> None:
    """Report what the parser made of the data file; rejected lines become findings."""
    con = ck.s.con
    if con is None:
        if ck.unreadable is not None:
            ck.r.add("file.unreadable", ck.data, "The file cannot be read as CSV: "
                     f"{ck.unreadable.rstrip('.')}.")
        return
    rejected = report_rejects(ck)
    number_rows(ck, rejected)
    drop_blank_rows(ck)
    ck.s.row_count = con.execute(f"SELECT count(*) FROM {DATA}").fetchone()[0]  # type: ignore[index]
    if ck.s.row_count == 0 and not rejected:
        ck.r.add("file.empty", ck.data, "The data file has a header row but no rows "
                 "of data under it.")


def report_rejects(ck: Checker) -> list[int]:
    """One finding per line the parser rejected; returns the rejected lines, in order.

    DuckDB lists a rejected line once per problem (a short row once per missing
    cell): the worst problem names the line's rule, and its first column the column.
    """
    assert ck.s.con is not None
    kinds = {
        "INVALID ENCODING": ("file.encoding", 0),
        "INVALID UNICODE": ("file.encoding", 0),
        "UNQUOTED VALUE": ("file.unclosed_quote", 1),
        "MISSING COLUMNS": ("file.ragged_row", 2),
        "TOO MANY COLUMNS": ("file.ragged_row", 2),
        "LINE SIZE OVER MAXIMUM": ("file.line_too_long", 2),
    }
    rule_of = lookup("error_type", {k: v[0] for k, v in kinds.items()})
    rank = lookup("error_type", {k: str(v[1]) for k, v in kinds.items()})
    ck.s.con.execute(
        "CREATE TEMP TABLE bad_lines AS SELECT line, "
        f"arg_min(coalesce({rule_of}, 'file.ragged_row'), "
        f"(coalesce(CAST({rank} AS INTEGER), 3), column_idx)) AS rule, "
        f"arg_min(error_message, (coalesce(CAST({rank} AS INTEGER), 3), column_idx)) "
        "AS message, "
        f"arg_min(column_name, (coalesce(CAST({rank} AS INTEGER), 3), column_idx)) "
        "AS column_name FROM rejects GROUP BY line")
    # The first lines of each rule and how many it has, in one query; the rules in the
    # order `kinds` names them.
    order = dict.fromkeys(rule for rule, _ in kinds.values())
    rule_rank = lookup("rule", {rule: str(i) for i, rule in enumerate(order)})
    rows = ck.sql("SELECT rule, line, message, column_name, count(*) OVER (PARTITION BY rule) "
                  "FROM bad_lines QUALIFY row_number() OVER (PARTITION BY rule ORDER BY line) "
                  f"<= {CAP_PER_RULE} ORDER BY CAST({rule_rank} AS INTEGER), line")
    for i, (rule, line, message, column, total) in enumerate(rows):
        text = {
            "file.ragged_row": _ragged_message(line, message),
            "file.unclosed_quote": f"Line {line}: a quoted cell is never closed.",
            "file.encoding": f"Line {line} is not UTF-8 text.",
            "file.line_too_long": _long_line_message(line, message),
        }[rule]
        last = i == len(rows) - 1 or rows[i + 1][0] != rule
        shown = min(total, CAP_PER_RULE)
        ck.r.add(rule, ck.data, text, row=int(line), column=column,
                 more=total - shown if last else 0)
    rejected: list[int] = []
    cursor = ck.s.con.execute("SELECT line FROM bad_lines ORDER BY line")
    while batch := cursor.fetchmany(100_000):
        rejected.extend(int(line) for (line,) in batch)
        if len(rejected) > MAX_SKIPPED_ROWS:
            break
    return rejected


def number_rows(ck: Checker, rejected: list[int]) -> None:
    """Record which rows of the file are not in the table, for Screening.row_number."""
    blank = ck.s.data_scan.blank_lines if ck.s.data_scan else []
    skipped = sorted({*blank, *rejected})[:MAX_SKIPPED_ROWS]
    # The k-th skipped row (0-based) at row s has s - 2 - k table rows before it.
    ck.s.skipped_rows = [row - 2 - k for k, row in enumerate(skipped)]


def drop_blank_rows(ck: Checker) -> None:
    """Rows whose cells are all blank (",,,,") are blank rows: say so and drop them.

    Spreadsheets save empty but formatted rows like this; EES skips them, and so
    does an import that reuses this table.
    """
    if not ck.s.header:
        return
    empty = " AND ".join(blank(c) for c in ck.s.header)
    ck.add_rows("file.blank_row", empty, ck.s.header[0],
                "Row {row} has no value in any cell.", column_in_finding=False)
    ck.s.con.execute(f"DELETE FROM {DATA} WHERE {empty}")  # type: ignore[union-attr]


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
