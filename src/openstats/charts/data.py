"""A chart of a table: the reader's choices, sensible defaults, and the numbers to draw.

Defaults: time along the axis when there are 3 or more periods (a line chart), else the
largest other dimension (a bar chart); the series are the dimension with the fewest
values (at most 8); every other dimension that varies is held at one value, which the
title names. Legends then name only what varies between the series.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openstats.charts import maps
from openstats.charts.model import KINDS, ChartData, ChartSpec, Series
from openstats.charts.svg import MAX_SERIES
from openstats.query.pivot import INDICATOR, LOCATION, TIME, Dimension, Table, number_of

MAP_LEVELS = ("LA", "REG")


def map_level(levels: set[str], boundaries: Path | None) -> str:
    """The level at which a map can show locations of these levels (one level, LA or
    REG, with its boundary file in `boundaries`), else ""."""
    if len(levels) != 1 or boundaries is None:
        return ""
    level = next(iter(levels))
    found = level in MAP_LEVELS and maps.path_of(boundaries, level) is not None
    return level if found else ""


@dataclass(frozen=True)
class ChartChoices:
    """What a reader can choose from for this table."""

    kinds: tuple[tuple[str, str], ...]  # (kind, label); maps only where they can be drawn
    indicators: tuple[tuple[str, str], ...]
    axes: tuple[Dimension, ...]  # dimensions that vary (not the indicator)


def choices(table: Table, map_level: str) -> ChartChoices:
    """`map_level` is the level of the table's locations when a map can show them, or ""."""
    kinds = tuple((k, label) for k, label in KINDS.items() if k != "map" or map_level)
    by_key = {d.key: d for d in table.dims}
    varying = tuple(d for d in table.dims if d.key != INDICATOR and len(d.values) > 1)
    return ChartChoices(kinds, tuple((x.key, x.label) for x in by_key[INDICATOR].values),
                        varying)


def default_spec(table: Table, indicator: str = "") -> ChartSpec:
    by_key = {d.key: d for d in table.dims}
    varying = [d for d in table.dims if d.key != INDICATOR and len(d.values) > 1]
    indicator = indicator or by_key[INDICATOR].values[0].key
    if not varying:
        return ChartSpec("bar", indicator, TIME)
    time = by_key[TIME]
    if len(time.values) >= 3:
        x, kind = time, "line"
    else:
        x, kind = max(varying, key=lambda d: len(d.values)), "bar"
    rest = sorted((d for d in varying if d.key != x.key), key=lambda d: len(d.values))
    group = rest[0] if rest and len(rest[0].values) <= MAX_SERIES else None
    fixed = tuple((d.key, held(d)) for d in rest if d is not group)
    return ChartSpec(kind, indicator, x.key, group.key if group else "", fixed)


def held(d: Dimension) -> str:
    """The value a dimension is held at by default: the latest period, else the first."""
    return d.values[-1].key if d.key == TIME else d.values[0].key


def spec_from(table: Table, params: dict[str, str], map_level: str) -> ChartSpec:
    """The reader's chart from form fields (chart_type, chart_indicator, chart_x,
    chart_group, chart_fix_<dimension>), each checked; anything unknown takes its default."""
    options = choices(table, map_level)
    indicators = [k for k, _ in options.indicators]
    indicator = params.get("chart_indicator", "")
    base = default_spec(table, indicator if indicator in indicators else "")
    kind = params.get("chart_type", base.kind)
    if kind not in dict(options.kinds):
        kind = base.kind
    varying = {d.key: d for d in options.axes}
    x = LOCATION if kind == "map" else params.get("chart_x", base.x)
    if x not in varying:
        x = base.x if base.x in varying or not varying else next(iter(varying))
    group = "" if kind == "map" else params.get("chart_group", base.group)
    if group not in varying or group == x:
        group = "" if "chart_group" in params or kind == "map" else (
            base.group if base.group != x else "")
    fixed = []
    for key, d in varying.items():
        if key in (x, group):
            continue
        chosen = params.get(f"chart_fix_{key}", "")
        values = [v.key for v in d.values]
        fixed.append((key, chosen if chosen in values else held(d)))
    return ChartSpec(kind, base.indicator, x, group, tuple(fixed))


def spec_fields(spec: ChartSpec) -> list[tuple[str, str]]:
    """The form fields that give this spec back through `spec_from`."""
    return [("chart_type", spec.kind), ("chart_indicator", spec.indicator),
            ("chart_x", spec.x), ("chart_group", spec.group),
            *((f"chart_fix_{d}", value) for d, value in spec.fixed)]


def chart_data(table: Table, spec: ChartSpec, codes: dict[str, str]) -> ChartData:
    """The spec's numbers from the table's observations; `codes` maps location public ids
    to their codes (for maps)."""
    by_key = {d.key: d for d in table.dims}
    order = [d.key for d in table.dims]
    base = {d.key: d.values[0].key for d in table.dims}
    base.update(dict(spec.fixed))
    base[INDICATOR] = spec.indicator
    x = by_key[spec.x]
    groups = by_key[spec.group].values if spec.group else ()
    series = []
    for g in groups or (None,):
        values = []
        for value in x.values:
            key = dict(base, **{spec.x: value.key})
            if g is not None:
                key[spec.group] = g.key
            values.append(number_of(table.observations.get(tuple(key[k] for k in order), "")))
        series.append(Series(g.label if g is not None else "", tuple(values)))
    indicator = next(v for v in by_key[INDICATOR].values if v.key == spec.indicator)
    unit, decimals = table.units[spec.indicator]
    held = [next(v.label for v in by_key[d].values if v.key == k) for d, k in spec.fixed]
    held += [d.values[0].label for d in table.fixed if d.values[0].label != "Total"]
    title = indicator.label + (f" for {', '.join(held)}" if held else "")
    note = ""
    if len(series) > MAX_SERIES:
        note = (f"The chart shows {MAX_SERIES} of the {len(series)} series; choose fewer "
                "series or another dimension for them. The table has all the numbers.")
    return ChartData(
        title=title, measure=indicator.label, unit=unit, decimals=decimals,
        percent=unit == "%" or "percent" in indicator.label.lower(),
        axis_label=x.label, categories=tuple(v.label for v in x.values),
        series=tuple(series), codes=tuple(codes.get(v.key, "") for v in x.values)
        if spec.x == LOCATION else (), note=note)

