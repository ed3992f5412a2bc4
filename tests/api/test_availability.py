"""The availability endpoint (an openstats extension) on a data set with gaps: given
partial criteria, exactly what has at least one observation, checked against queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveServer
from tests.support.open_data import GAPS, gaps_ids, open_data_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from open_data_site(tmp_path_factory.mktemp("availability"))


@pytest.fixture(scope="module")
def ids(site: LiveServer) -> dict[str, str]:
    return gaps_ids(site)


def available(site: LiveServer, **params: Any) -> dict[str, Any]:
    answer = httpx.get(f"{site.api}/v1/data-sets/{GAPS}/availability", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_region_with_one_year_offers_that_year_and_its_options(
        site: LiveServer, ids: dict[str, str]) -> None:
    got = available(site, **{"locations.eq": "REG|code|E12000002"})  # North West
    assert got["totalResults"] == 1
    assert got["timePeriods"] == [{"period": "2021", "code": "CY"}]
    assert got["locations"] == {"REG": [ids["North West"]]}
    assert got["filters"] == {ids["colour"]: [ids["Blue"]]}
    # `z` is a value (a symbol): rate has one; score is blank there.
    assert got["indicators"] == [ids["pupils"], ids["rate"]]


def test_england_has_no_green_and_no_score(site: LiveServer, ids: dict[str, str]) -> None:
    # As in a query, England alone would also match the rows of its regions (they name
    # England too): the level says "England's own rows".
    got = available(site, **{"geographicLevels.eq": "NAT", "locations.eq": "NAT|code|E92000001",
                             "timePeriods.in": "2020|CY,2021|CY"})
    assert got["filters"][ids["colour"]] == [ids["Blue"], ids["Red"]]
    assert ids["score"] not in got["indicators"]
    assert got["geographicLevels"] == ["NAT"]


def test_no_criteria_is_everything(site: LiveServer, ids: dict[str, str]) -> None:
    got = available(site)
    assert got["totalResults"] == 6
    assert got["filters"][ids["colour"]] == [ids["Blue"], ids["Green"], ids["Red"]]
    assert len(got["indicators"]) == 3 and got["geographicLevels"] == ["NAT", "REG"]


def test_post_criteria_answer_as_get(site: LiveServer, ids: dict[str, str]) -> None:
    body = {"criteria": {"and": [{"geographicLevels": {"eq": "REG"}},
                                 {"timePeriods": {"eq": {"period": "2020", "code": "CY"}}}]}}
    got = httpx.post(f"{site.api}/v1/data-sets/{GAPS}/availability", json=body).json()
    assert got == available(site, **{"geographicLevels.eq": "REG", "timePeriods.eq": "2020|CY"})
    assert got["locations"] == {"REG": [ids["North East"]]}
    assert got["filters"][ids["colour"]] == [ids["Blue"]]


def test_each_answer_agrees_with_the_query(site: LiveServer, ids: dict[str, str]) -> None:
    """Every option said to have data has rows under the criteria; every other has none."""
    for place in ("NAT|code|E92000001", "REG|code|E12000001", "REG|code|E12000002"):
        got = available(site, **{"locations.eq": place})
        for label in ("Blue", "Green", "Red"):
            rows = httpx.get(f"{site.api}/v1/data-sets/{GAPS}/query", params={
                "locations.eq": place, "filters.eq": ids[label]}).json()
            has = rows["paging"]["totalResults"] > 0
            assert has == (ids[label] in got["filters"][ids["colour"]]), (place, label)


def test_unknown_ids_warn_and_match_nothing(site: LiveServer) -> None:
    got = available(site, **{"filters.eq": "nope1"})
    assert got["totalResults"] == 0 and got["timePeriods"] == []
    assert {w["code"] for w in got["warnings"]} == {"FiltersNotFound", "QueryNoResults"}


def test_paging_and_sorts_are_refused_by_name(site: LiveServer) -> None:
    for params in ({"sorts": "timePeriod|Asc"}, {"page": "1"}):
        answer = httpx.get(f"{site.api}/v1/data-sets/{GAPS}/availability", params=params)
        assert answer.status_code == 400
        assert [e["path"] for e in answer.json()["errors"]] == list(params)
    bad = httpx.get(f"{site.api}/v1/data-sets/{GAPS}/availability",
                    params={"timePeriods.eq": "2020"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "timePeriods.eq"


def test_post_refuses_unknown_query_parameters_by_name(site: LiveServer) -> None:
    url = f"{site.api}/v1/data-sets/{GAPS}/availability"
    answer = httpx.post(url, params={"pageSize": "5", "dataSetVersion": "1.*"}, json={})
    assert answer.status_code == 400
    assert [(e["code"], e["path"]) for e in answer.json()["errors"]] == [
        ("UnknownField", "pageSize")]
    # The two it takes, in any case EES accepts, are not refused.
    assert httpx.post(url, params={"datasetversion": "1.*"}, json={}).status_code == 200
