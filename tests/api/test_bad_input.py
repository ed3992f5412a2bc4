"""Bad requests get 4xx problem details naming the path, never a 5xx or a stack trace."""

from __future__ import annotations

import pytest

from tests.api.conftest import FUTURE_ID, LiveServer, data_set_id

DS = data_set_id("absence")


def problems(answer) -> list[dict]:  # noqa: ANN001
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["status"] == 400 and body["title"] == "One or more validation errors occurred."
    assert "Traceback" not in answer.text
    return body["errors"]


@pytest.mark.parametrize(("params", "path", "code"), [
    ({"page": "0"}, "page", "GreaterThanOrEqual"),
    ({"page": "abc"}, "page", "InvalidValue"),
    ({"pageSize": "10001"}, "pageSize", "InclusiveBetween"),
    ({"pageSize": "-1"}, "pageSize", "InclusiveBetween"),
    ({"filters.eq": "x" * 11}, "filters.eq", "MaximumLength"),
    ({"geographicLevels.eq": "COUNTY"}, "geographicLevels.eq", "AllowedValue"),
    ({"locations.in": "NAT|code"}, "locations.in[0]", "LocationFormat"),
    ({"locations.eq": "XYZ|code|1"}, "locations.eq", "LocationAllowedLevel"),
    ({"locations.eq": "NAT|urn|1"}, "locations.eq", "LocationAllowedProperty"),
    ({"locations.eq": "NAT|code|"}, "locations.eq", "LocationValueNotEmpty"),
    ({"locations.eq": "NAT|code|" + "1" * 31}, "locations.eq", "LocationValueMaxLength"),
    ({"timePeriods.eq": "2020"}, "timePeriods.eq", "TimePeriodFormat"),
    ({"timePeriods.eq": "2020|XX"}, "timePeriods.eq", "TimePeriodAllowedCode"),
    ({"timePeriods.gte": "20x0|AY"}, "timePeriods.gte", "TimePeriodInvalidYear"),
    ({"timePeriods.eq": "2020/2022|AY"}, "timePeriods.eq", "TimePeriodInvalidYearRange"),
    ({"timePeriods.eq": "2020/2021|CY"}, "timePeriods.eq", "TimePeriodAllowedCode"),
    ({"sorts": "timePeriod|Sideways"}, "sorts[0]", "SortDirection"),
    ({"sorts": "nothing"}, "sorts[0]", "SortFormat"),
    ({"sorts": "nowhere|Asc"}, "sorts", "SortFieldsNotFound"),
    ({"indicators": "nope"}, "indicators", "IndicatorsNotFound"),
    ({"debug": "perhaps"}, "debug", "InvalidValue"),
    ({"colour": "blue"}, "colour", "UnknownField"),
])
def test_get_query_errors(live: LiveServer, params: dict, path: str, code: str) -> None:
    errors = problems(live.get(f"/v1/data-sets/{DS}/query", params=params))
    assert {"path": path, "code": code} in [{"path": e.get("path"), "code": e["code"]}
                                            for e in errors], errors
    assert all(e["message"] for e in errors)


def test_errors_are_aggregated(live: LiveServer) -> None:
    errors = problems(live.get(f"/v1/data-sets/{DS}/query", params={
        "page": "0", "pageSize": "0", "geographicLevels.eq": "X", "extra": "1"}))
    assert {e["path"] for e in errors} == {"page", "pageSize", "geographicLevels.eq", "extra"}


@pytest.mark.parametrize(("body", "path", "code"), [
    ({"criteria": {"filters": {"eq": 5}}}, "criteria.filters.eq", "InvalidValue"),
    ({"criteria": {"filters": {"in": []}}}, "criteria.filters.in", "NotEmpty"),
    ({"criteria": {"filters": {"like": "a"}}}, "criteria.filters.like", "UnknownField"),
    ({"criteria": {"and": [{"geographicLevels": {"eq": "X"}}]}},
     "criteria.and[0].geographicLevels.eq", "AllowedValue"),
    ({"criteria": {"not": []}}, "criteria.not", "InvalidValue"),
    ({"criteria": {"and": [], "filters": {}}}, "criteria.filters", "UnknownField"),
    ({"criteria": {"timePeriods": {"gt": {"period": "2020", "code": "ZZ"}}}},
     "criteria.timePeriods.gt.code", "TimePeriodAllowedCode"),
    ({"criteria": {"locations": {"eq": {"level": "LA", "urn": "1"}}}},
     "criteria.locations.eq.urn", "UnknownField"),
    ({"sorts": [{"field": "timePeriod", "direction": "asc"}]}, "sorts[0].direction",
     "AllowedValue"),
    ({"sorts": []}, "sorts", "NotEmpty"),
    ({"pageSize": 100000}, "pageSize", "InclusiveBetween"),
    ({"page": "1"}, "page", "InvalidValue"),
    ({"indicators": [""]}, "indicators[0]", "NotEmpty"),
    ({"surprise": True}, "surprise", "UnknownField"),
])
def test_post_query_errors(live: LiveServer, body: dict, path: str, code: str) -> None:
    errors = problems(live.post(f"/v1/data-sets/{DS}/query", json=body))
    assert {"path": path, "code": code} in [{"path": e.get("path"), "code": e["code"]}
                                            for e in errors], errors


