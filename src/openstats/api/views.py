"""EES's view models (as plain dicts) built from catalogue rows and version metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openstats.standards import geography, time_periods

UNITS = {"numberstring": "string"}  # how EES shows our stored units


def iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def level_view(code: str) -> dict[str, str]:
    return {"code": code, "label": geography.BY_CODE[code].label}


def time_range(meta: dict[str, Any]) -> dict[str, str]:
    times = meta["time_periods"]
    if not times:
        return {"start": "", "end": ""}
    return {"start": time_periods.label(times[0]["period"], times[0]["code"]),
            "end": time_periods.label(times[-1]["period"], times[-1]["code"])}


def summary_lists(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "timePeriods": time_range(meta),
        "geographicLevels": sorted(geography.BY_CODE[c].label
                                   for c in meta["geographic_levels"]),
        "filters": sorted(f["label"] for f in meta["filters"]),
        "indicators": sorted(i["label"] for i in meta["indicators"]),
    }


def publication_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    first = rows[0]
    return {"id": first["publication_id"], "title": first["publication_title"],
            "slug": first["publication_slug"], "summary": first["publication_summary"],
            "lastPublished": iso(max(r["published"] for r in rows))}


def data_set(row: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["data_set_id"], "title": row["title"], "summary": row["summary"],
        "status": "Published",
        "latestVersion": {"version": row["version"], "published": iso(row["published"]),
                          "totalResults": row["row_count"], "file": {"id": row["id"]},
                          **summary_lists(meta)},
    }


def version(row: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": row["version"],
        "type": "Major" if row["version_minor"] == 0 else "Minor",
        "status": "Published", "published": iso(row["published"]), "notes": "",
        "totalResults": row["row_count"], "file": {"id": row["id"]},
        "release": {"title": row["release_title"], "slug": row["release_slug"]},
        **summary_lists(meta),
    }


def filter_view(f: dict[str, Any]) -> dict[str, Any]:
    return {"id": f["public_id"], "column": f["column"], "label": f["label"],
            "hint": f.get("hint") or ""}


def indicator_view(i: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": i["public_id"], "column": i["column"], "label": i["label"],
                           "unit": UNITS.get(i["unit"], i["unit"])}
    if i.get("decimal_places") is not None:
        out["decimalPlaces"] = i["decimal_places"]
    return out


def location_option(loc: dict[str, Any]) -> dict[str, Any]:
    level = loc["level"]
    out: dict[str, Any] = {"id": loc["public_id"], "label": loc["name"]}
    if level == "LA":
        out |= {"code": loc["code"], "oldCode": loc.get("old_la_code", "")}
    elif level == "SCH":
        out |= {"urn": loc["code"], "laEstab": loc.get("school_laestab", "")}
    elif level == "PROV":
        out |= {"ukprn": loc["code"]}
    elif level != "RSC":
        out |= {"code": loc["code"]}
    return out


def time_view(t: dict[str, Any]) -> dict[str, str]:
    return {"code": t["code"], "period": time_periods.api_period(t["period"]),
            "label": time_periods.label(t["period"], t["code"])}


def meta_view(meta: dict[str, Any], types: set[str]) -> dict[str, Any]:
    by_label = lambda x: x["label"]  # noqa: E731
    out: dict[str, Any] = {"filters": [], "indicators": [], "geographicLevels": [],
                           "locations": [], "timePeriods": []}
    if "Filters" in types:
        out["filters"] = sorted(
            ({**filter_view(f), "options": sorted(
                ({"id": o["public_id"], "label": o["label"]} for o in f["options"]),
                key=by_label)} for f in meta["filters"]), key=by_label)
    if "Indicators" in types:
        out["indicators"] = sorted((indicator_view(i) for i in meta["indicators"]),
                                   key=by_label)
    if "Locations" in types:
        out["geographicLevels"] = sorted((level_view(c) for c in meta["geographic_levels"]),
                                         key=by_label)
        groups: dict[str, list[dict[str, Any]]] = {}
        for loc in meta["locations"]:
            groups.setdefault(loc["level"], []).append(location_option(loc))
        out["locations"] = sorted(
            ({"level": level_view(level), "options": sorted(options, key=by_label)}
             for level, options in groups.items()), key=lambda g: g["level"]["label"])
    if "TimePeriods" in types:
        out["timePeriods"] = sorted((time_view(t) for t in meta["time_periods"]),
                                    key=lambda t: (t["code"], t["period"]))
    return out
