"""Per-column facts from one scan of the data table: blank columns, null markers, and
columns with values that the meta file does not describe."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from openstats.standards import geography, meta_columns, symbols
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.sql import DATA, blank, lit, q


def profile_columns(ck: Checker) -> None:
    """One scan for per-column facts: blanks, null markers, distinct values."""
    header = ck.s.header
    if not header or ck.s.row_count == 0:
        return
    markers = ", ".join(lit(m) for m in sorted(symbols.NULL_MARKERS))
    parts = []
    for c in header:
        parts += [f"count_if({blank(c)})", f"count_if({q(c)} IN ({markers}))",
                  f"approx_count_distinct({q(c)})"]
    if ck.batch is None:
        values = ck.sql(f"SELECT {', '.join(parts)} FROM {DATA}")[0]
        report_profile(ck, values)
    else:
        ck.with_aggregates(parts, partial(report_profile, ck))


def report_profile(ck: Checker, values: Sequence[Any]) -> None:
    header = ck.s.header
    markers = ", ".join(lit(m) for m in sorted(symbols.NULL_MARKERS))
    described = {m.name for m in ck.s.meta} | {
        m.filter_grouping_column for m in ck.s.meta if m.filter_grouping_column}
    for i, c in enumerate(header):
        blanks, nulls, distinct = values[3 * i: 3 * i + 3]
        if blanks == ck.s.row_count:
            ck.r.add("data.columns.blank", ck.data, f"Column '{c}' has no values.",
                     column=c)
        if nulls:
            ck.add_rows("data.null_marker", f"{q(c)} IN ({markers})", c,
                        "'{value}' in {column}.")
        observational = (c in geography.GEOGRAPHY_COLUMNS or c in meta_columns.TIME_COLUMNS
                         or c == "geographic_level")
        # When the meta file cannot be read, every column would be "undescribed".
        if not observational and c not in described and distinct > 1 and \
                ck.s.meta_read:
            ck.r.add("data.columns.undescribed", ck.data,
                     f"Column '{c}' has values but no row in {ck.meta_file}; it will "
                     "not be imported.", row=1, column=c)
