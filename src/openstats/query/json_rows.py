"""Answer rows as JSON text, built from Arrow columns without a Python object per row.

A query answer's rows all have one shape (EES's DataSetQueryResultViewModel):

    {"timePeriod":{"code":..,"period":..},"geographicLevel":..,"locations":{..},
     "filters":{..},"values":{..}}

Every part of a row but its indicator values is one of a few fragments known when the
version is opened: a time period's `{"timePeriod":..}` text, a location's `"LA":"id"`
pair, a filter option's `"filterId":"optionId"` pair. So a row is the fragments its ids
pick (`pyarrow.compute.take`) joined element-wise with the escaped values, and the page
is those row texts joined with commas: vectorised C++ work, whatever the page size.

The text is exactly what `json.dumps(answer, ensure_ascii=False, separators=(",", ":"))`
gives for the same rows (the API's answers stay byte for byte the same): fragments are
made with `json.dumps`, and a value that needs escaping is escaped by `json.dumps` too.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Characters json.dumps escapes (with ensure_ascii=False): quote, backslash, controls.
_NEEDS_ESCAPE = re.compile(rb'["\\\x00-\x1f]')


def dumps(value: object) -> str:
    """The API's JSON text of a small value (paging, warnings, fragments)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Shape:
    """How one version's rows are written: the columns to read and their fragments.

    `times[i]` is the opening of a row whose time period id is i, up to the opening quote
    of its geographic level; `locations` pairs each location column with the fragments
    by location id (None where an id is not of that column's level); `filters` pairs each
    filter column with its fragments by option id; `values` pairs each indicator column
    with its `"key":"` prefix.
    """

    times: pa.Array
    locations: Sequence[tuple[str, pa.Array]]
    filters: Sequence[tuple[str, pa.Array]]
    values: Sequence[tuple[str, str]]

    @property
    def columns(self) -> list[str]:
        """The columns a query must select for these rows, in a fixed order."""
        return ["time_period_id", "geographic_level", *(c for c, _ in self.locations),
                *(c for c, _ in self.filters), *(c for c, _ in self.values)]


def fragments(texts: Sequence[str | None]) -> pa.Array:
    """A string array of these texts (None: null), built from its buffers.

    Not `pa.array(list)`: that imports pandas when it is installed (to check the list
    is not a pandas object), which took most of a second and ~100 MB of a server's memory.
    """
    encoded = [t.encode() if t is not None else b"" for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    valid = np.packbits(np.array([t is not None for t in texts], dtype=bool),
                        bitorder="little")
    return pa.Array.from_buffers(pa.string(), len(encoded), [
        pa.py_buffer(valid.tobytes()), pa.py_buffer(offsets.tobytes()),
        pa.py_buffer(b"".join(encoded))])


@functools.cache
def _scalar(text: str) -> pa.Scalar:
    """A string scalar made without `pa.scalar` (which imports pandas, see fragments)."""
    return fragments([text])[0]


def pair(key: str, value: str) -> str:
    """`"key":"value"`, each escaped as json.dumps would."""
    return f"{dumps(key)}:{dumps(value)}"


def rows_json(shape: Shape, table: pa.Table) -> bytes:
    """The page's rows as `row,row,...` (no brackets); b"" for no rows."""
    if table.num_rows == 0:
        return b""
    col = {name: _flat(table.column(name)) for name in shape.columns}
    parts: list[pa.Array | pa.Scalar] = [
        pc.take(shape.times, col["time_period_id"]), col["geographic_level"],
        _scalar('","locations":{')]
    located = [pc.take(frags, col[name]) for name, frags in shape.locations]
    if located:
        # A row names a location only for the levels it fills: skip the nulls.
        parts.append(pc.binary_join_element_wise(*located, _scalar(","), null_handling="skip")
                     if len(located) > 1 else pc.fill_null(located[0], _scalar("")))
    parts.append(_scalar('},"filters":{'))
    if shape.filters:
        parts.append(_joined([pc.take(frags, col[name]) for name, frags in shape.filters]))
    parts.append(_scalar('},"values":{'))
    if shape.values:
        parts.append(_joined([
            pc.binary_join_element_wise(_scalar(prefix), _escaped(col[name]),
                                        _scalar('"'), _scalar(""))
            for name, prefix in shape.values]))
    parts.append(_scalar("}},"))  # every row ends with a comma; the last one is cut
    rows = pc.binary_join_element_wise(*parts, _scalar(""))
    text = _flat(rows)
    offsets, data = text.buffers()[1:3]
    assert offsets is not None and data is not None and pa.types.is_string(text.type)
    # The rows lie back to back in the string array's data buffer: that is the page.
    bounds = np.frombuffer(offsets, dtype=np.int32)
    first, last = int(bounds[text.offset]), int(bounds[text.offset + len(text)])
    page: bytes = data[first:last - 1].to_pybytes()
    return page


def _joined(arrays: list[pa.Array]) -> pa.Array:
    if len(arrays) == 1:
        return arrays[0]
    return pc.binary_join_element_wise(*arrays, _scalar(","))


def _flat(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def as_text(values: pa.Array) -> pa.Array:
    """An indicator column as the text answers give (cells are stored as published text;
    a column of another type is cast), missing values null."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    return values


def _escaped(values: pa.Array) -> pa.Array:
    """Indicator values as JSON string contents: a missing value is "" (as before)."""
    values = pc.fill_null(as_text(values), _scalar(""))
    # One scan of the text buffer, not a regex per cell (a third of a 1,000-row page's
    # JSON). The buffer may hold bytes outside this array's cells: a false alarm only
    # takes the exact path below.
    data = values.buffers()[2]
    if data is not None and _NEEDS_ESCAPE.search(memoryview(data)) is not None:
        # Rare (quotes, backslashes or line breaks in a cell): escape those cells exactly
        # as json.dumps does, leave the others as they are.
        return fragments([dumps(v)[1:-1] if v is not None else "" for v in values.to_pylist()])
    return values
