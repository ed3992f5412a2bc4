"""An answer as one flat table, one row per observation: the CSV and Parquet formats.

The columns are those of the table tool's CSV download (`query/flat.py`) and of the open
data standards' own files: time period and identifier, geographic level, each level's code
and name columns (every level of the data set, as its data file has), the filter columns
(option labels) and the indicator columns. In CSV the values are exactly as published
(symbols included) and no text cell can become a formula; in Parquet each indicator is a
number column with a `<column>_symbol` text column beside it for the cells that are
symbols, so numbers stay numbers for the tools that read Parquet. Both are written a batch
of rows at a time (`query.observations.batches`), so a file of any size is streamed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from openstats.exports import labels
from openstats.query.engine import Version
from openstats.query.json_rows import fragments
from openstats.query.observations import Observations
from openstats.standards import geography
from openstats.standards.formulas import STARTS_LIKE_A_FORMULA, WHOLE_NUMBER


def flat(obs: Observations, *, safe: bool) -> list[tuple[str, pa.Array]]:
    """The columns other than the indicators: (name, text array) in order."""
    v = obs.version
    meta = v.meta
    times = obs.ids("time_period_id")
    out = [("time_period", labels.take(v.derived(("flat", "time_period"), partial(
               labels.by_id, meta["time_periods"], _period)), times)),
           ("time_identifier", labels.take(v.derived(("flat", "time_identifier"), partial(
               labels.by_id, meta["time_periods"], labels.time_label)), times))]
    names = {code: labels.level_label(code) for code in meta["geographic_levels"]}
    out.append(("geographic_level", _level_labels(obs.ids("geographic_level"), names)))
    # Every level's columns, as in the data file: the same header for every batch. The
    # label arrays depend on the version alone, so each is made once per version (a
    # version may hold tens of thousands of schools).
    for level in geography.LEVELS:
        column = f"loc_{level.code}"
        if column not in obs.table.column_names:
            continue
        ids = obs.ids(column)
        for code_column in level.code_columns:
            out.append((code_column, labels.take(v.derived(
                ("flat", code_column, safe),
                partial(_code_labels, v, level.code, code_column, safe)), ids)))
        out.append((level.name_column, labels.take(v.derived(
            ("flat", level.name_column, safe), partial(_name_labels, v, level.code, safe)),
            ids)))
    for f in obs.filters:
        out.append((f["column"], labels.take(v.derived(
            ("flat", f["column"], safe), partial(labels.by_id, f["options"], _label,
                                                 safe=safe)), obs.ids(f["column"]))))
    return out


def _period(t: dict[str, Any]) -> str:
    return str(t["period"])


def _label(o: dict[str, Any]) -> str:
    return str(o["label"])


def _own(v: Version, level: str) -> list[dict[str, Any]]:
    return [loc for loc in v.meta["locations"] if loc["level"] == level]


def _code_labels(v: Version, level: str, code_column: str, safe: bool) -> pa.Array:
    codes = [{"id": loc["id"], "code": labels.location_code(loc, code_column)}
             for loc in _own(v, level)]
    return labels.by_id(codes, lambda c: str(c["code"]), safe=safe)


def _name_labels(v: Version, level: str, safe: bool) -> pa.Array:
    return labels.by_id(_own(v, level), lambda loc: str(loc["name"] or ""), safe=safe)


def _level_labels(codes: pa.Array, names: dict[str, str]) -> pa.Array:
    """Level codes (NAT, LA...) as the labels a data file writes (National...)."""
    keys = list(names)
    positions = pc.index_in(codes, value_set=pa.array(keys, pa.string()))
    return labels.take(fragments([names[k] for k in keys]), positions)


def csv_table(obs: Observations) -> pa.Table:
    columns = flat(obs, safe=True)
    for i in obs.indicators:
        columns.append((i["column"], _safe_values(obs.table.column(i["column"]))))
    return pa.table(dict(columns))  # nulls are written as empty cells


def csv_chunks(parts: Iterable[Observations]) -> Iterator[bytes]:
    """The CSV a batch of rows at a time; a BOM first, as the table tool's CSV (so Excel
    reads UTF-8 right), then the header."""
    options = pacsv.WriteOptions(quoting_style="needed")
    yield "\ufeff".encode()
    for n, part in enumerate(parts):
        yield table_csv(csv_table(part), options if n == 0 else pacsv.WriteOptions(
            quoting_style="needed", include_header=False))


def table_csv(table: pa.Table, options: pacsv.WriteOptions) -> bytes:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, options)
    return buffer.getvalue()


def _safe_values(values: pa.ChunkedArray) -> pa.Array:
    """Indicator cells as a CSV may hold them (`formulas.neutralise`, vectorised): text
    starting like a formula gets a leading `'`; plain numbers, -5 included, stay as they are."""
    array = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    starts = pc.match_substring_regex(array, STARTS_LIKE_A_FORMULA)
    number = pc.and_(pc.match_substring_regex(array, WHOLE_NUMBER),
                     pc.match_substring_regex(array, "[0-9]"))
    risky = pc.fill_null(pc.and_(starts, pc.invert(number)), False)
    if not pc.any(risky).as_py():
        return array
    return pc.if_else(risky, pc.binary_join_element_wise("'", array, ""), array)


def parquet_table(obs: Observations) -> pa.Table:
    columns = flat(obs, safe=False)
    for i in obs.indicators:
        numbers, symbols = labels.split_values(obs.table.column(i["column"]))
        columns += [(i["column"], numbers), (f"{i['column']}_symbol", symbols)]
    # Plain text columns (not dictionary ones): readers then see strings, not categories.
    table = pa.table({name: pc.cast(array, pa.string()) if pa.types.is_dictionary(array.type)
                      else array for name, array in columns})
    units = {i["column"]: labels.indicator_unit(i) for i in obs.indicators}
    return table.replace_schema_metadata({
        "openstats.units": json.dumps(units).encode(), "openstats.data_set_version":
        obs.version.version_id.encode()})


def parquet_chunks(parts: Iterable[Observations]) -> Iterator[bytes]:
    """The Parquet file a row group per batch, each sent as soon as it is written."""
    sink = _Chunks()
    writer: pq.ParquetWriter | None = None
    for part in parts:
        table = parquet_table(part)
        if writer is None:
            writer = pq.ParquetWriter(sink, table.schema, compression="zstd")
        writer.write_table(table)
        yield sink.take()
    if writer is not None:
        writer.close()
    yield sink.take()


class _Chunks(io.RawIOBase):
    """A write-only file that hands on what was written since last asked (`take`)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out
