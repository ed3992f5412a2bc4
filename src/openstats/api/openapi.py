"""What /api/openapi.json says about each operation: its parameters and every answer.

FastAPI derives a document from the route functions, but ours read their query strings
by hand (so every problem is an EES-style 400, never FastAPI's 422), so what it would
derive is not what the API does. Here the document says what the routes really accept and
answer, in the shapes of `views.py` and `query/engine.py`: typed parameters with their
bounds, each status a route can give (200, 304 for a matching ETag, 400 problems, 404,
and any other 4xx as problem details: 413, 415, 429) and a schema for every body.
Schemathesis checks the live API against this document (tests/security/test_api_fuzz.py).
"""

from __future__ import annotations

from typing import Any

from openstats.query import request
from openstats.standards import time_periods

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
# Query string values are matched case-insensitively, as EES's ASP.NET binding does.
BOOLEAN_TEXT: Schema = {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"}


def obj(properties: dict[str, Schema], required: list[str] | None = None,
        additional: bool | Schema = False) -> Schema:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": additional}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


# --- bodies --------------------------------------------------------------------------------
PAGING = obj({"page": INTEGER, "pageSize": INTEGER, "totalResults": INTEGER,
              "totalPages": INTEGER})
ERROR = obj({"message": STRING, "path": {"type": ["string", "null"]}, "code": STRING,
             "detail": {}}, required=["message", "code"])
PROBLEM = obj({"type": STRING, "title": STRING, "status": INTEGER, "traceId": STRING,
               "detail": {"type": ["string", "null"]}, "errors": array(ERROR)},
              required=["type", "title", "status"], additional=True)
VALIDATION_PROBLEM = {**PROBLEM, "required": ["type", "title", "status", "errors"]}
TIME_RANGE = obj({"start": STRING, "end": STRING})
SUMMARY_LISTS = {"timePeriods": TIME_RANGE, "geographicLevels": array(STRING),
                 "filters": array(STRING), "indicators": array(STRING)}
PUBLICATION = obj({"id": STRING, "title": STRING, "slug": STRING, "summary": STRING,
                   "lastPublished": STRING})
DATA_SET = obj({"id": STRING, "title": STRING, "summary": STRING,
                "status": {"enum": ["Published"]},
                "latestVersion": obj({"version": STRING, "published": STRING,
                                      "totalResults": INTEGER, "file": obj({"id": STRING}),
                                      **SUMMARY_LISTS})})
VERSION = obj({"version": STRING, "type": {"enum": ["Major", "Minor"]},
               "status": {"enum": ["Published"]}, "published": STRING, "notes": STRING,
               "totalResults": INTEGER, "file": obj({"id": STRING}),
               "release": obj({"title": STRING, "slug": STRING}), **SUMMARY_LISTS})
LEVEL = obj({"code": STRING, "label": STRING})
OPTION = obj({"id": STRING, "label": STRING})
FILTER = obj({"id": STRING, "column": STRING, "label": STRING, "hint": STRING})
INDICATOR = obj({"id": STRING, "column": STRING, "label": STRING, "unit": STRING,
                 "decimalPlaces": INTEGER}, required=["id", "column", "label", "unit"])
LOCATION_OPTION = obj({"id": STRING, "label": STRING, "code": STRING, "oldCode": STRING,
                       "urn": STRING, "laEstab": STRING, "ukprn": STRING},
                      required=["id", "label"])
TIME_PERIOD = obj({"code": STRING, "period": STRING, "label": STRING})
META = obj({"filters": array({**FILTER, "properties": {**FILTER["properties"],
                                                       "options": array(OPTION)},
                              "required": [*FILTER["required"], "options"]}),
            "indicators": array(INDICATOR), "geographicLevels": array(LEVEL),
            "locations": array(obj({"level": LEVEL, "options": array(LOCATION_OPTION)})),
            "timePeriods": array(TIME_PERIOD)})
CHANGE = obj({"previousState": {}, "currentState": {}}, required=[], additional=True)
CHANGE_SET = {"type": "object", "additionalProperties": array(CHANGE)}
CHANGES = obj({"versionNumber": STRING, "majorChanges": CHANGE_SET,
               "minorChanges": CHANGE_SET, "patchHistory": array({})})
WARNING = obj({"message": STRING, "path": {"type": ["string", "null"]}, "code": STRING,
               "detail": {}}, required=["message", "code"])
RESULT = obj({"timePeriod": obj({"code": STRING, "period": STRING}),
              "geographicLevel": STRING,
              "locations": {"type": "object", "additionalProperties": STRING},
              "filters": {"type": "object", "additionalProperties": STRING},
              "values": {"type": "object", "additionalProperties": STRING}})
QUERY_RESULTS = obj({"paging": PAGING, "results": array(RESULT), "warnings": array(WARNING)})


# --- openstats extensions (not part of EES's API) ----------------------------------------
EXTENSION_TAG = "openstats extensions"
# Every operation of ours that EES's API does not have carries this mark.
EXTENSION: dict[str, Any] = {"x-openstats-extension": True}
NOTE = "An openstats extension: not part of EES's public data API."
CELLS = obj({"count": INTEGER, "share": {"type": "number", "minimum": 0, "maximum": 1}})
FINDING = obj({"file": STRING, "row": {"type": ["integer", "null"]},
               "column": {"type": ["string", "null"]}, "value": {"type": ["string", "null"]},
               "message": STRING})
QUALITY = obj({
    "dataSetId": STRING, "version": STRING, "totalResults": INTEGER,
    "screening": obj({"kept": {"type": "boolean"}, "warningCount": INTEGER,
                      "warnings": array(obj({"rule": STRING, "title": STRING,
                                             "advice": STRING, "count": INTEGER,
                                             "unlisted": INTEGER,
                                             "findings": array(FINDING)}))}),
    "rowsByGeographicLevel": array(obj({"code": STRING, "label": STRING, "rows": INTEGER})),
    "rowsByTimePeriod": array(obj({"period": STRING, "code": STRING, "label": STRING,
                                   "rows": INTEGER})),
    "symbols": array(obj({"symbol": STRING, "meaning": STRING})),
    "indicators": array(obj({"id": STRING, "column": STRING, "label": STRING,
                             "blank": CELLS, "symbols": {"type": "object",
                                                         "additionalProperties": CELLS},
                             "values": CELLS})),
})


def paginated(items: Schema) -> Schema:
    return obj({"paging": PAGING, "results": array(items)})


# --- answers -------------------------------------------------------------------------------
def _json(schema: Schema, media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


def responses(ok: Schema | None, description: str, *, ok_media: str = "application/json",
              cached: bool = True) -> dict[int | str, Any]:
    out: dict[int | str, Any] = {
        200: {"description": description,
              **_json(ok if ok is not None else STRING, ok_media)},
        400: {"description": "The request has problems; `errors` lists each with its "
                             "path and code.", **_json(VALIDATION_PROBLEM,
                                                       "application/problem+json")},
        404: {"description": "Not found, or not published.",
              **_json(PROBLEM, "application/problem+json")},
        "4XX": {"description": "Other refusals as problem details: 413 (body too large), "
                               "415 (body not JSON), 429 (too many requests, with "
                               "Retry-After).", **_json(PROBLEM, "application/problem+json")},
    }
    if cached:
        out[304] = {"description": "Not modified: the If-None-Match ETag still holds."}
    out[308] = {"description": "A path with capital letters: redirected to its lower-case "
                               "form (Location), as EES does."}
    return out


# --- parameters ----------------------------------------------------------------------------
def query(name: str, schema: Schema, description: str, *, explode: bool = True
          ) -> dict[str, Any]:
    out = {"name": name, "in": "query", "required": False, "schema": schema,
           "description": description}
    if schema.get("type") == "array":
        out |= {"style": "form", "explode": explode}
    return out


def paging(maximum: int, default: int) -> list[dict[str, Any]]:
    return [query("page", {"type": "integer", "minimum": 1, "maximum": request.MAX_INT32,
                           "default": 1}, "Page number, from 1."),
            query("pageSize", {"type": "integer", "minimum": 1, "maximum": maximum,
                               "default": default}, f"Results per page (1-{maximum}).")]


# What query/versions.py can resolve (spaces around it are ignored there too).
VERSION_PATTERN = r"^\s*v?(\d+|\*)(\.(\d+|\*)){0,2}\s*$"
VERSION_PARAM = query("dataSetVersion", STRING,
                      "Version: 1.0, 1.*, * or omit for the latest published.")
# What a description of ours starts with (EXTENSION marks the same for tools).
EXTENSION_PREFIX = "openstats extension, not part of EES's API: "
AS_OF_PARAM = {**query("asOf", {"type": "string", "format": "date-time"},
                       EXTENSION_PREFIX + "the version that was public at this moment (ISO 8601, "
                       "e.g. 2024-11-21T09:30:00Z; UTC when no offset is given). 400 if it "
                       "is before the first version or not a time. With dataSetVersion, "
                       "chooses among the versions public then."), **EXTENSION}
ANY_TEXT = {"type": "string"}  # ids and locations are checked against the data, not here
TYPES = {"type": "array", "items": {"enum": ["Filters", "Indicators", "Locations",
                                             "TimePeriods"]}, "minItems": 1}


def query_parameters() -> list[dict[str, Any]]:
    """GET /query: EES's `facet.comparator` parameters, lists comma-separated or repeated."""
    out = [VERSION_PARAM, AS_OF_PARAM,
           query("indicators", array(ANY_TEXT), "Indicator ids (default: all).",
                 explode=False),
           query("sorts", array(ANY_TEXT), "Sorts as field|Asc or field|Desc.",
                 explode=False),
           query("debug", BOOLEAN_TEXT, "true: labels instead of ids (slow)."),
           *paging(request.MAX_PAGE_SIZE, request.DEFAULT_PAGE_SIZE)]
    for facet in request.FACETS:
        ops = request.EQUALITY + (request.RANGE if facet == "timePeriods" else ())
        item = ({"enum": list(request.LEVEL_CODES)} if facet == "geographicLevels"
                else ANY_TEXT)
        form = {"filters": "an option id", "geographicLevels": "a level code (NAT, LA...)",
                "locations": "{level}|{property}|{value}, e.g. NAT|code|E92000001",
                "timePeriods": "{period}|{code}, e.g. 2020/2021|AY; codes: "
                               + ", ".join(time_periods.ALL_CODES[:6]) + "..."}[facet]
        for op in ops:
            many = op in ("in", "notIn")
            out.append(query(f"{facet}.{op}", array(item) if many else item,
                             f"Rows whose {facet} {'are' if many else 'is'} {op}: {form}.",
                             explode=False))
    return out


# --- openstats extensions (not in EES's API) ------------------------------------------------
AVAILABILITY = obj({
    "dataSetVersion": STRING, "totalResults": INTEGER, "geographicLevels": array(STRING),
    "locations": {"type": "object", "additionalProperties": array(STRING),
                  "description": "Location ids by geographic level."},
    "timePeriods": array(obj({"period": STRING, "code": STRING})),
    "filters": {"type": "object", "additionalProperties": array(STRING),
                "description": "Option ids by filter id."},
    "indicators": array(STRING), "warnings": array(WARNING)})
CSVW = obj({"@context": STRING, "dc:title": STRING, "tables": array(
    {"type": "object", "required": ["url", "tableSchema"]})})
FORMAT_MEDIA = {"json-stat": "application/json",
                "sdmx-csv": "application/vnd.sdmx.data+csv;version=2.0.0",
                "parquet": "application/vnd.apache.parquet", "csv": "text/csv"}


def format_param(names: tuple[str, ...]) -> dict[str, Any]:
    out = query("format", {"enum": list(names), "default": "json"}, (
        EXTENSION_PREFIX + "the answer's format: json (EES's answer, paged), json-stat "
        "(a JSON-stat 2.0 dataset), sdmx-csv (SDMX-CSV 2.0), parquet or csv (one row per "
        "observation). Files hold every matching row: page and pageSize do not apply. The "
        "Accept header chooses them too: application/vnd.sdmx.data+csv;version=2.0.0, "
        "application/vnd.apache.parquet, text/csv. Any other value is a 400 naming format."))
    out["x-openstats-extension"] = True
    return out


def with_formats(answers: dict[int | str, Any]) -> dict[int | str, Any]:
    """The query's 200 also in the file formats (an extension)."""
    content = answers[200]["content"]
    for media in FORMAT_MEDIA.values():
        content.setdefault(media, {"schema": STRING if media != "application/json"
                                   else {"type": "object"}})
    return answers


def availability_parameters() -> list[dict[str, Any]]:
    """The query's criteria parameters (and indicators), without paging, sorts or debug."""
    return [p for p in query_parameters()
            if p["name"] not in ("sorts", "debug", "page", "pageSize")]
