"""An answer as one flat table, one row per observation: the CSV and Parquet formats.

The columns are those of the table tool's CSV download (`query/flat.py`) and of the open
data standards' own files: time period and identifier, geographic level, each level's code
and name columns (every level down to the deepest one in the answer), the filter columns
(option labels) and the indicator columns. In CSV the values are exactly as published
(symbols included) and no text cell can become a formula; in Parquet each indicator is a
number column with a `<column>_symbol` text column beside it for the cells that are
symbols, so numbers stay numbers for the tools that read Parquet.
"""

from __future__ import annotations

import io
import json
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from openstats.exports import labels
from openstats.formulas import NUMBER, TRIGGERS
from openstats.query.json_rows import fragments
from openstats.query.observations import Observations
from openstats.standards import geography


def flat(obs: Observations, *, safe: bool) -> list[tuple[str, pa.Array]]:
    """The columns other than the indicators: (name, text array) in order."""
    meta = obs.version.meta
    times = obs.ids("time_period_id")
    out = [("time_period", labels.take(labels.by_id(meta["time_periods"],
                                                    lambda t: str(t["period"])), times)),
           ("time_identifier", labels.take(labels.by_id(meta["time_periods"],
                                                        labels.time_label), times))]
    level_codes = obs.ids("geographic_level")
    levels = sorted(set(level_codes.unique().to_pylist()) - {None},
                    key=geography.LEVEL_ORDER.__getitem__)
    deepest = max((geography.LEVEL_ORDER[c] for c in levels), default=-1)
    names = {code: labels.level_label(code) for code in levels}
    out.append(("geographic_level", _level_labels(level_codes, names)))
    locations = meta["locations"]
    for level in geography.LEVELS:
        column = f"loc_{level.code}"
        if geography.LEVEL_ORDER[level.code] > deepest or column not in obs.table.column_names:
            continue
        ids = obs.ids(column)
        own = [loc for loc in locations if loc["level"] == level.code]
        for code_column in level.code_columns:
            codes = [{"id": loc["id"], "code": labels.location_code(loc, code_column)}
                     for loc in own]
            out.append((code_column, labels.take(labels.by_id(
                codes, lambda c: str(c["code"]), safe=safe), ids)))
        out.append((level.name_column, labels.take(labels.by_id(
            own, lambda loc: str(loc["name"] or ""), safe=safe), ids)))
    for f in obs.filters:
        out.append((f["column"], labels.take(labels.by_id(
            f["options"], lambda o: str(o["label"]), safe=safe), obs.ids(f["column"]))))
    return out


def _level_labels(codes: pa.Array, names: dict[str, str]) -> pa.Array:
    """Level codes (NAT, LA...) as the labels a data file writes (National...)."""
    keys = list(names)
    positions = pc.index_in(codes, value_set=pa.array(keys, pa.string()))
    return labels.take(fragments([names[k] for k in keys]), positions)


def csv_bytes(obs: Observations) -> bytes:
    columns = flat(obs, safe=True)
    for i in obs.indicators:
        columns.append((i["column"], _safe_values(obs.table.column(i["column"]))))
    table = pa.table(dict(columns))  # nulls are written as empty cells
    buffer = io.BytesIO()
    buffer.write("\ufeff".encode())  # a BOM, as the table tool's CSV: Excel reads UTF-8 right
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(quoting_style="needed"))
    return buffer.getvalue()


def _safe_values(values: pa.ChunkedArray) -> pa.Array:
    """Indicator cells as a CSV may hold them (`formulas.neutralise`, vectorised): text
    starting like a formula gets a leading `'`; plain numbers, -5 included, stay as they are."""
    array = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    starts = pc.match_substring_regex(array, "^[" + re.escape("".join(TRIGGERS)) + "]")
    number = pc.and_(pc.match_substring_regex(array, f"^(?:{NUMBER.pattern})$"),
                     pc.match_substring_regex(array, "[0-9]"))
    risky = pc.fill_null(pc.and_(starts, pc.invert(number)), False)
    if not pc.any(risky).as_py():
        return array
    return pc.if_else(risky, pc.binary_join_element_wise("'", array, ""), array)


def parquet_bytes(obs: Observations) -> bytes:
    columns = flat(obs, safe=False)
    for i in obs.indicators:
        numbers, symbols = labels.split_values(obs.table.column(i["column"]))
        columns += [(i["column"], numbers), (f"{i['column']}_symbol", symbols)]
    # Plain text columns (not dictionary ones): readers then see strings, not categories.
    table = pa.table({name: pc.cast(array, pa.string()) if pa.types.is_dictionary(array.type)
                      else array for name, array in columns})
    units = {i["column"]: labels.indicator_unit(i) for i in obs.indicators}
    table = table.replace_schema_metadata({
        "openstats.units": json.dumps(units).encode(), "openstats.data_set_version":
        obs.version.version_id.encode()})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()
