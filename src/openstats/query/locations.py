"""Locations as the table tool offers them: levels, LAs under their regions, unique names.

EES lists local authorities under their region, each region with its own "select all".
A version's metadata holds each location but not its parent, so the parent comes from
the data: every LA row names its region too, and one query (one option per filter, one
indicator: a row per LA and period) returns that hierarchy and the periods each LA has.

Two locations of a level may share a name (Dorset the county, E10000009, until 2019 and
Dorset the unitary authority, E06000059, after it). Such names get their code and, where
their periods differ, the span of the data they have: "Dorset (E10000009, 2015/16 to 2018/19)".

Both facts are computed once per version (versions never change) and kept in a small
bounded cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from openstats.query.engine import QueryEngine, Version
from openstats.query.request import And, Facets, QueryRequest
from openstats.query.tables import time_key
from openstats.standards import geography, time_periods

GROUPED_LEVEL, PARENT_LEVEL = "LA", "REG"
NO_PARENT = "Other"  # LAs whose rows name no region


@dataclass(frozen=True)
class LocationOption:
    public_id: str
    label: str  # the name, with the code (and span) where another has the same name
    code: str


@dataclass(frozen=True)
class LocationGroup:
    label: str  # a region's name, or "" for a level that is not grouped
    options: tuple[LocationOption, ...]


@dataclass(frozen=True)
class LocationLevel:
    code: str  # "LA"
    label: str  # "Local authority"
    groups: tuple[LocationGroup, ...]

    @property
    def size(self) -> int:
        return sum(len(g.options) for g in self.groups)


@dataclass(frozen=True)
class LocationTree:
    levels: tuple[LocationLevel, ...]
    labels: dict[str, str]  # public id -> unique label


_CACHE: OrderedDict[str, LocationTree] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 64


def tree(engine: QueryEngine, v: Version) -> LocationTree:
    """The version's locations, grouped and uniquely labelled (computed once per version)."""
    with _LOCK:
        found = _CACHE.get(v.version_id)
        if found is not None:
            _CACHE.move_to_end(v.version_id)
            return found
    built = _build(v, _hierarchy(engine, v))
    with _LOCK:
        _CACHE[v.version_id] = built
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return built


def _hierarchy(engine: QueryEngine, v: Version) -> dict[str, tuple[str, set[str]]]:
    """LA public id -> (its region's public id or "", the time keys it has data for)."""
    if GROUPED_LEVEL not in v.location_levels or not v.meta["indicators"]:
        return {}
    parts: list[Any] = [Facets("criteria", {"geographicLevels": {"eq": GROUPED_LEVEL}})]
    for f in v.meta["filters"]:
        default = [o for o in f["options"] if o["label"] == f.get("default")] or f["options"][:1]
        parts.append(Facets("criteria", {"filters": {"in": [default[0]["public_id"]]}}))
    req = QueryRequest(criteria=And("criteria", parts),
                       indicators=[v.meta["indicators"][0]["public_id"]], page_size=10_000)
    out: dict[str, tuple[str, set[str]]] = {}
    page = 1
    while True:
        req.page = page
        answer = engine.run(v, req)
        for r in answer["results"]:
            la = r["locations"].get(GROUPED_LEVEL)
            if la is None:
                continue
            region, times = out.get(la, ("", set()))
            times.add(f"{r['timePeriod']['period']}|{r['timePeriod']['code']}")
            out[la] = (region or r["locations"].get(PARENT_LEVEL, ""), times)
        if page >= answer["paging"]["totalPages"]:
            return out
        page += 1


def _build(v: Version, hierarchy: dict[str, tuple[str, set[str]]]) -> LocationTree:
    labels = unique_labels(v, {la: times for la, (_, times) in hierarchy.items()})
    levels = []
    for level in sorted(v.location_levels, key=lambda c: geography.LEVEL_ORDER[c]):
        options = sorted((LocationOption(loc["public_id"], labels[loc["public_id"]],
                                         loc["code"] or "")
                          for loc in v.meta["locations"] if loc["level"] == level),
                         key=lambda o: o.label.lower())
        if level == GROUPED_LEVEL and hierarchy:
            by_region: dict[str, list[LocationOption]] = {}
            for o in options:
                region = hierarchy.get(o.public_id, ("", set()))[0]
                name = v.locations[region]["name"] if region in v.locations else NO_PARENT
                by_region.setdefault(name, []).append(o)
            groups = tuple(LocationGroup(name, tuple(opts)) for name, opts in sorted(
                by_region.items(), key=lambda item: (item[0] == NO_PARENT, item[0])))
        else:
            groups = (LocationGroup("", tuple(options)),)
        levels.append(LocationLevel(level, geography.BY_CODE[level].label, groups))
    return LocationTree(tuple(levels), labels)


def unique_labels(v: Version, periods_of: dict[str, set[str]]) -> dict[str, str]:
    """Each location's name, told apart from others of its level with the same name."""
    by_name: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for loc in v.meta["locations"]:
        by_name.setdefault((loc["level"], (loc["name"] or "").strip().lower()), []).append(loc)
    order = {f"{t['period']}|{t['code']}": i for i, t in enumerate(v.meta["time_periods"])}
    keys = {time_key(t): t for t in v.meta["time_periods"]}
    labels: dict[str, str] = {}
    for same in by_name.values():
        for loc in same:
            name = loc["name"] or "(no name)"
            if len(same) == 1:
                labels[loc["public_id"]] = name
                continue
            extra = [loc["code"]] if loc["code"] else []
            spans = [_span(periods_of.get(x["public_id"], set()), keys, order) for x in same]
            mine = _span(periods_of.get(loc["public_id"], set()), keys, order)
            if mine and len(set(spans)) == len(spans):
                extra.append(mine)
            labels[loc["public_id"]] = f"{name} ({', '.join(extra)})" if extra else name
    return labels


def _span(times: set[str], keys: dict[str, dict[str, Any]], order: dict[str, int]) -> str:
    known = sorted((keys[t] for t in times if t in keys),
                   key=lambda t: order[f"{t['period']}|{t['code']}"])
    if not known:
        return ""
    if known[0] is known[-1]:
        return _label(known[0])
    return f"{_label(known[0])} to {_label(known[-1])}"


def _label(t: dict[str, Any]) -> str:
    return time_periods.label(t["period"], t["code"])
