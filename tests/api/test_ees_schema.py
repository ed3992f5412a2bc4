"""Unit tests of the OpenAPI schema checker in ees_schema.py, against hand-made instances.

Shapes follow public-api-detail.md §1 and §2.11; ids are Sqids as EES makes them (§2.10).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.api import ees_schema
from tests.api.ees_schema import assert_matches, check, problems, request_schema, response_schema

DATA_SET_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def query_results() -> dict[str, Any]:
    """A valid DataSetQueryPaginatedResultsViewModel: an LA row and a NAT row."""
    return {
        "paging": {"page": 1, "pageSize": 1000, "totalResults": 2, "totalPages": 1},
        "results": [
            {
                "timePeriod": {"code": "AY", "period": "2020/2021"},
                "geographicLevel": "LA",
                "locations": {"NAT": "dP0Zw", "REG": "it6Xr", "LA": "O7CLF"},
                "filters": {"LxWjE": "6jrfe", "0kT5D": "HTzLj"},
                "values": {"7zXob": "10.0359", "pTSoj": "c"},
            },
            {
                "timePeriod": {"code": "CYQ1", "period": "2021"},
                "geographicLevel": "NAT",
                "locations": {"NAT": "dP0Zw"},
                "filters": {},
                "values": {"7zXob": "", "pTSoj": "low"},
            },
        ],
        "warnings": [],
    }


def meta() -> dict[str, Any]:
    """A valid DataSetMetaViewModel with one location option of each variant."""
    return {
        "filters": [{"id": "LxWjE", "column": "school_type", "label": "School type", "hint": "",
                     "options": [{"id": "6jrfe", "label": "State-funded primary"},
                                 {"id": "CpId1", "label": "Total"}]}],
        "indicators": [
            {"id": "7zXob", "column": "sess_authorised", "label": "Authorised sessions",
             "unit": "", "decimalPlaces": 0},
            {"id": "pTSoj", "column": "sess_rate", "label": "Rate", "unit": "%"},
            {"id": "YPHKM", "column": "headcount", "label": "Headcount", "unit": None},
        ],
        "geographicLevels": [{"code": "LA", "label": "Local authority"},
                             {"code": "NAT", "label": "National"}],
        "locations": [
            {"level": {"code": "NAT", "label": "National"},
             "options": [{"id": "dP0Zw", "label": "England", "code": "E92000001"}]},
            {"level": {"code": "LA", "label": "Local authority"},
             "options": [{"id": "O7CLF", "label": "Sheffield", "code": "E08000019",
                          "oldCode": "373"}]},
            {"level": {"code": "SCH", "label": "School"},
             "options": [{"id": "qFjG7", "label": "A school", "urn": "140821",
                          "laEstab": "3732060"}]},
            {"level": {"code": "PROV", "label": "Provider"},
             "options": [{"id": "arLPb", "label": "A provider", "ukprn": "10000001"}]},
            {"level": {"code": "RSC", "label": "RSC region"},
             "options": [{"id": "BT7J3", "label": "North"}]},
        ],
        "timePeriods": [{"code": "AY", "period": "2020/2021", "label": "2020/21"},
                        {"code": "M1", "period": "2021", "label": "2021 January"}],
    }


def validation_problem() -> dict[str, Any]:
    """A valid 400 body, with ASP.NET's extra traceId member."""
    return {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "traceId": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "errors": [
            {"message": "Must be one of the allowed values.", "path": "sorts[0].direction",
             "code": "AllowedValue", "detail": {"value": "asc", "allowed": ["Asc", "Desc"]}},
            {"message": "The field was not expected in the request and should be removed.",
             "path": "facets", "code": "UnknownField"},
        ],
    }


def data_set() -> dict[str, Any]:
    """A valid DataSetViewModel (route 4; also an item of a publication's data-set list)."""
    return {
        "id": DATA_SET_ID,
        "title": "Absence rates",
        "summary": "Absence information for full academic year 2020/21.",
        "status": "Published",
        "latestVersion": {
            "version": "1.0",
            "published": "2024-06-01T09:30:00+00:00",
            "totalResults": 201625,
            "file": {"id": "84ee3cc9-21bf-44d8-89fd-98c6d7fc74f3"},
            "timePeriods": {"start": "2020/21", "end": "2021/22"},
            "geographicLevels": ["Local authority", "National"],
            "filters": ["School type"],
            "indicators": ["Authorised sessions"],
        },
    }


