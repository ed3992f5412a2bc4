"""Location pages (issue 15.7): /locations/<level>/<code> lists exactly the public data sets
whose latest version has the place (counted here from their metadata), never an embargoed
one that has it too, each linked into the table tool set to it."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from openstats.platform import Platform
from openstats.settings import Settings
from tests.api.conftest import serve
from tests.real_data import SPC_ID
from tests.support.inprocess import InProcessClient
from tests.support.real_site import DEMO, PUBLIC, WEEKLY, latest_version


def holders(p: Platform, ids: tuple[str, ...], level: str, code: str) -> dict[str, str]:
    """Of these data sets, those whose latest version has the place: id -> its public id."""
    out = {}
    for data_set_id in ids:
        version = latest_version(p, data_set_id)
        for loc in p.catalogue.metadata.get(version.id).locations:
            if loc.level == level and code in (loc.code, loc.secondary_code, loc.public_id):
                out[data_set_id] = loc.public_id
    return out


def listed(html: str) -> dict[str, str]:
    """The page's data sets: id -> its table tool link."""
    items = re.findall(r'data-data-set-id="([^"]+)">(.*?)</li>', html, re.S)
    out = {}
    for data_set_id, item in items:
        links = re.findall(r'href="(/data-tables\?[^"]+)"', item)
        assert len(links) == 1, item
        out[data_set_id] = unescape(links[0])
    return out


@pytest.mark.parametrize(("level", "code", "name"), [
    ("NAT", "E92000001", "England"),
    ("REG", "E12000007", "London"),
    ("LA", "E09000007", "Camden"),
    ("LA", "202", "Camden"),  # its old LA code
    ("LA", "E08000025", "Birmingham"),
])
def test_lists_exactly_the_public_data_sets_with_the_place(
        client: InProcessClient, platform: Platform, level: str, code: str, name: str) -> None:
    expected = holders(platform, PUBLIC, level, code)
    assert expected  # the place is in at least one public data set
    # The embargoed weekly attendance data has every LA and England too: never listed.
    embargoed = holders(platform, (WEEKLY,), level, code)
    page = client.get(f"/locations/{level}/{code}")
    assert page.status_code == 200
    assert f">{name}</h1>" in page.text
    found = listed(page.text)
    assert set(found) == set(expected)
    assert WEEKLY not in found
    if level in ("NAT", "LA"):
        assert embargoed, "the embargoed data set should have this place too"
    for data_set_id, link in found.items():
        query = parse_qs(urlsplit(link).query)
        assert query["dataSetId"] == [data_set_id]
        assert query["locations"] == [expected[data_set_id]]
        assert query["step"] == ["time"]


def test_england_is_in_the_demo_and_the_real_data(client: InProcessClient) -> None:
    found = listed(client.get("/locations/NAT/E92000001").text)
    assert {DEMO, SPC_ID} <= set(found)


def test_the_table_tool_link_opens_set_to_the_place(client: InProcessClient) -> None:
    link = listed(client.get("/locations/LA/E09000007").text)[SPC_ID]
    step = client.get(link)
    assert step.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", unescape(step.text)))
    assert "Locations Camden" in text  # the chosen-so-far summary names it
    assert "Choose time period" in text  # the step after locations


def test_a_location_named_by_its_public_id(client: InProcessClient, platform: Platform) -> None:
    public_id = holders(platform, (SPC_ID,), "LA", "E09000007")[SPC_ID]
    found = listed(client.get(f"/locations/LA/{public_id}").text)
    assert SPC_ID in found
    # A public id of another level's place names nothing at this one.
    assert listed(client.get(f"/locations/REG/{public_id}").text) == {}


def test_unknown_level_is_a_clear_404(client: InProcessClient) -> None:
    page = client.get("/locations/COUNTY/E09000007")
    assert page.status_code == 404
    assert "There is no geographic level “COUNTY”" in unescape(page.text)
    assert "LA</span>: Local authority" in page.text


def test_lower_case_level_redirects(client: InProcessClient) -> None:
    answer = client.get("/locations/la/E09000007", follow_redirects=False)
    assert answer.status_code == 308
    assert answer.headers["location"] == "/locations/LA/E09000007"


def test_known_level_without_data_sets_says_so(client: InProcessClient) -> None:
    for path in ("/locations/LA/E09999999", "/locations/PCON/E14000530",
                 "/locations/LA/%25", "/locations/LA/E0900000_"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'id="no-data-sets"' in page.text, path
        assert listed(page.text) == {}, path


def test_question_answers_link_places_to_their_pages(client: InProcessClient) -> None:
    html = client.get("/data-catalogue", params={"search": "pupils in Camden"}).text
    assert 'href="/locations/LA/E09000007">Camden</a>' in html


def test_over_http(real_site: Settings) -> None:
    server = serve(real_site)
    live = next(server)
    try:
        page = httpx.get(f"{live.base}/locations/LA/E09000007")
        assert page.status_code == 200
        assert set(listed(page.text)) == {SPC_ID}
        assert httpx.get(f"{live.base}/locations/XYZ/1").status_code == 404
    finally:
        server.close()
