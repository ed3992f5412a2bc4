"""What changed between two versions of a data set, and whether the change is major: the
one home of that rule, applied once at import and stored with the version.

Things are matched by public id, which an item keeps from one version to the next while
it is unchanged (catalogue/public_ids.py): anything a client's query could name that has
gone (a filter, option, indicator, location, geographic level or time period) is a major
change; a new or relabelled item is minor. The result is written in EES's changes view
model (majorChanges / minorChanges), which the API serves as stored and the data-set page
counts; the version number (2.0 or 1.1) follows from the same comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from openstats.model.metadata import VersionMeta
from openstats.present import ees

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    major: dict[str, Any]  # EES majorChanges: what went
    minor: dict[str, Any]  # EES minorChanges: what came or was relabelled

    @property
    def is_major(self) -> bool:
        return bool(self.major)

    def as_json(self) -> dict[str, Any]:
        return {"majorChanges": self.major, "minorChanges": self.minor}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Changes | None:
        """The stored form; None for versions stored before changes were kept this way."""
        if "majorChanges" not in doc:
            return None
        return cls(dict(doc["majorChanges"]), dict(doc["minorChanges"]))

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """How many items went and how many came or changed, by kind (for pages)."""
        def count(part: dict[str, Any]) -> dict[str, int]:
            out: dict[str, int] = {}
            for kind, items in part.items():
                nested = [i for i in items if "options" in i]
                out[kind] = sum(len(i["options"]) for i in nested) if nested else len(items)
            return out
        return count(self.major), count(self.minor)


NONE = Changes({}, {})


def _diff(before: dict[Any, T], after: dict[Any, T]) -> tuple[list[dict[str, T]],
                                                             list[dict[str, T]]]:
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


def compare(old: VersionMeta, new: VersionMeta) -> Changes:
    """The changes from `old` to `new` (both with public ids)."""
    major: dict[str, Any] = {}
    minor: dict[str, Any] = {}

    def put(name: str, pair: tuple[list[Any], list[Any]]) -> None:
        if pair[0]:
            major[name] = pair[0]
        if pair[1]:
            minor[name] = pair[1]

    def by_id(items: Any, view: Callable[[Any], dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {i.public_id: view(i) for i in items}

    put("filters", _diff(by_id(old.filters, ees.filter_view), by_id(new.filters, ees.filter_view)))
    old_filters, new_filters = old.filter_by_public_id, new.filter_by_public_id
    option_major, option_minor = [], []
    for fid in sorted(set(old_filters) | set(new_filters)):
        f_old, f_new = old_filters.get(fid), new_filters.get(fid)
        big, small = _diff(by_id(f_old.options if f_old else (), ees.option_view),
                           by_id(f_new.options if f_new else (), ees.option_view))
        shown = ees.filter_view(f_new or f_old)  # type: ignore[arg-type]
        if big:
            option_major.append({"filter": shown, "options": big})
        if small:
            option_minor.append({"filter": shown, "options": small})
    put("filterOptions", (option_major, option_minor))
    put("geographicLevels", _diff({c: ees.level_view(c) for c in old.geographic_levels},
                                  {c: ees.level_view(c) for c in new.geographic_levels}))
    put("indicators", _diff(by_id(old.indicators, ees.indicator_view),
                            by_id(new.indicators, ees.indicator_view)))
    old_levels = {loc.level for loc in old.locations}
    new_levels = {loc.level for loc in new.locations}
    put("locationGroups", _diff({lv: {"level": ees.level_view(lv)} for lv in old_levels},
                                {lv: {"level": ees.level_view(lv)} for lv in new_levels}))
    loc_major, loc_minor = [], []
    for level in sorted(old_levels | new_levels):
        big, small = _diff(
            by_id((x for x in old.locations if x.level == level), ees.location_option),
            by_id((x for x in new.locations if x.level == level), ees.location_option))
        if big:
            loc_major.append({"level": ees.level_view(level), "options": big})
        if small:
            loc_minor.append({"level": ees.level_view(level), "options": small})
    put("locationOptions", (loc_major, loc_minor))
    put("timePeriods", _diff({(t.period, t.code): ees.time_view(t) for t in old.time_periods},
                             {(t.period, t.code): ees.time_view(t) for t in new.time_periods}))
    return Changes(major, minor)
