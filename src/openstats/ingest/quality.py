"""Count what a version's cells hold, with DuckDB over its Parquet file, once at import.

Two scans of the file: rows by (geographic level, time period), from two small integer
columns; and for every indicator, in one pass, its blank cells and a histogram of the
cells that are symbols (standards/symbols.py). Indicator values are stored as uploaded
(trimmed), so a symbol is the whole cell.

Done at import rather than on a reader's first request: the file is already being read
then (import checks the rows it wrote), the counts never change with the version, and the
report is then one catalogue row to read on any replica, with no DuckDB work when asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openstats.model.quality import CellCounts, IndicatorCells, RowCount
from openstats.standards import symbols
from openstats.standards.screening.sql import blank, lit, q


def count_cells(con: Any, parquet: Path, indicators: list[str]) -> CellCounts:
    """The counts of one version's Parquet file; `con` is a DuckDB connection."""
    source = "read_parquet(?)"
    rows = con.execute(
        f"SELECT geographic_level, time_period_id, count(*) FROM {source} GROUP BY ALL "
        "ORDER BY ALL", [str(parquet)]).fetchall()
    found = tuple(RowCount(str(level), int(t), int(n)) for level, t, n in rows)
    cells: list[IndicatorCells] = []
    if indicators:
        listed = ", ".join(lit(s) for s in symbols.CELL_SYMBOLS)
        parts = []
        for column in indicators:
            parts += [f"count_if({blank(column)})",
                      f"histogram({q(column)}) FILTER (WHERE {q(column)} IN ({listed}))"]
        values = con.execute(f"SELECT {', '.join(parts)} FROM {source}",
                             [str(parquet)]).fetchone()
        for n, column in enumerate(indicators):
            blanks, histogram = values[2 * n], values[2 * n + 1] or {}
            # In the order of standards/symbols.py, so every report lists them alike.
            present = tuple((s, int(histogram[s])) for s in symbols.CELL_SYMBOLS
                            if histogram.get(s))
            cells.append(IndicatorCells(column, int(blanks), present))
    return CellCounts(sum(r.rows for r in found), found, tuple(cells))
