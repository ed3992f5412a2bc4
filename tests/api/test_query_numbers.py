"""The API's numbers agree, row for row, with DuckDB reading the original CSV directly."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import DATA_SETS, LiveServer, data_set_id
from tests.api.decode import Decoder, csv_rows, expected
from tests.conftest import SAMPLES


def all_rows(live: LiveServer, name: str, params: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        if body is None:
            answer = live.get(f"/v1/data-sets/{data_set_id(name)}/query",
                              params={**(params or {}), "page": page, "pageSize": 50})
        else:
            answer = live.post(f"/v1/data-sets/{data_set_id(name)}/query",
                               json={**body, "page": page, "pageSize": 50})
        assert answer.status_code == 200, answer.text
        data = answer.json()
        rows += data["results"]
        if page >= data["paging"]["totalPages"]:
            assert data["paging"]["totalResults"] == len(rows)
            return rows
        page += 1


def decoder(live: LiveServer, name: str) -> Decoder:
    return Decoder(live.get(f"/v1/data-sets/{data_set_id(name)}/meta").json())


def sample(name: str):  # noqa: ANN201
    return SAMPLES / f"{DATA_SETS[name][1]}.csv"


@pytest.mark.parametrize("name", ["absence", "seven", "dates", "grouped"])
def test_every_row_matches_the_csv(live: LiveServer, name: str) -> None:
    d = decoder(live, name)
    got = sorted(d.row(r) for r in all_rows(live, name))
    assert got == expected(sample(name), d)


def option_id(d: Decoder, column: str, label: str) -> str:
    f = next(f for f in d.filters.values() if f["column"] == column)
    return next(o["id"] for o in f["options"] if o["label"] == label)


def test_get_facets_are_anded_and_in_across_filters_is_or(live: LiveServer) -> None:
    d = decoder(live, "absence")
    primary = option_id(d, "school_type", "State-funded primary")
    year6 = option_id(d, "ncyear", "Year 6")
    got = sorted(d.row(r) for r in all_rows(live, "absence", {
        "geographicLevels.in": "LA,REG", "filters.in": f"{primary},{year6}",
        "timePeriods.gte": "2020/2021|AY"}))
    want = expected(sample("absence"), d, lambda r: r["geographic_level"] in (
        "Local authority", "Regional") and (r["school_type"] == "State-funded primary"
                                            or r["ncyear"] == "Year 6")
        and r["time_period"] >= "202021")
    assert got == want and got


def test_location_codes_match_every_row_that_names_them(live: LiveServer) -> None:
    d = decoder(live, "absence")
    got = sorted(d.row(r) for r in all_rows(live, "absence", {"locations.eq": "LA|oldCode|373"}))
    want = expected(sample("absence"), d, lambda r: r["old_la_code"] == "373"
                    and bool(r["new_la_code"]) and bool(r["la_name"]))
    assert got == want and got
    rows = all_rows(live, "absence", {"locations.eq": "NAT|code|E92000001"})
    assert len(rows) == len(csv_rows(sample("absence")))  # every row names England


def test_post_criteria_tree(live: LiveServer) -> None:
    d = decoder(live, "absence")
    year4 = option_id(d, "ncyear", "Year 4")
    body = {"criteria": {"and": [
        {"not": {"geographicLevels": {"in": ["SCH", "WARD"]}}},
        {"or": [{"filters": {"eq": year4}},
                {"locations": {"in": [{"level": "REG", "code": "E12000003"}]}}]},
    ]}}
    got = sorted(d.row(r) for r in all_rows(live, "absence", body=body))
    want = expected(sample("absence"), d, lambda r: r["geographic_level"] not in (
        "School", "Ward") and (r["ncyear"] == "Year 4" or r["region_code"] == "E12000003"))
    assert got == want and got


def test_time_period_comparisons_follow_time_order(live: LiveServer) -> None:
    d = decoder(live, "dates")
    rows = csv_rows(sample("dates"))
    periods = sorted({(r["time_period"], r["time_identifier"]) for r in rows},
                     key=lambda p: (p[0], int(p[1].split()[-1])))
    middle_period, middle_identifier = periods[len(periods) // 2]
    code = "W" + middle_identifier.split()[-1]
    got = sorted(d.row(r) for r in all_rows(live, "dates", {
        "timePeriods.lt": f"{middle_period}|{code}"}))
    middle_rank = periods.index((middle_period, middle_identifier))
    want = expected(sample("dates"), d, lambda r: periods.index(
        (r["time_period"], r["time_identifier"])) < middle_rank)
    assert got == want and got


def test_sort_by_indicator_is_numeric_with_paging(live: LiveServer) -> None:
    d = decoder(live, "absence")
    indicator = next(i for i, c in d.indicators.items() if c == "enrolments")
    answer = live.get(f"/v1/data-sets/{data_set_id('absence')}/query", params={
        "sorts": f"indicator|{indicator}|Desc", "pageSize": 5, "page": 2,
        "indicators": indicator})
    values = [r["values"][indicator] for r in answer.json()["results"]]
    numbers = sorted((float(r["enrolments"]) for r in csv_rows(sample("absence"))
                      if r["enrolments"] not in ("", "x", "c", "z")), reverse=True)
    assert [float(v) for v in values] == numbers[5:10]
    assert list(answer.json()["results"][0]["values"]) == [indicator]
