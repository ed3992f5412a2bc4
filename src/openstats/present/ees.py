"""EES's view models: how the public API (and pages that show the same facts) write
publications, data sets, versions and metadata. The one place that formats EES JSON.

Everything here is a pure function of typed objects (model/, catalogue.published), so an
answer and a page built from the same version always agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openstats.model.metadata import (
    Filter,
    FilterOption,
    Indicator,
    Location,
    TimePeriod,
    VersionMeta,
)
from openstats.model.public import PublicDataSet, PublicPublication
from openstats.standards import geography

UNITS = {"numberstring": "string"}  # how EES shows our stored units
ALL_TYPES = ("Filters", "Indicators", "Locations", "TimePeriods")


def iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def level_view(code: str) -> dict[str, str]:
    return {"code": code, "label": geography.BY_CODE[code].label}


def time_range(meta: VersionMeta) -> dict[str, str]:
    labels = meta.time_range_labels()
    return {"start": labels[0], "end": labels[1]} if labels else {"start": "", "end": ""}


def summary_lists(meta: VersionMeta) -> dict[str, Any]:
    return {
        "timePeriods": time_range(meta),
        "geographicLevels": sorted(geography.BY_CODE[c].label for c in meta.geographic_levels),
        "filters": sorted(f.label for f in meta.filters),
        "indicators": sorted(i.label for i in meta.indicators),
    }


def publication_summary(p: PublicPublication) -> dict[str, Any]:
    return {"id": p.id, "title": p.title, "slug": p.slug, "summary": p.summary,
            "lastPublished": iso(p.last_published)}


def data_set(d: PublicDataSet, meta: VersionMeta) -> dict[str, Any]:
    return {
        "id": d.data_set_id, "title": d.title, "summary": d.summary, "status": "Published",
        "latestVersion": {"version": d.version.version, "published": iso(d.published),
                          "totalResults": d.version.row_count, "file": {"id": d.version_id},
                          **summary_lists(meta)},
    }


def version(d: PublicDataSet, meta: VersionMeta) -> dict[str, Any]:
    return {
        "version": d.version.version,
        "type": "Major" if d.version.minor == 0 else "Minor",
        "status": "Published", "published": iso(d.published), "notes": d.notes,
        "totalResults": d.version.row_count, "file": {"id": d.version_id},
        "release": {"title": d.release.title, "slug": d.release.slug},
        **summary_lists(meta),
    }


def filter_view(f: Filter) -> dict[str, Any]:
    return {"id": f.public_id, "column": f.column, "label": f.label, "hint": f.hint}


def option_view(o: FilterOption) -> dict[str, str]:
    return {"id": o.public_id, "label": o.label}


def indicator_view(i: Indicator) -> dict[str, Any]:
    out: dict[str, Any] = {"id": i.public_id, "column": i.column, "label": i.label,
                           "unit": UNITS.get(i.unit, i.unit)}
    if i.decimal_places is not None:
        out["decimalPlaces"] = i.decimal_places
    return out


def location_option(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = {"id": loc.public_id, "label": loc.name}
    primary = geography.primary_property(loc.level)
    if primary:
        out[primary] = loc.code
    secondary = geography.secondary_property(loc.level)
    if secondary:
        out[secondary] = loc.secondary_code
    return out


def time_view(t: TimePeriod) -> dict[str, str]:
    return {"code": t.code, "period": t.api_period, "label": t.label}


def meta_view(meta: VersionMeta, types: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"filters": [], "indicators": [], "geographicLevels": [],
                           "locations": [], "timePeriods": []}
    if "Filters" in types:
        out["filters"] = sorted(
            ({**filter_view(f), "options": sorted((option_view(o) for o in f.options),
                                                  key=lambda o: o["label"])}
             for f in meta.filters), key=lambda f: f["label"])
    if "Indicators" in types:
        out["indicators"] = sorted((indicator_view(i) for i in meta.indicators),
                                   key=lambda i: i["label"])
    if "Locations" in types:
        out["geographicLevels"] = sorted((level_view(c) for c in meta.geographic_levels),
                                         key=lambda g: g["label"])
        groups: dict[str, list[dict[str, Any]]] = {}
        for loc in meta.locations:
            groups.setdefault(loc.level, []).append(location_option(loc))
        level_groups: list[dict[str, Any]] = [
            {"level": level_view(level), "options": sorted(options, key=lambda o: o["label"])}
            for level, options in groups.items()]
        out["locations"] = sorted(level_groups, key=lambda g: str(g["level"]["label"]))
    if "TimePeriods" in types:
        out["timePeriods"] = sorted((time_view(t) for t in meta.time_periods),
                                    key=lambda t: (t["code"], t["period"]))
    return out
