"""A selection as flat rows, one per observation, for the CSV and big XLSX downloads.

The shape is EES's table CSV and the open data standards' own: time period and
identifier, geographic level, each level's code and name columns, the filter columns
(option labels) and the indicator columns, with values exactly as published (symbols
included). Rows are read from the engine a page at a time, so a download of any size
holds one page in memory; the caller passes an engine that does not cache answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from openstats.query.engine import QueryEngine, Version
from openstats.query.request import QueryRequest, Sort
from openstats.query.tables import Selection, to_request
from openstats.standards import geography, time_periods

PAGE_ROWS = 5_000


@dataclass(frozen=True)
class FlatColumns:
    names: list[str]  # the header row
    levels: list[str]  # level codes whose location columns are written, in order
    filters: list[tuple[str, str]]  # (filter public id, column)
    indicators: list[tuple[str, str]]  # (indicator public id, column)


def columns(v: Version, sel: Selection) -> FlatColumns:
    """The header: every level down to the deepest one chosen, then filters, indicators."""
    chosen = [v.locations[x]["level"] for x in sel.locations if x in v.locations]
    deepest = max((geography.LEVEL_ORDER[c] for c in chosen), default=0)
    levels = [lv.code for lv in geography.LEVELS
              if lv.code in v.location_levels and geography.LEVEL_ORDER[lv.code] <= deepest]
    names = ["time_period", "time_identifier", "geographic_level"]
    for code in levels:
        level = geography.BY_CODE[code]
        names += [*level.code_columns, level.name_column]
    filters = [(f["public_id"], f["column"]) for f in v.meta["filters"]]
    wanted = set(sel.indicators)
    indicators = [(i["public_id"], i["column"]) for i in v.meta["indicators"]
                  if i["public_id"] in wanted]
    names += [c for _, c in filters] + [c for _, c in indicators]
    return FlatColumns(names, levels, filters, indicators)


def request(v: Version, sel: Selection) -> QueryRequest:
    """The query of a selection's downloads: every file has its rows in time order."""
    req = to_request(v, sel)
    req.page_size = PAGE_ROWS
    req.sorts = [Sort("timePeriod", "Asc", "timePeriod|Asc")]
    return req


def rows(engine: QueryEngine, v: Version, sel: Selection, cols: FlatColumns
         ) -> Iterator[list[str]]:
    """The observations in time order, a page of the engine's answer at a time."""
    req = request(v, sel)
    times = {(t["code"], time_periods.api_period(t["period"])): t for t in v.meta["time_periods"]}
    labels = {o["public_id"]: o["label"] for f in v.meta["filters"] for o in f["options"]}
    page = 1
    while True:
        req.page = page
        answer = engine.run(v, req)
        for r in answer["results"]:
            t = times[(r["timePeriod"]["code"], r["timePeriod"]["period"])]
            line = [t["period"], time_periods.BY_CODE[t["code"]].label,
                    geography.BY_CODE[r["geographicLevel"]].label]
            for code in cols.levels:
                line += _location_cells(v, code, r["locations"].get(code))
            line += [labels.get(r["filters"].get(fid, ""), "") for fid, _ in cols.filters]
            line += [r["values"].get(iid, "") for iid, _ in cols.indicators]
            yield line
        if page >= answer["paging"]["totalPages"]:
            return
        page += 1


def _location_cells(v: Version, level_code: str, public_id: str | None) -> list[str]:
    level = geography.BY_CODE[level_code]
    width = len(level.code_columns) + 1
    loc = v.locations.get(public_id or "")
    if loc is None:
        return [""] * width
    codes = [loc["code"] or ""] + [str(loc.get(c) or "") for c in level.code_columns[1:]]
    return [*codes, loc["name"] or ""]

