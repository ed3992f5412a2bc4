"""The changes between a version and the one before it, as EES's changes view model.

Things are matched by public id (which survives versions while the thing is unchanged):
a thing that went is a major change, a new one or a relabelled one is minor.
"""

from __future__ import annotations

from typing import Any

from openstats.api import views


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[dict[str, Any]],
                                                                list[dict[str, Any]]]:
    """(major, minor) change lists of {previousState?, currentState?} by key."""
    major, minor = [], []
    for key, old in before.items():
        if key not in after:
            major.append({"previousState": old})
        elif after[key] != old:
            minor.append({"previousState": old, "currentState": after[key]})
    for key, new in after.items():
        if key not in before:
            minor.append({"currentState": new})
    return major, minor


def change_sets(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any],
                                                                  dict[str, Any]]:
    major: dict[str, Any] = {}
    minor: dict[str, Any] = {}

    def put(name: str, pair: tuple[list[Any], list[Any]]) -> None:
        if pair[0]:
            major[name] = pair[0]
        if pair[1]:
            minor[name] = pair[1]

    put("filters", _diff({f["public_id"]: views.filter_view(f) for f in old["filters"]},
                         {f["public_id"]: views.filter_view(f) for f in new["filters"]}))
    old_filters = {f["public_id"]: f for f in old["filters"]}
    new_filters = {f["public_id"]: f for f in new["filters"]}
    option_major, option_minor = [], []
    for fid in sorted(set(old_filters) | set(new_filters)):
        f_old, f_new = old_filters.get(fid), new_filters.get(fid)
        a = {o["public_id"]: {"id": o["public_id"], "label": o["label"]}
             for o in (f_old["options"] if f_old else [])}
        b = {o["public_id"]: {"id": o["public_id"], "label": o["label"]}
             for o in (f_new["options"] if f_new else [])}
        big, small = _diff(a, b)
        shown = views.filter_view(f_new or f_old)  # type: ignore[arg-type]
        if big:
            option_major.append({"filter": shown, "options": big})
        if small:
            option_minor.append({"filter": shown, "options": small})
    put("filterOptions", (option_major, option_minor))
    put("geographicLevels", _diff(
        {c: views.level_view(c) for c in old["geographic_levels"]},
        {c: views.level_view(c) for c in new["geographic_levels"]}))
    put("indicators", _diff({i["public_id"]: views.indicator_view(i) for i in old["indicators"]},
                            {i["public_id"]: views.indicator_view(i) for i in new["indicators"]}))
    old_levels = {loc["level"] for loc in old["locations"]}
    new_levels = {loc["level"] for loc in new["locations"]}
    put("locationGroups", _diff({lv: {"level": views.level_view(lv)} for lv in old_levels},
                                {lv: {"level": views.level_view(lv)} for lv in new_levels}))
    loc_major, loc_minor = [], []
    for level in sorted(old_levels | new_levels):
        a = {loc["public_id"]: views.location_option(loc) for loc in old["locations"]
             if loc["level"] == level}
        b = {loc["public_id"]: views.location_option(loc) for loc in new["locations"]
             if loc["level"] == level}
        big, small = _diff(a, b)
        if big:
            loc_major.append({"level": views.level_view(level), "options": big})
        if small:
            loc_minor.append({"level": views.level_view(level), "options": small})
    put("locationOptions", (loc_major, loc_minor))
    put("timePeriods", _diff(
        {(t["period"], t["code"]): views.time_view(t) for t in old["time_periods"]},
        {(t["period"], t["code"]): views.time_view(t) for t in new["time_periods"]}))
    return major, minor
