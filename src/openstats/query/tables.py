"""What a table-tool reader chose (`Selection`) and the API query it stands for.

The tool asks through the same query engine as the public API, with the same public ids,
so a table, its permalink and its equivalent API query always agree. `pivot` lays the
answer out as a table; `flat` streams it as one row per observation for downloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from openstats.query.request import And, Facets, LocationRef, Or, PeriodRef, QueryRequest
from openstats.standards import geography, time_periods

if TYPE_CHECKING:  # a type here: loading a manifest (match_spec) needs no DuckDB nor pyarrow
    from openstats.query.engine import Version

DEFAULT_CELL_LIMIT = 25_000


@dataclass
class Selection:
    """What a reader chose, by public ids: the whole state of a table, in its URL."""

    data_set_id: str
    locations: list[str] = field(default_factory=list)
    start: str = ""  # "2017|RY" (API period|code)
    end: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # filter id -> option ids
    indicators: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)  # layout: dimension keys
    cols: list[str] = field(default_factory=list)
    version: str = ""  # empty: the latest

    @classmethod
    def from_params(cls, params: list[tuple[str, str]]) -> Selection:
        values: dict[str, list[str]] = {}
        for key, value in params:
            values.setdefault(key, []).extend(v for v in value.split(",") if v)

        def first(k: str) -> str:
            return (values.get(k) or [""])[0]

        filters = {k[len("filter_"):]: v for k, v in values.items() if k.startswith("filter_")}
        return cls(data_set_id=first("dataSetId"), locations=values.get("locations", []),
                   start=first("start"), end=first("end"), filters=filters,
                   indicators=values.get("indicators", []), rows=values.get("rows", []),
                   cols=values.get("cols", []), version=first("version"))

    def params(self) -> list[tuple[str, str]]:
        out = [("dataSetId", self.data_set_id)]
        if self.version:
            out.append(("version", self.version))
        out += [("locations", v) for v in self.locations]
        if self.start:
            out.append(("start", self.start))
        if self.end:
            out.append(("end", self.end))
        for fid, options in self.filters.items():
            out += [(f"filter_{fid}", o) for o in options]
        out += [("indicators", v) for v in self.indicators]
        if self.rows:
            out.append(("rows", ",".join(self.rows)))
        if self.cols:
            out.append(("cols", ",".join(self.cols)))
        return out

    def query_string(self, **changes: Any) -> str:
        params = [(k, v) for k, v in self.params() if k not in changes]
        params += [(k, v) for k, v in changes.items() if v]
        return urlencode(params)

    def as_json(self) -> dict[str, Any]:
        return {"dataSetId": self.data_set_id, "version": self.version,
                "locations": self.locations, "start": self.start, "end": self.end,
                "filters": self.filters, "indicators": self.indicators, "rows": self.rows,
                "cols": self.cols}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Selection:
        return cls(data_set_id=doc["dataSetId"], version=doc.get("version", ""),
                   locations=doc["locations"], start=doc["start"], end=doc["end"],
                   filters=doc["filters"], indicators=doc["indicators"], rows=doc["rows"],
                   cols=doc["cols"])


def time_key(t: dict[str, Any]) -> str:
    return f"{time_periods.api_period(t['period'])}|{t['code']}"


def periods_between(v: Version, start: str, end: str) -> list[dict[str, Any]]:
    """Time periods from start to end inclusive, in time order (empty if either is unknown)."""
    times = sorted(v.meta["time_periods"], key=lambda t: t["id"])
    keys = [time_key(t) for t in times]
    if start not in keys or end not in keys:
        return []
    a, b = sorted((keys.index(start), keys.index(end)))
    return times[a: b + 1]


def cell_count(v: Version, sel: Selection) -> int:
    n = len(sel.locations) * len(periods_between(v, sel.start, sel.end)) * len(sel.indicators)
    for options in sel.filters.values():
        n *= len(options)
    return n


def problems(v: Version, sel: Selection, limit: int) -> dict[str, str]:
    """Field -> message for everything missing or too large; empty when the table can be made."""
    out: dict[str, str] = {}
    if not [x for x in sel.locations if x in v.locations]:
        out["locations"] = "Select at least one location"
    if not periods_between(v, sel.start, sel.end):
        out["start"] = "Select a start and an end time period"
    for f in v.meta["filters"]:
        if not [o for o in sel.filters.get(f["public_id"], []) if o in v.options]:
            out[f"filter_{f['public_id']}"] = f"Select at least one option of {f['label']}"
    if not [i for i in sel.indicators if i in v.indicators]:
        out["indicators"] = "Select at least one indicator"
    if not out and cell_count(v, sel) > limit:
        out["size"] = (f"This table would have {cell_count(v, sel):,} cells, more than the "
                       f"{limit:,} we can show. Choose fewer locations, time periods, filter "
                       "options or indicators.")
    return out


def to_request(v: Version, sel: Selection) -> QueryRequest:
    """The API query for a selection: per level, its chosen locations; then time, filters."""
    parts: list[Any] = [_places(v, sel), _times(v, sel)]
    for fid, options in sel.filters.items():
        if fid in v.filters:
            parts.append(Facets("criteria", {"filters": {"in": options}}))
    return QueryRequest(criteria=And("criteria", parts), indicators=list(sel.indicators),
                        page_size=10_000)


def request_so_far(v: Version, sel: Selection, *, with_times: bool) -> QueryRequest:
    """The query of the choices made before a step (its locations, and from the filters
    step on its time periods): what `query.availability` is asked, so each step offers
    only what has data given the earlier ones."""
    parts: list[Any] = [_places(v, sel)] if any(x in v.locations for x in sel.locations) else []
    if with_times and periods_between(v, sel.start, sel.end):
        parts.append(_times(v, sel))
    return QueryRequest(criteria=And("criteria", parts) if parts else None)


def _places(v: Version, sel: Selection) -> Or:
    by_level: dict[str, list[LocationRef]] = {}
    for lid in sel.locations:
        loc = v.locations.get(lid)
        if loc is not None:
            by_level.setdefault(loc["level"], []).append(
                LocationRef(loc["level"], "id", lid, f"{loc['level']}|id|{lid}"))
    return Or("criteria.or", [
        Facets(f"criteria.or[{i}]", {"geographicLevels": {"eq": level},
                                     "locations": {"in": refs}})
        for i, (level, refs) in enumerate(by_level.items())])


def _times(v: Version, sel: Selection) -> Facets:
    times = [PeriodRef(time_periods.api_period(t["period"]), t["code"], time_key(t))
             for t in periods_between(v, sel.start, sel.end)]
    return Facets("criteria", {"timePeriods": {"in": times}})


def api_body(v: Version, sel: Selection) -> dict[str, Any]:
    """The same query as a POST body for the public API, for readers to reuse."""
    levels: dict[str, list[str]] = {}
    for lid in sel.locations:
        if lid in v.locations:
            levels.setdefault(v.locations[lid]["level"], []).append(lid)
    return {"criteria": {"and": [
        {"or": [{"geographicLevels": {"eq": level},
                 "locations": {"in": [{"level": level, "id": i} for i in ids]}}
                for level, ids in levels.items()]},
        {"timePeriods": {"in": [{"period": time_periods.api_period(t["period"]), "code": t["code"]}
                                for t in periods_between(v, sel.start, sel.end)]}},
        *({"filters": {"in": options}} for fid, options in sel.filters.items()
          if fid in v.filters),
    ]}, "indicators": list(sel.indicators)}


# --- featured tables: a readable spec (codes, labels, columns) -> a selection -------------
def match_spec(meta: dict[str, Any], spec: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The metadata items a featured-table spec names, and a problem per name not found.

    Specs name things as people write them: locations as `LEVEL|code|E92000001` (or
    oldCode, urn, laEstab, ukprn) or a bare `LEVEL` for all of that level, time periods
    as `2017|RY`, filter options by label under their column, indicators by column.
    Filters left out take their default (Total).
    """
    problems_found: list[str] = []
    locations = []
    for i, text in enumerate(spec.get("locations", [])):
        level, _, rest = str(text).partition("|")
        prop, _, value = rest.partition("|")
        column = geography.secondary_code_column(level) if level in geography.BY_CODE else None
        if not rest:  # a bare level: every location of it ("LA": all local authorities)
            found = [loc for loc in meta["locations"] if loc["level"] == level]
        else:
            found = [loc for loc in meta["locations"] if loc["level"] == level and (
                prop, value) in geography.location_refs(
                level, loc["code"], str(loc.get(column) or "") if column else "")]
        if not found:
            problems_found.append(f"locations[{i}]: no location '{text}'")
        locations += found
    times = {time_key(t): t for t in meta["time_periods"]}
    chosen_times = []
    for i, key in enumerate(spec.get("time_periods", [])):
        if key not in times:
            problems_found.append(f"time_periods[{i}]: no time period '{key}' (known: "
                                  f"{', '.join(times)})")
        else:
            chosen_times.append(times[key])
    if len(spec.get("time_periods", [])) != 2:
        problems_found.append("time_periods: give exactly two, the start and the end")
    options: dict[str, list[dict[str, Any]]] = {}
    named = spec.get("filters", {})
    for f in meta["filters"]:
        if f["column"] in named:
            labels = {o["label"]: o for o in f["options"]}
            for label in named[f["column"]]:
                if label not in labels:
                    problems_found.append(f"filters.{f['column']}: no option '{label}'")
                else:
                    options.setdefault(f["column"], []).append(labels[label])
        else:
            default = [o for o in f["options"] if o["label"] == f.get("default")]
            options[f["column"]] = default or list(f["options"])
    for column in named:
        if column not in {f["column"] for f in meta["filters"]}:
            problems_found.append(f"filters.{column}: not a filter of this data set")
    indicators = {i["column"]: i for i in meta["indicators"]}
    chosen_indicators = []
    for i, column in enumerate(spec.get("indicators", [])):
        if column not in indicators:
            problems_found.append(f"indicators[{i}]: no indicator '{column}'")
        else:
            chosen_indicators.append(indicators[column])
    return {"locations": locations, "times": chosen_times, "options": options,
            "indicators": chosen_indicators}, problems_found