def query_request() -> dict[str, Any]:
    """A valid DataSetQueryRequest using and/or/not and every facet."""
    return {
        "criteria": {"and": [
            {"filters": {"in": ["6jrfe", "CpId1"]}, "geographicLevels": {"eq": "LA"}},
            {"or": [{"locations": {"eq": {"level": "NAT", "id": "dP0Zw"}}},
                    {"locations": {"in": [{"level": "LA", "oldCode": "373"},
                                          {"level": "SCH", "urn": "140821"}]}}]},
            {"not": {"timePeriods": {"gte": {"period": "2022/2023", "code": "AY"}}}},
        ]},
        "indicators": ["7zXob", "pTSoj"],
        "sorts": [{"field": "timePeriod", "direction": "Desc"}],
        "debug": False,
        "page": 1,
        "pageSize": 1000,
    }


VALID = [
    (query_results, "DataSetQueryPaginatedResultsViewModel"),
    (meta, "DataSetMetaViewModel"),
    (validation_problem, "ValidationProblemViewModel"),
    (data_set, "DataSetViewModel"),
    (query_request, "DataSetQueryRequest"),
]


@pytest.mark.parametrize(("make", "name"), VALID, ids=[name for _, name in VALID])
def test_valid_instances_pass(make, name):
    assert problems(make(), name) == []
    assert_matches(make(), name)


def test_more_valid_shapes_pass():
    warned = query_results()
    warned["results"] = []
    warned["paging"]["totalResults"] = 0
    warned["warnings"] = [
        {"code": "QueryNoResults", "message": "The query did not match any results."},
        {"code": "FiltersNotFound", "message": "One or more filters could not be found.",
         "path": "criteria.filters.in", "detail": {"items": ["zzzzz"]}},
    ]
    assert_matches(warned, "DataSetQueryPaginatedResultsViewModel")
    debug = query_results()
    debug["results"][0]["filters"] = {"LxWjE :: school_type": "6jrfe :: State-funded primary"}
    assert_matches(debug, "DataSetQueryPaginatedResultsViewModel")
    no_version = data_set()
    del no_version["latestVersion"]
    assert_matches(no_version, "DataSetViewModel")
    no_version["latestVersion"] = None  # nullable beside allOf
    assert_matches(no_version, "DataSetViewModel")
    assert_matches({"type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
                    "title": "Not Found", "status": 404, "traceId": "x"},
                   "ProblemDetailsViewModel")
    assert_matches({"paging": {"page": 2, "pageSize": 20, "totalResults": 21, "totalPages": 2},
                    "results": [{"id": DATA_SET_ID, "title": "Pupil absence",
                                 "slug": "pupil-absence", "summary": "",
                                 "lastPublished": "2023-11-10T09:15:00.1234567Z"}]},
                   "PublicationPaginatedListViewModel")
    assert_matches({"indicators": None}, "DataSetQueryRequest")
    assert_matches({"indicators": [], "criteria": {}}, "DataSetQueryRequest")


def mutated(make, change) -> Any:
    instance = copy.deepcopy(make())
    change(instance)
    return instance


def _delete(path: list[Any]):
    def change(instance):
        target = instance
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return change


def _set(path: list[Any], value: Any):
    def change(instance):
        target = instance
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


