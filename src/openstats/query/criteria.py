"""Read a data-set query (GET parameters or POST body) into a checked request.

Every problem found is collected with its path (`criteria.and[1].filters.eq`), code and
message as EES gives them, so one answer lists them all. Nothing here touches data: the
request is only checked for shape; ids are resolved against a version in `engine.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from openstats.standards import geography, time_periods

MESSAGES: dict[str, str] = {
    "InvalidValue": "Must be a valid value. Check that the type and format are correct.",
    "UnknownField": "The field was not expected in the request and should be removed.",
    "AllowedValue": "Must be one of the allowed values.",
    "NotEmpty": "Must not be empty.",
    "MaximumLength": "Must be {maxLength} characters or fewer.",
    "InclusiveBetween": "Must be between {from} and {to}.",
    "GreaterThanOrEqual": "Must be greater than or equal to {comparisonValue}.",
    "LocationFormat": "Must be a location in the correct format.",
    "LocationAllowedLevel": "Must be a location with an allowed level.",
    "LocationAllowedProperty": "Must be a location with an allowed identifying property.",
    "LocationValueNotEmpty": "Must be a location with '{property}' that is not empty.",
    "LocationValueMaxLength":
        "Must be a location with '{property}' that is {maxLength} characters or fewer.",
    "TimePeriodFormat": "Must be a time period in the correct format.",
    "TimePeriodAllowedCode": "Must be a time period with an allowed code.",
    "TimePeriodInvalidYear": "Must be a time period for a valid year.",
    "TimePeriodInvalidYearRange":
        "Must be a valid time period range where the start year is one year before the end "
        "year.",
    "SortFormat": "Must be a sort in the correct format.",
    "SortFieldNotEmpty": "Must be a sort with a field that is not empty.",
    "SortFieldMaxLength": "Must be a sort with a field that is 40 characters or fewer.",
    "SortDirection": "Must be a sort in an allowed direction.",
    "IndicatorsNotFound": "One or more indicators could not be found.",
    "SortFieldsNotFound": "One or more sort fields could not be found.",
    "FiltersNotFound": "One or more filters could not be found.",
    "GeographicLevelsNotFound": "One or more geographic levels could not be found.",
    "LocationsNotFound": "One or more locations could not be found.",
    "TimePeriodsNotFound": "One or more time periods could not be found.",
    "QueryNoResults":
        "The query did not match any results. You may need to refine your criteria.",
    "DebugEnabled":
        "Debug mode is enabled. Do not enable debug mode in a production environment.",
    "CriteriaTooComplex": "The criteria are nested too deeply or have too many clauses.",
}

LEVEL_CODES: tuple[str, ...] = tuple(sorted(level.code for level in geography.LEVELS))
# Which identifying properties a location reference may use, per level (geography owns it).
LOCATION_PROPERTIES: dict[str, tuple[str, ...]] = {
    code: geography.identifying_properties(code) for code in LEVEL_CODES}
LOCATION_MAX = geography.PROPERTY_MAX_LENGTH
FACETS = ("filters", "geographicLevels", "locations", "timePeriods")
EQUALITY = ("eq", "notEq", "in", "notIn")
RANGE = ("gt", "gte", "lt", "lte")
MAX_DEPTH = 32
MAX_NODES = 2_000
MAX_PAGE_SIZE = 10_000
# Page numbers are 32-bit in EES; beyond that is not a page (and page x size would
# overflow the query's OFFSET: a 500 the API fuzzing found).
MAX_INT32 = 2**31 - 1
DEFAULT_PAGE_SIZE = 1_000


@dataclass
class Problem:
    code: str
    path: str
    detail: dict[str, Any] | None = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message or _message(self.code, self.detail),
                               "path": self.path, "code": self.code}
        if self.detail is not None:
            out["detail"] = self.detail
        return out


def _message(code: str, detail: dict[str, Any] | None) -> str:
    text = MESSAGES.get(code, code)
    try:
        return text.format(**(detail or {}))
    except (KeyError, IndexError):
        return text


@dataclass(frozen=True)
class LocationRef:
    level: str
    prop: str
    value: str
    raw: Any  # as given: a string in GET, an object in POST (echoed in warnings)


@dataclass(frozen=True)
class PeriodRef:
    period: str  # API form: 2020 or 2020/2021
    code: str
    raw: Any


@dataclass
class Facets:
    path: str
    comparators: dict[str, dict[str, Any]] = field(default_factory=dict)  # facet -> op -> value


@dataclass
class And:
    path: str
    children: list[Any]


@dataclass
class Or:
    path: str
    children: list[Any]


@dataclass
class Not:
    path: str
    child: Any


Node = Facets | And | Or | Not


@dataclass
class Sort:
    field: str
    direction: str
    raw: Any


@dataclass
class QueryRequest:
    criteria: Node | None = None
    indicators: list[str] | None = None
    sorts: list[Sort] | None = None
    debug: bool = False
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    errors: list[Problem] = field(default_factory=list)
    # GET writes items of warnings as strings, POST as objects; paths differ too.
    from_get: bool = False

    def canonical(self) -> str:
        """A stable text of the request, for caching and ETags."""
        return repr((self.criteria, self.indicators, self.sorts, self.debug, self.page,
                     self.page_size, self.from_get))


# --- shared checks -----------------------------------------------------------------------
def check_page(req: QueryRequest, page: Any, page_size: Any, prefix: str = "") -> None:
    if page is not None:
        if not _is_int(page) or abs(page) > MAX_INT32:
            req.errors.append(Problem("InvalidValue", prefix + "page"))
        elif page < 1:
            req.errors.append(Problem("GreaterThanOrEqual", prefix + "page",
                                      {"comparisonValue": 1, "comparisonProperty": "",
                                       "propertyValue": page}))
        else:
            req.page = page
    if page_size is not None:
        if not _is_int(page_size) or abs(page_size) > MAX_INT32:
            req.errors.append(Problem("InvalidValue", prefix + "pageSize"))
        elif not 1 <= page_size <= MAX_PAGE_SIZE:
            req.errors.append(Problem("InclusiveBetween", prefix + "pageSize",
                                      {"from": 1, "to": MAX_PAGE_SIZE, "value": page_size}))
        else:
            req.page_size = page_size


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_option_id(errors: list[Problem], value: Any, path: str, limit: int = 10) -> str | None:
    if not isinstance(value, str):
        errors.append(Problem("InvalidValue", path))
        return None
    if not value.strip():
        errors.append(Problem("NotEmpty", path, {"value": value}))
        return None
    if len(value) > limit:
        errors.append(Problem("MaximumLength", path,
                              {"maxLength": limit, "totalLength": len(value), "value": value}))
        return None
    return value


def check_level(errors: list[Problem], value: Any, path: str) -> str | None:
    if not isinstance(value, str):
        errors.append(Problem("InvalidValue", path))
        return None
    if value not in LEVEL_CODES:
        errors.append(Problem("AllowedValue", path, {"value": value, "allowed": list(LEVEL_CODES)}))
        return None
    return value


def check_period(errors: list[Problem], period: str, code: str, raw: Any,
                 period_path: str, code_path: str) -> PeriodRef | None:
    ok = True
    if code not in time_periods.ALL_CODES:
        errors.append(Problem("TimePeriodAllowedCode", code_path,
                              {"value": code, "allowedCodes": list(time_periods.ALL_CODES)}))
        ok = False
    parts = period.split("/")
    if len(parts) > 2 or not all(re.fullmatch(r"\d{4}", p) for p in parts):
        errors.append(Problem("TimePeriodInvalidYear", period_path, {"value": period}))
        return None
    if len(parts) == 2:
        if int(parts[1]) != int(parts[0]) + 1:
            errors.append(Problem("TimePeriodInvalidYearRange", period_path, {"value": period}))
            return None
        if ok and code not in time_periods.RANGE_CODES:
            errors.append(Problem("TimePeriodAllowedCode", code_path,
                                  {"value": code, "allowedCodes": list(time_periods.RANGE_CODES)}))
            return None
    return PeriodRef(period, code, raw) if ok else None


# --- GET ---------------------------------------------------------------------------------
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
BODY_KEYS = {k.lower(): k for k in ("criteria", "indicators", "sorts", "debug", "page",
                                    "pageSize")}


def parse_post(body: Any) -> QueryRequest:
    """A POST body (already JSON-decoded) -> request; an empty body means everything."""
    req = QueryRequest()
    if body is None:
        return req
    if not isinstance(body, dict):
        req.errors.append(Problem("InvalidValue", ""))
        return req
    fields: dict[str, Any] = {}
    for key, value in body.items():
        name = BODY_KEYS.get(key.lower())
        if name is None:
            req.errors.append(Problem("UnknownField", key))
        else:
            fields[name] = value
    counter = [0]
    if fields.get("criteria") is not None:
        req.criteria = _node(req.errors, fields["criteria"], "criteria", 0, counter)
    indicators = fields.get("indicators")
    if indicators is not None:
        if not isinstance(indicators, list):
            req.errors.append(Problem("InvalidValue", "indicators"))
        else:
            for i, ind in enumerate(indicators):
                check_option_id(req.errors, ind, f"indicators[{i}]", limit=40)
            req.indicators = [i for i in indicators if isinstance(i, str)]
    sorts = fields.get("sorts")
    if sorts is not None:
        req.sorts = []
        if not isinstance(sorts, list):
            req.errors.append(Problem("InvalidValue", "sorts"))
        elif not sorts:
            req.errors.append(Problem("NotEmpty", "sorts", {"value": []}))
        else:
            for i, s in enumerate(sorts):
                sort = _post_sort(req.errors, s, f"sorts[{i}]")
                if sort:
                    req.sorts.append(sort)
    debug = fields.get("debug")
    if debug is not None:
        if isinstance(debug, bool):
            req.debug = debug
        else:
            req.errors.append(Problem("InvalidValue", "debug"))
    check_page(req, fields.get("page"), fields.get("pageSize"))
    return req


def _post_sort(errors: list[Problem], raw: Any, path: str) -> Sort | None:
    if not isinstance(raw, dict):
        errors.append(Problem("InvalidValue", path))
        return None
    values = {}
    for key, value in raw.items():
        if key.lower() not in ("field", "direction"):
            errors.append(Problem("UnknownField", f"{path}.{key}"))
        else:
            values[key.lower()] = value
    field_value, direction = values.get("field"), values.get("direction")
    ok = True
    if not isinstance(field_value, str) or not field_value.strip():
        errors.append(Problem("NotEmpty", f"{path}.field", {"value": field_value}))
        ok = False
    elif len(field_value) > 40:
        errors.append(Problem("MaximumLength", f"{path}.field", {
            "maxLength": 40, "totalLength": len(field_value), "value": field_value}))
        ok = False
    if direction not in ("Asc", "Desc"):
        errors.append(Problem("AllowedValue", f"{path}.direction",
                              {"value": direction, "allowed": ["Asc", "Desc"]}))
        ok = False
    if not ok:
        return None
    assert isinstance(field_value, str) and isinstance(direction, str)
    return Sort(field_value, direction, {"field": field_value, "direction": direction})


def _node(errors: list[Problem], raw: Any, path: str, depth: int, counter: list[int]) -> Any:
    counter[0] += 1
    if depth > MAX_DEPTH or counter[0] > MAX_NODES:
        if not any(e.code == "CriteriaTooComplex" for e in errors):
            errors.append(Problem("CriteriaTooComplex", path, {
                "maxDepth": MAX_DEPTH, "maxClauses": MAX_NODES}))
        return None
    if not isinstance(raw, dict):
        errors.append(Problem("InvalidValue", path))
        return None
    keys = {k.lower(): k for k in raw}
    for clause in ("and", "or", "not"):
        if clause in keys:
            for other in raw:
                if other.lower() != clause:
                    errors.append(Problem("UnknownField", f"{path}.{other}"))
            value = raw[keys[clause]]
            sub = f"{path}.{clause}"
            if clause == "not":
                if not isinstance(value, dict):
                    errors.append(Problem("InvalidValue", sub))
                    return None
                return Not(path, _node(errors, value, sub, depth + 1, counter))
            if not isinstance(value, list):
                errors.append(Problem("InvalidValue", sub))
                return None
            if not value:
                errors.append(Problem("NotEmpty", sub, {"value": []}))
                return None
            children = [_node(errors, v, f"{sub}[{i}]", depth + 1, counter)
                        for i, v in enumerate(value)]
            return (And if clause == "and" else Or)(path, children)
    facets = Facets(path)
    for key, value in raw.items():
        facet = next((f for f in FACETS if f.lower() == key.lower()), None)
        if facet is None:
            errors.append(Problem("UnknownField", f"{path}.{key}"))
            continue
        fpath = f"{path}.{facet}"
        if not isinstance(value, dict):
            errors.append(Problem("InvalidValue", fpath))
            continue
        ops = EQUALITY + (RANGE if facet == "timePeriods" else ())
        for op_key, op_value in value.items():
            op = next((o for o in ops if o.lower() == op_key.lower()), None)
            if op is None:
                errors.append(Problem("UnknownField", f"{fpath}.{op_key}"))
                continue
            opath = f"{fpath}.{op}"
            if op in ("in", "notIn"):
                if not isinstance(op_value, list):
                    errors.append(Problem("InvalidValue", opath))
                    continue
                if not op_value:
                    errors.append(Problem("NotEmpty", opath, {"value": []}))
                    continue
                parsed = [_post_item(errors, facet, v, f"{opath}[{i}]")
                          for i, v in enumerate(op_value)]
                if all(p is not None for p in parsed):
                    facets.comparators.setdefault(facet, {})[op] = parsed
            else:
                item = _post_item(errors, facet, op_value, opath)
                if item is not None:
                    facets.comparators.setdefault(facet, {})[op] = item
    return facets


def _post_item(errors: list[Problem], facet: str, raw: Any, path: str) -> Any:
    if facet == "filters":
        return check_option_id(errors, raw, path)
    if facet == "geographicLevels":
        return check_level(errors, raw, path)
    if not isinstance(raw, dict):
        errors.append(Problem("InvalidValue", path))
        return None
    if facet == "timePeriods":
        values = {k.lower(): v for k, v in raw.items()}
        for key in raw:
            if key.lower() not in ("period", "code"):
                errors.append(Problem("UnknownField", f"{path}.{key}"))
        period, code = values.get("period"), values.get("code")
        if not isinstance(period, str) or not isinstance(code, str):
            errors.append(Problem("InvalidValue", path))
            return None
        return check_period(errors, period, code, {"period": period, "code": code},
                            f"{path}.period", f"{path}.code")
    # locations: level plus one identifying property
    values = {k: v for k, v in raw.items()}
    level_key = next((k for k in values if k.lower() == "level"), None)
    level = check_level(errors, values.get(level_key) if level_key else None, f"{path}.level")
    props = [k for k in values if k != level_key]
    if level is None:
        return None
    allowed = LOCATION_PROPERTIES[level]
    known = [p for p in props if p in allowed]
    for p in props:
        if p not in allowed or (len(known) > 1 and p == "id"):
            errors.append(Problem("UnknownField", f"{path}.{p}"))
    if not known:
        errors.append(Problem("NotEmpty", f"{path}.{allowed[0]}", {"value": None}))
        return None
    prop = next(p for p in known if p != "id") if len(known) > 1 else known[0]
    value = values[prop]
    if not isinstance(value, str):
        errors.append(Problem("InvalidValue", f"{path}.{prop}"))
        return None
    if not value.strip():
        errors.append(Problem("NotEmpty", f"{path}.{prop}", {"value": value}))
        return None
    if len(value) > LOCATION_MAX[prop]:
        errors.append(Problem("MaximumLength", f"{path}.{prop}", {
            "maxLength": LOCATION_MAX[prop], "totalLength": len(value), "value": value}))
        return None
    return LocationRef(level, prop, value, {"level": level, prop: value})