def test_malformed_json(live: LiveServer) -> None:
    answer = live.post(f"/v1/data-sets/{DS}/query", content=b'{"criteria": {',
                       headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == "InvalidValue"


def test_not_json_is_415(live: LiveServer) -> None:
    answer = live.post(f"/v1/data-sets/{DS}/query", content=b"criteria=1",
                       headers={"content-type": "text/plain"})
    assert answer.status_code == 415


def test_deeply_nested_criteria(live: LiveServer) -> None:
    depth = 100_000  # deeper than Python's own JSON reader can follow
    text = '{"criteria": ' + '{"not": ' * depth + '{}' + "}" * depth + "}"
    answer = live.post(f"/v1/data-sets/{DS}/query", content=text.encode(),
                       headers={"content-type": "application/json"})
    assert answer.status_code == 400
    shallow = '{"criteria": ' + '{"not": ' * 40 + '{}' + "}" * 40 + "}"
    answer = live.post(f"/v1/data-sets/{DS}/query", content=shallow.encode(),
                       headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "CriteriaTooComplex"


def test_huge_criteria(live: LiveServer) -> None:
    body = {"criteria": {"or": [{"filters": {"eq": "abcde"}}] * 5000}}
    answer = live.post(f"/v1/data-sets/{DS}/query", json=body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "CriteriaTooComplex"


def test_huge_body_is_refused(live: LiveServer) -> None:
    body = {"indicators": ["a" * 30] * 60_000}
    assert live.post(f"/v1/data-sets/{DS}/query", json=body).status_code == 413


def test_comments_are_allowed_in_bodies(live: LiveServer) -> None:
    body = b'{\n  // only national rows\n  "criteria": {"geographicLevels": {"eq": "NAT"}}\n}'
    answer = live.post(f"/v1/data-sets/{DS}/query", content=body,
                       headers={"content-type": "application/json"})
    assert answer.status_code == 200
    assert {r["geographicLevel"] for r in answer.json()["results"]} == {"NAT"}


@pytest.mark.parametrize("path", [
    "/v1/data-sets/not-a-guid", "/v1/data-sets/00000000-0000-0000-0000-000000000000",
    f"/v1/data-sets/{DS}/versions/9.0", f"/v1/data-sets/{DS}/versions/banana",
    f"/v1/data-sets/{DS}/meta?dataSetVersion=3.*", "/v1/publications/not-a-guid",
])
def test_unknown_things_are_404(live: LiveServer, path: str) -> None:
    answer = live.get(path)
    assert answer.status_code == 404
    assert answer.json()["title"] == "Not Found" and answer.json()["status"] == 404


def test_embargoed_data_set_looks_exactly_unknown(live: LiveServer) -> None:
    unknown = "11111111-0000-4000-8000-0000000000fe"
    for suffix in ("", "/meta", "/query", "/csv", "/versions", "/versions/1.0",
                   "/versions/1.0/changes"):
        hidden = live.get(f"/v1/data-sets/{FUTURE_ID}{suffix}")
        absent = live.get(f"/v1/data-sets/{unknown}{suffix}")
        assert hidden.status_code == absent.status_code == 404
        strip = lambda body: {k: v for k, v in body.items() if k != "traceId"}  # noqa: E731
        assert strip(hidden.json()) == strip(absent.json())
    post = live.post(f"/v1/data-sets/{FUTURE_ID}/query", json={})
    assert post.status_code == 404
    titles = [p["title"] for p in live.get("/v1/publications").json()["results"]]
    assert "Embargoed statistics" not in titles
    found = live.get("/v1/publications", params={"search": "Embargoed"}).json()
    assert found["paging"]["totalResults"] == 0