# (name, builder, schema, mutation, a fragment every report must contain)
MUTATIONS = [
    ("missing values", query_results, "DataSetQueryPaginatedResultsViewModel",
     _delete(["results", 0, "values"]), "$.results[0].values: required property is missing"),
    ("missing warnings", query_results, "DataSetQueryPaginatedResultsViewModel",
     _delete(["warnings"]), "$.warnings: required property is missing"),
    ("missing totalPages", query_results, "DataSetQueryPaginatedResultsViewModel",
     _delete(["paging", "totalPages"]), "$.paging.totalPages: required property is missing"),
    ("extra row key", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["results", 0, "label"], "x"), "$.results[0].label: property is not allowed"),
    ("extra top-level key", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["debug"], True), "$.debug: property is not allowed"),
    ("extra paging key", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["paging", "next"], 2), "$.paging.next: property is not allowed"),
    ("page as string", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["paging", "page"], "1"), "$.paging.page: expected integer, got string"),
    ("page as bool", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["paging", "page"], True), "$.paging.page: expected integer, got boolean"),
    ("page as float", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["paging", "page"], 1.0), "$.paging.page: expected integer, got number"),
    ("numeric value", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["results", 0, "values", "7zXob"], 10.0359),
     '$.results[0].values["7zXob"]: expected string, got number'),
    ("null location id", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["results", 0, "locations", "LA"], None),
     "$.results[0].locations.LA: expected string, got null"),
    ("results not a list", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["results"], {}), "$.results: expected array, got object"),
    ("null warnings", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["warnings"], None), "$.warnings: expected array, got null"),
    ("warning without code", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["warnings"], [{"message": "m"}]), "$.warnings[0].code: required property is missing"),
    ("bad time period code", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["results", 0, "timePeriod", "code"], "XX"),
     '$.results[0].timePeriod.code: "XX" is not one of'),
    ("level label for code", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["results", 1, "geographicLevel"], "National"),
     '$.results[1].geographicLevel: "National" is not one of'),
    ("lower-case code", query_results, "DataSetQueryPaginatedResultsViewModel",
     _set(["results", 1, "geographicLevel"], "nat"), "$.results[1].geographicLevel:"),
    # Meta: the location option is a oneOf of five shapes told apart by their keys.
    ("option with name, no label", meta, "DataSetMetaViewModel",
     _set(["locations", 0, "options", 0],
          {"id": "dP0Zw", "code": "E92000001", "name": "England"}),
     "$.locations[0].options[0]: matches none of oneOf"),
    ("option mixing SCH and PROV keys", meta, "DataSetMetaViewModel",
     _set(["locations", 2, "options", 0, "ukprn"], "1"),
     "$.locations[2].options[0]: matches none of oneOf"),
    ("LA option without oldCode but with urn", meta, "DataSetMetaViewModel",
     _set(["locations", 1, "options", 0], {"id": "O7CLF", "label": "S", "urn": "1"}),
     "$.locations[1].options[0]: matches none of oneOf"),
    ("option isAggregate", meta, "DataSetMetaViewModel",
     _set(["filters", 0, "options", 1, "isAggregate"], True),
     "$.filters[0].options[1].isAggregate: property is not allowed"),
    ("unit omitted", meta, "DataSetMetaViewModel", _delete(["indicators", 2, "unit"]),
     "$.indicators[2].unit: required property is missing"),
    ("unknown unit", meta, "DataSetMetaViewModel", _set(["indicators", 0, "unit"], "kg"),
     '$.indicators[0].unit: "kg" is not one of'),
    ("decimalPlaces as string", meta, "DataSetMetaViewModel",
     _set(["indicators", 0, "decimalPlaces"], "0"),
     "$.indicators[0].decimalPlaces: expected integer, got string"),
    ("filter without options", meta, "DataSetMetaViewModel", _delete(["filters", 0, "options"]),
     "$.filters[0].options: required property is missing"),
    ("meta without timePeriods", meta, "DataSetMetaViewModel", _delete(["timePeriods"]),
     "$.timePeriods: required property is missing"),
    # Problem details
    ("empty title", validation_problem, "ValidationProblemViewModel", _set(["title"], ""),
     '$.title: "" is shorter than minLength 1'),
    ("status as string", validation_problem, "ValidationProblemViewModel",
     _set(["status"], "400"), "$.status: expected integer, got string"),
    ("error without code", validation_problem, "ValidationProblemViewModel",
     _delete(["errors", 1, "code"]), "$.errors[1].code: required property is missing"),
    ("error with details", validation_problem, "ValidationProblemViewModel",
     _set(["errors", 0, "details"], {}), "$.errors[0].details: property is not allowed"),
    ("errors as dict (2022 mock)", validation_problem, "ValidationProblemViewModel",
     _set(["errors"], {"indicators": ["array.notEmpty"]}), "$.errors: expected array"),
    # Formats, enums and nullability on a data set
    ("id not a uuid", data_set, "DataSetViewModel", _set(["id"], "abc"),
     '$.id: "abc" is not a uuid'),
    ("file id not a uuid", data_set, "DataSetViewModel",
     _set(["latestVersion", "file", "id"], DATA_SET_ID[:-1]),
     "$.latestVersion.file.id: "),
    ("published without zone", data_set, "DataSetViewModel",
     _set(["latestVersion", "published"], "2024-06-01T09:30:00"),
     '$.latestVersion.published: "2024-06-01T09:30:00" is not an RFC 3339 date-time'),
    ("published month 13", data_set, "DataSetViewModel",
     _set(["latestVersion", "published"], "2024-13-01T09:30:00Z"),
     "$.latestVersion.published: "),
    ("published as a date", data_set, "DataSetViewModel",
     _set(["latestVersion", "published"], "2024-06-01"), "$.latestVersion.published: "),
    ("status lower case", data_set, "DataSetViewModel", _set(["status"], "published"),
     '$.status: "published" is not one of'),
    ("level code in label list", data_set, "DataSetViewModel",
     _set(["latestVersion", "geographicLevels"], ["LA"]),
     '$.latestVersion.geographicLevels[0]: "LA" is not one of'),
    ("supersedingDataSetId bad", data_set, "DataSetViewModel",
     _set(["supersedingDataSetId"], "x"), "$.supersedingDataSetId: "),
    ("null title", data_set, "DataSetViewModel", _set(["title"], None),
     "$.title: expected string, got null"),
    ("totalResults beyond int64", data_set, "DataSetViewModel",
     _set(["latestVersion", "totalResults"], 2**63), "does not fit int64"),
    # Requests: limits, enums and the criteria oneOf
    ("eq with a list (quick start trap)", query_request, "DataSetQueryRequest",
     _set(["criteria"], {"filters": {"eq": ["6jrfe", "CpId1"]}}),
     "$.criteria: matches none of oneOf"),
    ("mock-era facets key", query_request, "DataSetQueryRequest",
     _set(["criteria"], {"facets": {}}), "$.criteria: matches none of oneOf"),
    ("empty and", query_request, "DataSetQueryRequest", _set(["criteria"], {"and": []}),
     "fewer than minItems 1"),
    ("sort direction lower case", query_request, "DataSetQueryRequest",
     _set(["sorts", 0, "direction"], "asc"), '$.sorts[0].direction: "asc" is not one of'),
    ("pageSize too big", query_request, "DataSetQueryRequest", _set(["pageSize"], 10001),
     "$.pageSize: 10001 is above the maximum 10000"),
    ("page zero", query_request, "DataSetQueryRequest", _set(["page"], 0),
     "$.page: 0 is below the minimum 1"),
    ("page beyond int32", query_request, "DataSetQueryRequest", _set(["page"], 2**31),
     "$.page: 2147483648 does not fit int32"),
    ("empty indicator", query_request, "DataSetQueryRequest", _set(["indicators", 1], ""),
     '$.indicators[1]: "" is shorter than minLength 1'),
    ("long indicator", query_request, "DataSetQueryRequest", _set(["indicators", 0], "x" * 41),
     "is longer than maxLength 40"),
    ("indicators missing", query_request, "DataSetQueryRequest", _delete(["indicators"]),
     "$.indicators: required property is missing"),
    ("location with id and code", query_request, "DataSetQueryRequest",
     _set(["criteria"], {"locations": {"eq": {"level": "NAT", "id": "dP0Zw", "code": "E"}}}),
     "$.criteria: matches none of oneOf"),
    ("singular timePeriod facet", query_request, "DataSetQueryRequest",
     _set(["criteria"], {"timePeriod": {"eq": {"period": "2020", "code": "CY"}}}),
     "$.criteria: matches none of oneOf"),
]


