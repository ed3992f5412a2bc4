"""What changed between two versions of a data set, and whether the change is major.

Following the public API's rules: anything a client's query could name that has gone
(a filter, option, indicator, location, geographic level or time period) makes the new
version major; additions only make it minor.
"""

from __future__ import annotations

from typing import Any


def _keys(meta: dict[str, Any]) -> dict[str, set[tuple[str, ...]]]:
    return {
        "filters": {(f["column"],) for f in meta["filters"]},
        "filter_options": {(f["column"], o["label"]) for f in meta["filters"]
                           for o in f["options"]},
        "indicators": {(i["column"],) for i in meta["indicators"]},
        "geographic_levels": {(g,) for g in meta["geographic_levels"]},
        "locations": {(loc["level"], loc["code"], loc["name"]) for loc in meta["locations"]},
        "time_periods": {(t["period"], t["code"]) for t in meta["time_periods"]},
    }


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """{'major': bool, 'added': {kind: [...]}, 'removed': {kind: [...]}}."""
    before, after = _keys(old), _keys(new)
    added = {k: sorted(after[k] - before[k]) for k in after if after[k] - before[k]}
    removed = {k: sorted(before[k] - after[k]) for k in before if before[k] - after[k]}
    return {"major": bool(removed), "added": added, "removed": removed}
