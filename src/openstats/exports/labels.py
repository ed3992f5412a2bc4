"""What the ids of an answer's rows stand for, as Arrow arrays the file formats take from.

A version's Parquet file holds small integer ids for time periods, locations and filter
options; their labels and codes are in its metadata. Each array here is indexed by id,
so a whole column of ids becomes labels with one `take` (vectorised, whatever the size).
Indicator cells are text as published: `split_values` parts them into numbers and
symbols (c, x, z, low, ...), the way the open data standards define them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openstats.query.json_rows import fragments
from openstats.standards import geography, time_periods
from openstats.standards.formulas import neutralise
from openstats.standards.symbols import NUMBER_PATTERN


def by_id(items: Sequence[dict[str, Any]], text: Callable[[dict[str, Any]], str],
          *, safe: bool = False) -> pa.Array:
    """`text(item)` at each item's id (null where no item has that id); `safe`: as a CSV
    cell may be written (no formulas, `formulas.neutralise`)."""
    out: list[str | None] = [None] * (max((i["id"] for i in items), default=-1) + 1)
    for item in items:
        value = text(item)
        out[item["id"]] = neutralise(value) if safe else value
    return fragments(out)


def take(labels: pa.Array, ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The label of each id, as a dictionary array: the ids themselves are its indices, so
    nothing is copied per row (writers of CSV and Parquet take dictionary arrays)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
    if not pa.types.is_integer(ids.type):  # e.g. level codes: look their places up first
        raise TypeError(f"ids must be integers, not {ids.type}")
    return pa.DictionaryArray.from_arrays(ids, labels)


def constant(text: str, length: int) -> pa.Array:
    """`text` in every one of `length` rows (a dictionary of one)."""
    return pa.DictionaryArray.from_arrays(np.zeros(length, dtype=np.int8), fragments([text]))


def api_period(t: dict[str, Any]) -> str:
    return time_periods.api_period(t["period"])


def time_label(t: dict[str, Any]) -> str:
    return str(time_periods.BY_CODE[t["code"]].label)


def level_label(code: str) -> str:
    return geography.BY_CODE[code].label


def location_code(loc: dict[str, Any], column: str) -> str:
    """A location's value in one of its level's code columns (the first is its code)."""
    level = geography.BY_CODE[loc["level"]]
    if column == level.code_columns[0]:
        return str(loc["code"] or "")
    return str(loc.get(column) or "")


def split_values(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """(numbers as float64, null where not a number; the other non-blank cells as text,
    null where a number or blank): a cell is one or the other."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    text = pc.utf8_trim_whitespace(values)
    numeric = pc.fill_null(pc.match_substring_regex(text, NUMBER_PATTERN), False)
    numbers = pc.cast(pc.if_else(numeric, text, None), pa.float64())
    blank = pc.fill_null(pc.equal(text, ""), True)
    symbols = pc.if_else(pc.or_(numeric, blank), None, text)
    return numbers, symbols


def indicator_unit(i: dict[str, Any]) -> str:
    return str(i.get("unit") or "")


def decimals(i: dict[str, Any]) -> int | None:
    places = i.get("decimal_places")
    return int(places) if places is not None and str(places) != "" else None