@pytest.mark.parametrize(("label", "make", "name", "change", "expected"), MUTATIONS,
                         ids=[m[0] for m in MUTATIONS])
def test_each_mutation_is_caught(label, make, name, change, expected):
    found = problems(mutated(make, change), name)
    assert found, f"{label}: not caught"
    assert any(expected in p for p in found), found
    with pytest.raises(AssertionError) as raised:
        assert_matches(mutated(make, change), name)
    assert expected in str(raised.value)


def test_assert_matches_lists_every_problem_with_its_path():
    bad = query_results()
    bad["paging"]["page"] = "1"
    del bad["results"][0]["values"]
    bad["results"][1]["timePeriod"]["code"] = "XX"
    bad["extra"] = 1
    found = problems(bad, "DataSetQueryPaginatedResultsViewModel")
    assert len(found) == 4, found
    with pytest.raises(AssertionError) as raised:
        assert_matches(bad, "DataSetQueryPaginatedResultsViewModel")
    message = str(raised.value)
    assert message.startswith("4 problem(s) against DataSetQueryPaginatedResultsViewModel")
    for path in ("$.paging.page", "$.results[0].values", "$.results[1].timePeriod.code",
                 "$.extra"):
        assert path in message


def test_one_of_needs_exactly_one_match():
    schema = {"oneOf": [{"type": "string"}, {"type": "string", "minLength": 1}]}
    assert check("", schema) == []
    assert "matches 2 branches of oneOf" in check("x", schema)[0]
    assert "matches none of oneOf" in check(1, schema)[0]


