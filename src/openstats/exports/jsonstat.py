"""An answer as a JSON-stat 2.0 dataset (https://json-stat.org/format/).

A JSON-stat dataset is a cube: `id` names the dimensions in the data set's order (time
period, location, each filter, then the indicator), `size` gives each one's number of
categories, and `value` lists every cell of the cube in row-major order (null where the
answer has no row). Categories are those the answer holds, in the data set's order. A
cell published as a symbol (c: suppressed, x: not available, z: not applicable, low, ...)
has a null value and its symbol in `status`. Indicators are the metric dimension: each
carries its `unit` (label, decimals, symbol) as JSON-stat defines it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openstats.exports import labels
from openstats.query.observations import Observations
from openstats.standards import geography, time_periods
from openstats.standards.symbols import SYMBOLS

# A cube bigger than this is refused (400 naming `format`): the flat formats have no cap.
MAX_CELLS = 5_000_000


class TooBig(Exception):
    """The answer's cube has more cells than MAX_CELLS."""

    def __init__(self, cells: int) -> None:
        super().__init__(f"A JSON-stat answer is a whole cube: this one would have "
                         f"{cells:,} cells, more than {MAX_CELLS:,}. Narrow the criteria, "
                         "or ask for format=csv, sdmx-csv or parquet.")
        self.cells = cells


def dataset(obs: Observations, *, label: str, href: str = "") -> dict[str, Any]:
    """The JSON-stat `dataset` object of an answer."""
    v = obs.version
    times = obs.ids("time_period_id")
    present_times = set(times.unique().to_pylist())
    time_items = sorted((t for t in v.meta["time_periods"] if t["id"] in present_times),
                        key=lambda t: v.ordinal[t["id"]])
    locs = obs.ids("location_id")
    loc_items = v.locations_in_order(locs.unique().to_pylist())
    dims: list[tuple[str, dict[str, Any], list[int], pa.Array]] = [
        ("timePeriod", _dimension("Time period", [(
            f"{labels.api_period(t)}|{t['code']}",
            time_periods.label(t["period"], t["code"])) for t in time_items]),
         [t["id"] for t in time_items], times),
        ("location", _dimension("Location", [(loc["public_id"], str(loc["name"] or ""))
                                             for loc in loc_items]) | {"extension": {
            "level": {loc["public_id"]: loc["level"] for loc in loc_items},
            "code": {loc["public_id"]: loc["code"] for loc in loc_items},
            "levels": {code: geography.BY_CODE[code].label
                       for code in dict.fromkeys(loc["level"] for loc in loc_items)}}},
         [loc["id"] for loc in loc_items], locs)]
    for f in obs.filters:
        ids = obs.ids(f["column"])
        present = set(ids.unique().to_pylist())
        options = [o for o in f["options"] if o["id"] in present]
        dims.append((f["public_id"], _dimension(f["label"], [
            (o["public_id"], o["label"]) for o in options]) | {
            "extension": {"column": f["column"]}},
            [o["id"] for o in options], ids))
    indicator = _dimension("Indicator", [(i["public_id"], i["label"]) for i in obs.indicators])
    indicator["category"]["unit"] = {i["public_id"]: _unit(i) for i in obs.indicators}
    indicator["extension"] = {"column": {i["public_id"]: i["column"] for i in obs.indicators}}
    sizes = [len(positions) for _, _, positions, _ in dims] + [len(obs.indicators)]
    cells = int(np.prod(sizes, dtype=np.int64)) if obs.table.num_rows else 0
    if cells > MAX_CELLS:
        raise TooBig(cells)
    value, status = _cells(obs, dims, sizes, cells)
    out: dict[str, Any] = {
        "version": "2.0", "class": "dataset", "label": label,
        "id": [name for name, *_ in dims] + ["indicator"], "size": sizes,
        "role": {"time": ["timePeriod"], "geo": ["location"], "metric": ["indicator"]},
        "dimension": {name: d for name, d, _, _ in dims} | {"indicator": indicator},
        "value": RawList(value),
        "extension": {"dataSetVersion": v.version_id, "warnings": obs.warnings,
                      "symbols": SYMBOLS}}
    if status:
        out["status"] = status
    if href:
        out["href"] = href
    return out


class RawList(str):
    """A JSON array's text, already written (the cube's values: see `_cells`)."""


def to_bytes(doc: dict[str, Any]) -> bytes:
    """The dataset's JSON text, its values spliced in last as they were written (JSON
    objects have no order, so `value` may come at the end)."""
    head = json.dumps({k: v for k, v in doc.items() if k != "value"},
                      ensure_ascii=False, separators=(",", ":"))
    text: str = head[:-1] + ',"value":' + doc["value"] + "}"
    return text.encode()


def _dimension(label: str, items: list[tuple[str, str]]) -> dict[str, Any]:
    return {"label": label, "category": {"index": [key for key, _ in items],
                                         "label": dict(items)}}


def _unit(i: dict[str, Any]) -> dict[str, Any]:
    unit: dict[str, Any] = {"label": labels.indicator_unit(i) or "number"}
    places = labels.decimals(i)
    if places is not None:
        unit["decimals"] = places
    if labels.indicator_unit(i) in ("%", "£", "£m", "pp"):
        unit["symbol"] = labels.indicator_unit(i)
        unit["position"] = "start" if labels.indicator_unit(i).startswith("£") else "end"
    return unit


def _cells(obs: Observations, dims: list[tuple[str, dict[str, Any], list[int], pa.Array]],
           sizes: list[int], cells: int) -> tuple[str, dict[str, str]]:
    """The cube's values as JSON array text, in row-major order, and the symbols of the
    cells that have one (by place). Vectorised: each row's place is computed with numpy,
    and each number is written as published when that text is already a JSON number."""
    index = np.zeros(obs.table.num_rows, dtype=np.int64)
    for (_, _, ids, column), size in zip(dims, sizes, strict=False):
        # Each row's place among this dimension's categories (ids -> positions).
        lookup = np.full(max(ids, default=0) + 1, -1, dtype=np.int64)
        lookup[ids] = np.arange(len(ids))
        filled = pc.fill_null(column, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        index = index * size + lookup[filled]
    out = np.full(cells, "null", dtype=object)
    status: dict[str, str] = {}
    n = len(obs.indicators)
    for k, i in enumerate(obs.indicators):
        values = obs.table.column(i["column"])
        numbers, symbols = labels.split_values(values)
        text = pc.cast(pc.utf8_trim_whitespace(values), pa.string())
        as_json = pc.fill_null(pc.match_substring_regex(text, JSON_NUMBER), False)
        # Numbers whose text is not JSON's (007, 1.50e+2...) are written from their value.
        written = pc.if_else(as_json, text, pc.cast(numbers, pa.string()))
        has_number = pc.is_valid(numbers).to_numpy(zero_copy_only=False)
        at = index * n + k
        out[at[has_number]] = written.filter(pa.array(has_number)).to_numpy(
            zero_copy_only=False)
        has_symbol = pc.is_valid(symbols).to_numpy(zero_copy_only=False)
        status.update(zip(map(str, at[has_symbol].tolist()),
                          symbols.filter(pa.array(has_symbol)).to_pylist(), strict=True))
    return "[" + ",".join(out.tolist()) + "]", status


JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