def spec_to_selection(v: Version, data_set_id: str, spec: dict[str, Any]) -> Selection:
    matched, _ = match_spec(v.meta, spec)
    times = [time_key(t) for t in matched["times"]]
    return Selection(
        data_set_id=data_set_id,
        locations=[loc["public_id"] for loc in matched["locations"]],
        start=times[0] if times else "", end=times[-1] if times else "",
        filters={next(f["public_id"] for f in v.meta["filters"] if f["column"] == column):
                 [o["public_id"] for o in opts] for column, opts in matched["options"].items()},
        indicators=[i["public_id"] for i in matched["indicators"]],
        rows=list(spec.get("rows", [])), cols=list(spec.get("cols", [])))


def selection_to_spec(v: Version, sel: Selection) -> dict[str, Any]:
    """A selection written as people write specs (the inverse of `spec_to_selection`):
    locations by code, periods by key, options by label, indicators by column; so a data
    block built in the table tool's steps keeps meaning the same in later versions."""
    locations = []
    for lid in sel.locations:
        loc = v.locations.get(lid)
        if loc is None:
            continue
        column = geography.secondary_code_column(loc["level"])
        refs = geography.location_refs(loc["level"], loc["code"],
                                       str(loc.get(column) or "") if column else "")
        prop, value = refs[0] if refs else ("id", lid)
        locations.append(f"{loc['level']}|{prop}|{value}")
    filters = {}
    for fid, options in sel.filters.items():
        f = v.filters.get(fid)
        if f is not None:
            filters[f["column"]] = [o["label"] for o in f["options"] if o["public_id"] in options]
    return {"locations": locations, "time_periods": [sel.start, sel.end],
            "filters": filters,
            "indicators": [v.indicators[i]["column"] for i in sel.indicators
                           if i in v.indicators]}