def test_location_named_by_code_counts_once():
    """Code and LocalAuthorityCode are the same shape in the document (see ONE_OF_OVERLAPS)."""
    for level in ("LA", "REG"):
        body = {"criteria": {"locations": {"eq": {"level": level, "code": "E08000019"}}},
                "indicators": ["7zXob"]}
        assert_matches(body, "DataSetQueryRequest")
    two = {"oneOf": [{"$ref": "#/components/schemas/DataSetQueryLocationCode"},
                     {"$ref": "#/components/schemas/DataSetQueryLocationId"}]}
    assert check({"level": "LA", "code": "x"}, two) == []
    too_long = {"level": "LA", "code": "x" * 31}
    assert "matches none of oneOf" in problems(
        {"criteria": {"locations": {"eq": too_long}}, "indicators": []}, "DataSetQueryRequest")[0]


def test_all_of_branches_share_their_properties():
    """additionalProperties false in each allOf branch still allows the other branch's keys."""
    assert_matches({"id": "dP0Zw", "label": "England", "code": "E92000001"},
                   "LocationCodedOptionViewModel")
    found = problems({"id": "dP0Zw", "label": "England", "code": "E9", "oldCode": "1"},
                     "LocationCodedOptionViewModel")
    assert found == ["$.oldCode: property is not allowed (additionalProperties false)"]
    assert problems({"id": "dP0Zw", "code": "E9"}, "LocationCodedOptionViewModel") == [
        "$.label: required property is missing"]


def test_any_of_not_pattern_and_additional_schema():
    any_of = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[a-z]+$"}]}
    assert check(3, any_of) == [] and check("abc", any_of) == []
    assert "matches none of anyOf" in check("ABC", any_of)[0]
    lower = any_of["anyOf"][1]
    assert check("ABC", lower) == ["$: \"ABC\" does not match pattern '^[a-z]+$'"]
    assert "must not match" in check("a", {"not": {"type": "string"}})[0]
    assert check(1, {"not": {"type": "string"}}) == []
    mapping = {"type": "object", "additionalProperties": {"type": "string"}}
    assert check({"a": "b"}, mapping) == []
    assert check({"a": 1}, mapping) == ["$.a: expected string, got integer"]
    assert check({"a b": 1}, mapping) == ['$["a b"]: expected string, got integer']
    anything = {"type": "object", "additionalProperties": {}}
    assert check({"a": [1, None]}, anything) == []
    items = {"type": "array", "maxItems": 1, "items": {"type": "integer", "maximum": 3}}
    assert check([1, 4], items) == ["$: has 2 items, more than maxItems 1",
                                    "$[1]: 4 is above the maximum 3"]


