"""No empty tables: each table-tool step offers only what has data given earlier choices,
without JavaScript (plain HTML forms), on a data set with gaps."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import LiveServer
from tests.support.open_data import GAPS, gaps_ids, open_data_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from open_data_site(tmp_path_factory.mktemp("tool"))


@pytest.fixture(scope="module")
def ids(site: LiveServer) -> dict[str, str]:
    return gaps_ids(site)


def step(site: LiveServer, params: list[tuple[str, str]]) -> str:
    answer = httpx.get(f"{site.base}/data-tables", params=params, follow_redirects=True)
    assert answer.status_code == 200
    return answer.text


def test_time_step_offers_only_periods_with_data(site: LiveServer, ids: dict[str, str]) -> None:
    html = step(site, [("dataSetId", GAPS), ("locations", ids["North West"]),
                       ("step", "time"), ("from", "locations")])
    offered = set(re.findall(r'<option value="([^"]+)"', html))
    assert offered == {"2021|CY"}
    assert "1 time period is not offered" in html
    # With England, both years have data: both offered, no note.
    html = step(site, [("dataSetId", GAPS), ("locations", ids["England"]), ("step", "time")])
    assert set(re.findall(r'<option value="([^"]+)"', html)) == {"2020|CY", "2021|CY"}
    assert "not offered" not in html


def checkbox(html: str, public_id: str) -> str:
    [tag] = re.findall(rf'<input[^>]*value="{public_id}"[^>]*>', html)
    return tag


def test_filters_step_disables_options_without_data(site: LiveServer,
                                                    ids: dict[str, str]) -> None:
    html = step(site, [("dataSetId", GAPS), ("locations", ids["England"]),
                       ("start", "2020|CY"), ("end", "2021|CY"), ("step", "filters")])
    assert "disabled" in checkbox(html, ids["Green"])
    assert "disabled" not in checkbox(html, ids["Blue"])
    assert "disabled" not in checkbox(html, ids["Red"])
    assert "disabled" in checkbox(html, ids["score"])
    assert "checked" not in checkbox(html, ids["score"])  # not ticked for the reader either
    assert f'id="opt-{ids["Green"]}-empty">No data for your choices' in html
    # "Select all" ticks the options with data only.
    assert "Select all 2 options of Colour" in html
    picked = step(site, [("dataSetId", GAPS), ("locations", ids["England"]),
                         ("start", "2020|CY"), ("end", "2021|CY"), ("from", "filters"),
                         ("select_all_filter", ids["colour"]), ("indicators", ids["pupils"])])
    assert "checked" in checkbox(picked, ids["Blue"]) and "checked" in checkbox(picked, ids["Red"])
    assert "checked" not in checkbox(picked, ids["Green"])


def test_later_choices_narrow_further(site: LiveServer, ids: dict[str, str]) -> None:
    """North East in 2021 has only Green: Blue and Red are not offered there."""
    html = step(site, [("dataSetId", GAPS), ("locations", ids["North East"]),
                       ("start", "2021|CY"), ("end", "2021|CY"), ("step", "filters")])
    assert "disabled" not in checkbox(html, ids["Green"])
    assert "disabled" in checkbox(html, ids["Blue"]) and "disabled" in checkbox(html, ids["Red"])
    assert "disabled" not in checkbox(html, ids["score"])
