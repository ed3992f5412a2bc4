"""Read a data-set query from GET parameters, as EES writes them (`filters.eq=...`,
`locations.in=LA|code|E09000001`, `timePeriods.gte=2020|AY`, `indicators[0]=...`): keys
matched without regard to case, every problem collected with its path."""

from __future__ import annotations

import re
from typing import Any

from openstats.query.fields import check_level, check_option_id, check_page, check_period
from openstats.query.request import (
    EQUALITY,
    FACETS,
    LEVEL_CODES,
    LOCATION_MAX,
    LOCATION_PROPERTIES,
    RANGE,
    Facets,
    LocationRef,
    Problem,
    QueryRequest,
    Sort,
)

GET_KEYS: dict[str, str] = {k.lower(): k for k in (
    "dataSetVersion", "asOf", "indicators", "sorts", "debug", "page", "pageSize",
    *(f"{f}.{op}" for f in FACETS for op in EQUALITY), *(f"timePeriods.{op}" for op in RANGE),
)}
_INDEXED = re.compile(r"^(?P<key>.+?)\[(?P<index>\d+)\]$")
LOCATION_FORMAT = re.compile(r"^[^|]*\|[^|]+\|[^|]*$")
SORT_FORMAT = re.compile(r"^[^|]*(\|[^|]+)?\|[^|]*$")


def group_params(items: list[tuple[str, str]], allowed: dict[str, str],
                 errors: list[Problem]) -> dict[str, list[str]]:
    """Query parameters by their canonical name, lists split the three EES ways."""
    grouped: dict[str, list[str]] = {}
    for key, value in items:
        match = _INDEXED.match(key)
        base = match.group("key") if match else key
        name = allowed.get(base.lower())
        if name is None:
            errors.append(Problem("UnknownField", key))
            continue
        values = [value] if value.startswith(",") else value.split(",")
        grouped.setdefault(name, []).extend(v.strip() for v in values if v.strip())
        if not value.strip():
            grouped.setdefault(name, [])
    return grouped


def _bool(errors: list[Problem], values: list[str] | None, path: str) -> bool:
    # None: not given (false). Given but empty (`debug=`) is no value: InvalidValue, as
    # ASP.NET's binding of an empty string to a bool gives (found by the API fuzzing).
    if values is None:
        return False
    if values and values[-1].lower() in ("true", "false"):
        return values[-1].lower() == "true"
    errors.append(Problem("InvalidValue", path))
    return False


def _int(errors: list[Problem], values: list[str] | None, path: str) -> Any:
    if values is None:
        return None
    try:
        return int(values[-1])
    except (ValueError, IndexError):  # IndexError: `page=`, given but empty
        errors.append(Problem("InvalidValue", path))
        return None


def parse_get(items: list[tuple[str, str]]) -> tuple[QueryRequest, str | None]:
    """A GET query's parameters -> request (and the dataSetVersion asked for)."""
    req = QueryRequest(from_get=True)
    params = group_params(items, GET_KEYS, req.errors)
    facets = Facets(path="")
    for name, values in params.items():
        if "." not in name:
            continue
        facet, op = name.split(".")
        if op in ("eq", "notEq", *RANGE):
            value = values[-1] if values else ""
            parsed = _get_item(req.errors, facet, value, name)
            if parsed is not None:
                facets.comparators.setdefault(facet, {})[op] = parsed
        else:
            if not values:
                req.errors.append(Problem("NotEmpty", name, {"value": []}))
                continue
            items_parsed = [_get_item(req.errors, facet, v, f"{name}[{i}]")
                            for i, v in enumerate(values)]
            if all(p is not None for p in items_parsed):
                facets.comparators.setdefault(facet, {})[op] = items_parsed
    req.criteria = facets
    if "indicators" in params:
        indicators = params["indicators"]
        if not indicators:
            req.errors.append(Problem("NotEmpty", "indicators", {"value": []}))
        for i, ind in enumerate(indicators):
            check_option_id(req.errors, ind, f"indicators[{i}]", limit=40)
        req.indicators = indicators
    if "sorts" in params:
        req.sorts = []
        if not params["sorts"]:
            req.errors.append(Problem("NotEmpty", "sorts", {"value": []}))
        for i, text in enumerate(params["sorts"]):
            path = f"sorts[{i}]"
            if not SORT_FORMAT.match(text):
                req.errors.append(Problem("SortFormat", path,
                                          {"value": text, "expectedFormat": "{field}|{direction}"}))
                continue
            field_text, direction = text.rsplit("|", 1)
            if not field_text:
                req.errors.append(Problem("SortFieldNotEmpty", path, {"value": text}))
            elif len(field_text) > 40:
                req.errors.append(Problem("SortFieldMaxLength", path, {"value": text}))
            elif direction not in ("Asc", "Desc"):
                req.errors.append(Problem("SortDirection", path,
                                          {"value": text, "allowed": ["Asc", "Desc"]}))
            else:
                req.sorts.append(Sort(field_text, direction, text))
    req.debug = _bool(req.errors, params.get("debug"), "debug")
    check_page(req, _int(req.errors, params.get("page"), "page"),
               _int(req.errors, params.get("pageSize"), "pageSize"))
    version = params.get("dataSetVersion", [None])[-1] if params.get("dataSetVersion") else None
    return req, version


def _get_item(errors: list[Problem], facet: str, value: str, path: str) -> Any:
    if facet == "filters":
        return check_option_id(errors, value, path)
    if facet == "geographicLevels":
        return check_level(errors, value, path)
    if facet == "locations":
        if not LOCATION_FORMAT.match(value):
            errors.append(Problem("LocationFormat", path, {
                "value": value, "expectedFormat": "{level}|{property}|{value}"}))
            return None
        level, prop, text = value.split("|")
        if level not in LEVEL_CODES:
            errors.append(Problem("LocationAllowedLevel", path,
                                  {"value": value, "allowedLevels": list(LEVEL_CODES)}))
            return None
        if prop not in LOCATION_PROPERTIES[level]:
            errors.append(Problem("LocationAllowedProperty", path, {
                "value": value, "allowedProperties": list(LOCATION_PROPERTIES[level])}))
            return None
        if not text.strip():
            errors.append(Problem("LocationValueNotEmpty", path,
                                  {"value": value, "property": prop}))
            return None
        if len(text) > LOCATION_MAX[prop]:
            errors.append(Problem("LocationValueMaxLength", path, {
                "value": value, "property": prop, "maxLength": LOCATION_MAX[prop]}))
            return None
        return LocationRef(level, prop, text, value)
    # time periods
    if value.count("|") != 1:
        errors.append(Problem("TimePeriodFormat", path,
                              {"value": value, "expectedFormat": "{period}|{code}"}))
        return None
    period, code = value.split("|")
    return check_period(errors, period, code, value, path, path)


# --- POST --------------------------------------------------------------------------------