def test_unknown_keywords_and_schemas_are_refused():
    with pytest.raises(NotImplementedError):
        check([1], {"type": "array", "uniqueItems": True})
    with pytest.raises(KeyError):
        problems({}, "NoSuchViewModel")


def _keywords(schema: Any, found: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    found.update(schema)
    for sub in schema.get("properties", {}).values():
        _keywords(sub, found)
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            _keywords(sub, found)
    for key in ("items", "not", "additionalProperties"):
        _keywords(schema.get(key), found)


def test_checker_supports_every_keyword_the_document_uses():
    found: set[str] = set()
    for schema in ees_schema.schemas().values():
        _keywords(schema, found)
    for operations in ees_schema.document()["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _keywords(parameter.get("schema"), found)
            for response in operation["responses"].values():
                for content in response.get("content", {}).values():
                    _keywords(content.get("schema"), found)
    assert found - ees_schema.SUPPORTED == set()
    assert {"$ref", "allOf", "oneOf", "nullable", "additionalProperties", "format"} <= found


def _examples(schema: Any, path: str, out: list[tuple[str, Any, dict[str, Any]]]) -> None:
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        out.append((path, schema["example"], schema))
    for name, sub in schema.get("properties", {}).items():
        _examples(sub, f"{path}.{name}", out)
    _examples(schema.get("items"), f"{path}[]", out)


def test_the_documents_own_examples_pass():
    examples: list[tuple[str, Any, dict[str, Any]]] = []
    for name, schema in ees_schema.schemas().items():
        _examples(schema, name, examples)
    assert len(examples) > 100
    for path, example, schema in examples:
        assert check(example, schema) == [], path


@pytest.mark.parametrize(("path", "method", "status", "expected"), [
    ("/v1/data-sets/{dataSetId}/query", "get", 200, "DataSetQueryPaginatedResultsViewModel"),
    ("/v1/data-sets/{dataSetId}/query", "POST", 400, "ValidationProblemViewModel"),
    (f"/api/v1/data-sets/{DATA_SET_ID}/query?page=2", "post", 200,
     "DataSetQueryPaginatedResultsViewModel"),
    (f"/api/v1/data-sets/{DATA_SET_ID}/meta", "get", 200, "DataSetMetaViewModel"),
    (f"/api/v1/data-sets/{DATA_SET_ID}", "get", 404, "ProblemDetailsViewModel"),
    (f"/api/v1/data-sets/{DATA_SET_ID}/versions/1.0/changes", "get", 200,
     "DataSetVersionChangesViewModel"),
    (f"/api/v1/data-sets/{DATA_SET_ID}/versions/1.*", "get", 200, "DataSetVersionViewModel"),
    ("/api/v1/publications", "get", 200, "PublicationPaginatedListViewModel"),
    (f"/api/v1/publications/{DATA_SET_ID}/data-sets/", "get", 200,
     "DataSetPaginatedListViewModel"),
])
def test_response_schema(path, method, status, expected):
    assert response_schema(path, method, status) == expected


def test_response_schema_lookup_errors():
    with pytest.raises(LookupError):  # text/csv, not JSON
        response_schema("/v1/data-sets/{dataSetId}/csv", "get", 200)
    with pytest.raises(LookupError):  # 504 has no content
        response_schema("/v1/publications", "get", 504)
    with pytest.raises(KeyError):  # not listed for this route
        response_schema("/v1/publications", "get", 404)
    with pytest.raises(KeyError):
        response_schema("/v1/nothing", "get", 200)
    with pytest.raises(KeyError):
        response_schema("/v1/publications", "post", 200)


def test_request_schema():
    assert request_schema("/v1/data-sets/{dataSetId}/query", "post") == "DataSetQueryRequest"
    with pytest.raises(LookupError):
        request_schema("/v1/data-sets/{dataSetId}/query", "get")
