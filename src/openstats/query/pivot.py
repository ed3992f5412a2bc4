"""The table as a reader sees it: which dimension goes where, merged headers, formatted cells.

A selection's answer has one value per (location, time period, filter options, indicator).
`build` lays those out as EES's table tool does by default (`default_layout`): with fewer
than 8 time periods, periods across and indicators down; every other dimension with more
than one value is shared between the two axes, smaller ones across. Dimensions with a
single value (one location, "Total" of a filter) are not headers at all: the caption names
them. Rows and columns with no data anywhere are dropped, as EES does, and the page says so.

Headers are computed from the leaves that remain, so a label is merged over the run of
neighbouring rows (rowspan) or columns (colspan) it heads, and never repeated.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NamedTuple

from openstats.query import observations as rows
from openstats.query.engine import QueryEngine, Version
from openstats.query.tables import Selection, periods_between, time_key, to_request
from openstats.standards import bidi, geography, symbols, time_periods

TIME, LOCATION, INDICATOR = "time", "location", "indicator"
PERIODS_ACROSS = 8  # fewer periods than this: periods are the columns (EES's rule)
CAPTION_LOCATIONS = 10  # locations named in a caption before "and N other locations"


@dataclass(frozen=True)
class Value:
    key: str  # public id, or "period|code" for time
    label: str


@dataclass(frozen=True)
class Dimension:
    key: str  # TIME, LOCATION, INDICATOR or "filter:<public id>"
    label: str  # "Time period", "School type", ...
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Header:
    label: str
    span: int  # colspan in a column header row, rowspan in a row header column
    key: str = ""


class Cell(NamedTuple):
    """One cell of a table. A named tuple, not a dataclass: a table has up to 25,000 of
    them, and a frozen dataclass took three times as long to make (issue 13's case (e))."""

    raw: str  # as published: a number, a symbol, or "" where the data has no row
    text: str  # as shown: rounded, with its unit
    number: float | None  # for spreadsheets and charts; None for symbols and gaps
    decimals: int | None
    unit: str


@dataclass
class Table:
    caption: str
    row_dims: list[Dimension]
    col_dims: list[Dimension]
    fixed: list[Dimension]  # one value each: named in the caption, not in headers
    col_headers: list[list[Header]]  # one list per column dimension, outermost first
    row_headers: list[list[Header | None]]  # per body row: a header where one starts
    row_labels: list[list[str]]  # per body row, one label per row dimension
    col_labels: list[list[str]]  # per column, one label per column dimension
    cells: list[list[Cell]]
    symbols_used: list[tuple[str, str]]
    dropped: bool  # some rows or columns had no data at all and are not shown
    observations: dict[tuple[str, ...], str] = field(default_factory=dict)
    dims: list[Dimension] = field(default_factory=list)  # all, in observation key order
    units: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # indicator ->
    # (unit, decimal places)

    @property
    def cell_count(self) -> int:
        return sum(len(r) for r in self.cells)

    @property
    def dim_labels(self) -> dict[str, str]:
        return {d.key: d.label for d in self.dims}


# --- formatting --------------------------------------------------------------------------
def number_of(raw: str) -> float | None:
    """The value as a number, or None for symbols, text and gaps."""
    number = _decimal(raw)
    return None if number is None else _float(number)


def _decimal(raw: str) -> Decimal | None:
    """The published value as a decimal, or None for symbols, text and gaps."""
    if not raw or raw in symbols.SYMBOLS:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _float(number: Decimal) -> float | None:
    try:
        return float(number)
    except ValueError:  # a signalling NaN
        return None


def format_value(raw: str, indicator: dict[str, Any]) -> str:
    """A cell as readers see it: rounded to its decimal places, with its unit."""
    return cell(raw, indicator).text


def with_unit(text: str, unit: str) -> str:
    return {"%": text + "%", "£": "£" + text, "£m": "£" + text + "m",
            "pp": text + "pp"}.get(unit, text)


def cell(raw: str, indicator: dict[str, Any]) -> Cell:
    """The cell of a published value: the value parsed once for both its text and its
    number (a table tool table formats up to 25,000 of them)."""
    unit = indicator["unit"]
    dp = indicator.get("decimal_places")
    if raw is None or raw == "":
        return Cell(raw, "no data", None, dp, unit)
    number = None if unit == "numberstring" else _decimal(raw)
    if number is None:  # a symbol, text, or a number kept as text
        return Cell(raw, raw, None, dp, unit)
    as_float = _float(number)
    if dp is not None:
        number = number.quantize(_quantum(dp), rounding=ROUND_HALF_UP)
        text = f"{number:,.{dp}f}"
    else:
        text = f"{number:,f}".rstrip("0").rstrip(".") if "." in raw else f"{number:,f}"
    return Cell(raw, with_unit(text, unit), as_float, dp, unit)


@functools.cache
def _quantum(dp: int) -> Decimal:
    return Decimal(1).scaleb(-dp)


# --- dimensions and layout ---------------------------------------------------------------
def dimensions(v: Version, sel: Selection, names: dict[str, str]) -> list[Dimension]:
    """Each dimension's chosen values in display order; `names` labels locations."""
    locs = [v.locations[x] for x in sel.locations if x in v.locations]
    locs.sort(key=lambda loc: (geography.LEVEL_ORDER[loc["level"]], loc["name"]))
    dims = [Dimension(LOCATION, "Location", tuple(
                Value(loc["public_id"], names.get(loc["public_id"], loc["name"]))
                for loc in locs)),
            Dimension(TIME, "Time period", tuple(
                Value(time_key(t), time_periods.label(t["period"], t["code"]))
                for t in periods_between(v, sel.start, sel.end)))]
    for f in v.meta["filters"]:
        chosen = set(sel.filters.get(f["public_id"], []))
        dims.append(Dimension(f"filter:{f['public_id']}", f["label"], tuple(
            Value(o["public_id"], o["label"]) for o in f["options"] if o["public_id"] in chosen)))
    wanted = set(sel.indicators)
    dims.append(Dimension(INDICATOR, "Indicator", tuple(
        Value(i["public_id"], i["label"]) for i in v.meta["indicators"]
        if i["public_id"] in wanted)))
    return dims


def is_fixed(d: Dimension) -> bool:
    """A dimension with one value goes to the caption (time and indicators always head)."""
    return len(d.values) == 1 and d.key not in (TIME, INDICATOR)


def _by_size(dims: list[Dimension]) -> list[Dimension]:
    # Fewer values first; among equals, shorter labels first: wordy ones belong in rows,
    # where they wrap instead of widening the table.
    return sorted(dims, key=lambda d: (len(d.values), sum(len(x.label) for x in d.values)))


def default_layout(dims: list[Dimension]) -> tuple[list[str], list[str]]:
    """(row keys, column keys), outermost first, as EES's table tool lays a table out."""
    groups = [d for d in dims if d.key not in (TIME, INDICATOR) and not is_fixed(d)]
    time = next(d for d in dims if d.key == TIME)
    indicator = next(d for d in dims if d.key == INDICATOR)
    if len(time.values) < PERIODS_ACROSS:
        ordered = _by_size(groups)
        half = len(ordered) // 2
        cols = sorted(ordered[:half], key=lambda d: len(d.values))
        rows = sorted(ordered[half:], key=lambda d: len(d.values))
        return [d.key for d in rows] + [INDICATOR], [d.key for d in cols] + [TIME]
    ordered = _by_size([*groups, time, indicator])
    half = len(ordered) // 2
    return ([d.key for d in sorted(ordered[half:], key=lambda d: len(d.values))],
            [d.key for d in sorted(ordered[:half], key=lambda d: len(d.values))])


def layout(dims: list[Dimension], sel: Selection) -> tuple[list[str], list[str]]:
    """The reader's layout where it names dimensions that head this table, else EES's."""
    heading = [d.key for d in dims if not is_fixed(d)]
    rows = [k for k in sel.rows if k in heading]
    cols = [k for k in sel.cols if k in heading and k not in rows]
    if not rows and not cols:
        return default_layout(dims)
    rest = [k for k in heading if k not in rows and k not in cols]
    rows += rest
    if not cols and len(rows) > 1:
        cols = [rows.pop()]
    return rows, cols


# --- building ----------------------------------------------------------------------------
def observations(engine: QueryEngine, v: Version, sel: Selection,
                 dims: list[Dimension]) -> dict[tuple[str, ...], str]:
    """Every value of the selection, keyed by its dimension values in `dims` order.

    Read as the Arrow columns the file formats are written from (`query.observations`:
    the same request, criteria and order as the API's answer, every row at once), not
    through the API's JSON: writing that text and parsing it back was a quarter of a
    table's time (issue 13's case (e))."""
    answer = rows.observations(engine, v, to_request(v, sel), small=True)
    table = answer.table
    n = table.num_rows
    order = [d.key for d in dims]
    columns: list[list[str]] = []  # one list of keys per dimension, in `order`
    for k in order:
        if k == TIME:
            times = v.derived(("pivot time keys",), lambda: {
                t["id"]: time_key(t) for t in v.meta["time_periods"]})
            columns.append([times[i] for i in answer.ids("time_period_id").to_pylist()])
        elif k == LOCATION:
            ids = answer.ids("location_id").to_pylist()
            columns.append([v.location_by_id[i]["public_id"] for i in ids])
        elif k.startswith("filter:"):
            f = v.filters[k[len("filter:"):]]
            options = [o["public_id"] for o in f["options"]]  # option id = its place
            columns.append([options[i] for i in answer.ids(f["column"]).to_pylist()])
        else:
            columns.append([""] * n)  # INDICATOR: filled per indicator below
    at = order.index(INDICATOR)
    found: dict[tuple[str, ...], str] = {}
    keys = list(zip(*columns, strict=True)) if n else []
    values = [(i["public_id"], answer.texts(i["column"])) for i in answer.indicators]
    for row, key in enumerate(keys):  # in the answer's order, as the API's rows come
        for public_id, column in values:
            value = column[row]
            found[(*key[:at], public_id, *key[at + 1:])] = "" if value is None else value
    return found


def _headers(leaves: list[tuple[Value, ...]], depth: int) -> list[list[Header]]:
    """Per level, the runs of neighbouring leaves that share everything down to that level."""
    out: list[list[Header]] = []
    for level in range(depth):
        runs: list[Header] = []
        start = 0
        for _, group in itertools.groupby(leaves, key=lambda leaf: leaf[: level + 1]):
            n = len(list(group))
            value = leaves[start][level]
            runs.append(Header(value.label, n, value.key))
            start += n
        out.append(runs)
    return out


def build(engine: QueryEngine, v: Version, sel: Selection, names: dict[str, str]) -> Table:
    """Run the selection's query and lay the values out (call `tables.problems` first)."""
    dims = dimensions(v, sel, names)
    found = observations(engine, v, sel, dims)
    by_key = {d.key: d for d in dims}
    row_keys, col_keys = layout(dims, sel)
    fixed = [d for d in dims if is_fixed(d)]
    row_dims = [by_key[k] for k in row_keys]
    col_dims = [by_key[k] for k in col_keys]
    position = {d.key: i for i, d in enumerate(dims)}
    # Every dimension is fixed, or heads rows, or heads columns (`layout`): so a value's
    # key splits into its row's keys and its column's keys, and each value is placed once
    # instead of a key being built for every cell (half of a 1,000-cell table's layout).
    fixed_at = [(position[d.key], d.values[0].key) for d in fixed]
    row_at = [position[d.key] for d in row_dims]
    col_at = [position[d.key] for d in col_dims]
    all_rows = list(itertools.product(*(d.values for d in row_dims)))
    all_cols = list(itertools.product(*(d.values for d in col_dims)))
    row_ids = [tuple(x.key for x in r) for r in all_rows]
    col_ids = [tuple(x.key for x in c) for c in all_cols]
    known_rows, known_cols = set(row_ids), set(col_ids)
    grid: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
    for key, raw in found.items():
        if all(key[p] == k for p, k in fixed_at):
            r, c = tuple(key[p] for p in row_at), tuple(key[p] for p in col_at)
            if r in known_rows and c in known_cols:
                grid[(r, c)] = raw
    rows_with_data = {r for r, _ in grid}
    cols_with_data = {c for _, c in grid}
    kept_rows = [(r, ids) for r, ids in zip(all_rows, row_ids, strict=True)
                 if ids in rows_with_data]
    kept_cols = [(c, ids) for c, ids in zip(all_cols, col_ids, strict=True)
                 if ids in cols_with_data]
    rows = [r for r, _ in kept_rows]
    cols = [c for c, _ in kept_cols]
    indicators = {i["public_id"]: i for i in v.meta["indicators"]}
    at = position[INDICATOR]
    in_rows = at in row_at
    at_in = row_at.index(at) if in_rows else col_at.index(at)
    cells: list[list[Cell]] = []
    used: set[str] = set()
    for _, rk in kept_rows:
        line = []
        for _, ck in kept_cols:
            raw = grid.get((rk, ck), "")
            if raw in symbols.SYMBOLS:
                used.add(raw)
            line.append(cell(raw, indicators[rk[at_in] if in_rows else ck[at_in]]))
        cells.append(line)
    row_runs = _headers(rows, len(row_dims))
    row_headers: list[list[Header | None]] = [[None] * len(row_dims) for _ in rows]
    for level, runs in enumerate(row_runs):
        start = 0
        for h in runs:
            row_headers[start][level] = h
            start += h.span
    return Table(
        caption=caption(dims), row_dims=row_dims, col_dims=col_dims, fixed=fixed,
        col_headers=_headers(cols, len(col_dims)), row_headers=row_headers,
        row_labels=[[x.label for x in r] for r in rows],
        col_labels=[[x.label for x in c] for c in cols], cells=cells,
        symbols_used=sorted((s, symbols.SYMBOLS[s]) for s in used),
        dropped=len(rows) < len(all_rows) or len(cols) < len(all_cols),
        observations=found, dims=dims,
        units={k: (i["unit"], i.get("decimal_places")) for k, i in indicators.items()})


def _names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _lower_first(label: str) -> str:
    # "School type" -> "school type", but "SEN provision" stays as it is.
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def caption(dims: list[Dimension]) -> str:
    """'Headcount and Percent by school type and ethnicity for Total in Barnet and Camden
    between 2020/21 and 2021/22'.

    Names the indicators, the filters whose options head rows or columns, the options of
    filters with only one chosen (but "Total", the one a reader assumes), the locations
    (ten, then how many more) and the time span. Unlike EES's captions, it does not list
    again every option the headers show, so it stays short above a big table.

    Each label is isolated (bidi.isolate: unchanged unless it holds direction controls),
    so that one label cannot reorder the rest of the sentence, years included.
    """
    by_key = {d.key: d for d in dims}
    parts = [_names([bidi.isolate(x.label) for x in by_key[INDICATOR].values])]
    filters = [d for d in dims if d.key.startswith("filter:")]
    varying = [bidi.isolate(_lower_first(d.label)) for d in filters if len(d.values) > 1]
    if varying:
        parts.append(f"by {_names(varying)}")
    options = [bidi.isolate(d.values[0].label) for d in filters if len(d.values) == 1
               and d.values[0].label != "Total"]
    if options:
        parts.append(f"for {_names(options)}")
    places = [bidi.isolate(x.label) for x in by_key[LOCATION].values]
    if len(places) > CAPTION_LOCATIONS:
        more = len(places) - CAPTION_LOCATIONS
        places = [*places[:CAPTION_LOCATIONS],
                  f"{more} other location{'s' if more != 1 else ''}"]
    parts.append(f"in {_names(places)}")
    times = by_key[TIME].values
    parts.append(f"in {times[0].label}" if len(times) == 1
                 else f"between {times[0].label} and {times[-1].label}")
    return " ".join(parts)
