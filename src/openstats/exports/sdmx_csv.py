"""An answer as SDMX-CSV 2.0 (the SDMX 3.0 CSV format for data), one row per observation.

Columns: `STRUCTURE` (always `dataflow`), `STRUCTURE_ID` (`OPENSTATS:<data set id>(<version>)`,
the data set version as SDMX's agency:id(version)), `ACTION` (`I`, information), then
the dimensions in the data set's order, `TIME_PERIOD` (as the API writes it: 2017,
2020/2021), `TIME_IDENTIFIER` (the period's code: CY, AY, ...), `GEOGRAPHIC_LEVEL`,
`LOCATION` and one column per filter (named as the filter's column, in capitals), all
holding the API's codes and ids; then `INDICATOR`, the measure `OBS_VALUE` (the number,
blank for a symbol) and the attributes `OBS_STATUS` (the symbol: c, x, z, low, ...),
`UNIT_MEASURE` and `DECIMALS`. So a row here is one (observation, indicator) of the JSON
answer, with the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from openstats.exports import labels
from openstats.exports.flat_table import table_csv
from openstats.query.json_rows import fragments
from openstats.query.observations import Observations

MEDIA_TYPE = "application/vnd.sdmx.data+csv;version=2.0.0"


def structure_id(data_set_id: str, version: str) -> str:
    parts = (version.split(".") + ["0", "0"])[:3]
    return f"OPENSTATS:{data_set_id}({'.'.join(parts)})"


def component_id(column: str) -> str:
    """An SDMX id from a column name: letters, digits and underscores, in capitals."""
    return re.sub(r"[^A-Za-z0-9_]", "_", column).upper()


def chunks(parts: Iterable[Observations], data_set_id: str, version: str
           ) -> Iterator[bytes]:
    """The file a batch of rows at a time, the header first."""
    for n, part in enumerate(parts):
        yield table_csv(table(part, data_set_id, version), pacsv.WriteOptions(
            quoting_style="needed", include_header=n == 0))


def table(obs: Observations, data_set_id: str, version: str) -> pa.Table:
    v = obs.version
    meta = v.meta
    n, k = obs.table.num_rows, len(obs.indicators)
    # Observation-major: each row's indicators one after another, as in the JSON answer.
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    times = obs.ids("time_period_id")
    columns: dict[str, pa.Array] = {
        "STRUCTURE": labels.constant("dataflow", n * k),
        "STRUCTURE_ID": labels.constant(structure_id(data_set_id, version), n * k),
        "ACTION": labels.constant("I", n * k),
        # The id -> code arrays depend on the version alone: made once per version (one
        # may hold 70,000 schools), as the flat formats' labels are.
        "TIME_PERIOD": labels.take(v.derived(("sdmx", "TIME_PERIOD"), partial(
            labels.by_id, meta["time_periods"], labels.api_period)), times),
        "TIME_IDENTIFIER": labels.take(v.derived(("sdmx", "TIME_IDENTIFIER"), partial(
            labels.by_id, meta["time_periods"], _code)), times),
        "GEOGRAPHIC_LEVEL": obs.ids("geographic_level"),
        "LOCATION": labels.take(v.derived(("sdmx", "LOCATION"), partial(
            labels.by_id, meta["locations"], _public_id)), obs.ids("location_id")),
    }
    for name in ("TIME_PERIOD", "TIME_IDENTIFIER", "GEOGRAPHIC_LEVEL", "LOCATION"):
        columns[name] = pc.take(columns[name], rows)
    for f in obs.filters:
        options = v.derived(("sdmx", f["column"]), partial(labels.by_id, f["options"],
                                                           _public_id))
        columns[component_id(f["column"])] = pc.take(
            labels.take(options, obs.ids(f["column"])), rows)
    columns["INDICATOR"] = pc.take(fragments([i["public_id"] for i in obs.indicators]),
                                   np.tile(np.arange(k, dtype=np.int64), n))
    values, symbols = [], []
    for i in obs.indicators:
        numbers, symbol = labels.split_values(obs.table.column(i["column"]))
        values.append(numbers)
        symbols.append(symbol)
    # Indicator-major arrays put back in observation-major order.
    order = (np.arange(n, dtype=np.int64)[:, None] + np.arange(k)[None, :] * n).ravel()
    columns["OBS_VALUE"] = _taken(values, order, pa.float64())
    columns["OBS_STATUS"] = _taken(symbols, order, pa.string())
    columns["UNIT_MEASURE"] = pc.take(fragments([labels.indicator_unit(i)
                                                 for i in obs.indicators]),
                                      np.tile(np.arange(k, dtype=np.int64), n))
    columns["DECIMALS"] = pc.take(pa.array([labels.decimals(i) for i in obs.indicators],
                                           pa.int64()), np.tile(np.arange(k, dtype=np.int64), n))
    return pa.table(columns)


def _code(t: dict[str, Any]) -> str:
    return str(t["code"])


def _public_id(item: dict[str, Any]) -> str:
    return str(item["public_id"])


def _taken(parts: list[pa.Array], order: np.ndarray, kind: pa.DataType) -> pa.Array:
    if not parts:
        return pa.array([], kind)
    return pc.take(pa.concat_arrays(parts), order)
