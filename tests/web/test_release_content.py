"""Release pages with content, in process, over both demo publications (the seed and DfE's
real LA-level data): tiles, tables and charts show the numbers the API returns for the
same query; find statistics searches, filters, sorts and pages in the URL; methodology,
glossary and pre-release access list pages; chart downloads; manifest checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from openstats import demo
from openstats.app import create_app
from openstats.errors import ManifestError
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.publishing.manifest_file import read_manifest
from openstats.query import tables
from openstats.query.engine import Version
from openstats.query.pivot import format_value as pivot_format
from openstats.settings import Settings
from tests.conftest import REFERENCE, SHARED
from tests.support.inprocess import InProcessClient

SEED = "/find-statistics/children-in-need-a-focus-on-re-referrals/2024"
PUPILS = "/find-statistics/school-pupils-and-their-characteristics/2021-22"
E1 = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
SPC = "5bc9e6a3-0e3c-4d53-9d2e-6f6b64c1a001"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    folder = tmp_path_factory.mktemp("release-content")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        rate_limit=0)
    platform = open_platform(settings)
    load_manifest(platform, demo.MANIFEST)
    load_manifest(platform, demo.real_manifest(SHARED, folder / "build"))
    platform.close()
    with InProcessClient(create_app(settings)) as client:
        yield client


def format_value(raw: str, decimals: int) -> str:
    return pivot_format(raw, {"unit": "", "decimal_places": decimals})


def cells(html: str) -> list[str]:
    return [unescape(c) for c in re.findall(r'<td class="govuk-table__cell[^"]*">([^<]*)</td>',
                                            html)]


def blocks_of(html: str) -> list[str]:
    return re.findall(r'<div class="app-data-block".*?(?=<div class="app-data-block"|'
                      r'<div class="govuk-accordion__section"|<h2 class="govuk-heading-l")',
                      html, re.DOTALL)


def api_values(client: InProcessClient, data_set: str, spec: dict[str, Any],
               indicator: str) -> dict[str, str]:
    """The API's answer for a spec, as location code (or period) -> value."""
    meta = client.get(f"/api/v1/data-sets/{data_set}/meta").json()
    assert meta["indicators"]
    platform = client.app.state.platform  # type: ignore[attr-defined]
    view = platform.catalogue.snapshots.view()
    item = view.latest(data_set)
    v = Version.load(item.version_id, Path("unused"),
                     platform.catalogue.metadata.get_json(item.version_id))
    sel = tables.spec_to_selection(v, data_set, spec)
    answer = client.post(f"/api/v1/data-sets/{data_set}/query?pageSize=1000",
                         json=tables.api_body(v, sel)).json()
    wanted = next(i["public_id"] for i in v.meta["indicators"] if i["column"] == indicator)
    out = {}
    for r in answer["results"]:
        place = r["locations"][r["geographicLevel"]]
        code = v.locations[place]["code"]
        key = f"{code}|{r['timePeriod']['period']}|{','.join(sorted(r['filters'].values()))}"
        out[key] = r["values"][wanted]
    return out


def test_tile_table_and_chart_show_the_api_numbers(site: InProcessClient) -> None:
    html = site.get(SEED).text
    # The tile: referrals after a CINO earlier referral, England, 2017.
    api = api_values(site, E1, {"locations": ["NAT|code|E92000001"],
                                "time_periods": ["2017|RY", "2017|RY"],
                                "filters": {"level_description": ["3. CINO"]},
                                "indicators": ["referrals"]}, "referrals")
    [(_, cino)] = api.items()
    tiles = re.findall(r"data-key-stat-value>([^<]*)<", html)
    assert tiles[0] == f"{int(cino):,}"
    # The first block: a table and a horizontal bar chart of the five levels.
    levels = ["1. No futher action", "2. Assessed as not in need", "3. CINO",
              "4. s47 Enquiry", "5. ICPC"]
    api = api_values(site, E1, {"locations": ["NAT|code|E92000001"],
                                "time_periods": ["2017|RY", "2017|RY"],
                                "filters": {"level_description": levels},
                                "indicators": ["referrals"]}, "referrals")
    expected = sorted(f"{int(x):,}" for x in api.values())
    first = blocks_of(html)[0]
    table = first.split("data-block-table")[1]
    chart = first.split("data-chart-numbers")[1].split("data-block-table")[0]
    assert sorted(cells(table)) == expected
    assert sorted(cells(chart)) == expected
    assert "<svg" in first


def test_the_real_map_shows_every_local_authority_as_the_api_does(site: InProcessClient) -> None:
    html = site.get(PUPILS).text
    other = "Known or believed to be other than English"
    api = api_values(site, SPC, {"locations": ["LA"],
                                 "time_periods": ["2021/2022|AY", "2021/2022|AY"],
                                 "filters": {"language": [other]},
                                 "indicators": ["percent_of_pupils"]}, "percent_of_pupils")
    assert len(api) > 150
    block = next(b for b in blocks_of(html) if "by local authority" in b)
    chart = block.split("data-chart-numbers")[1].split("data-block-table")[0]
    # Locations of the level with no 2021/22 row (councils since merged) show "no data".
    shown = [c for c in cells(chart) if c != "no data"]
    assert len(shown) == len(api)
    # Percentages to one decimal place, as the indicator's metadata says.
    assert sorted(shown) == sorted(format_value(x, 1) for x in api.values())
    assert block.count("<path") > 2 * 150  # a map at both widths
    assert "Office for National Statistics" in block
    assert re.findall(r"data-key-stat-value>([^<]*)<", html) == ["8,418,013", "19.5"]


def test_release_page_layout(site: InProcessClient) -> None:
    html = site.get(SEED).text
    order = ["Reporting year 2024", 'id="release-type"', 'id="latest-tag"',
             'id="release-dates"', 'id="release-summary"', 'id="headlines"',
             'id="key-statistics"', 'id="headline-text"', 'id="content-sections"',
             'id="explore-data"', 'id="help-and-support"', 'id="updates"']
    places = [html.index(marker) for marker in order]
    assert places == sorted(places)
    assert "What are ad hoc statistics?" in html
    assert "/methodology/children-in-need-re-referrals-methodology" in html
    assert "First published." in html and "prerelease-access-list" in html
    assert re.findall(r'govuk-accordion__section-button"[^>]*>([^<]*)<', html) == [
        "Re-referrals by level of intervention", "Shares of all referrals"]


def test_chart_downloads(site: InProcessClient) -> None:
    html = site.get(SEED).text
    url = re.search(r'href="(/find-statistics/[^"]+/chart)\.svg"', html)
    assert url
    svg = site.get(url.group(1) + ".svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    png = site.get(url.group(1) + ".png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert site.get(f"{SEED}/data-blocks/nope/chart.svg").status_code == 404


def test_methodology_glossary_and_pre_release_list(site: InProcessClient) -> None:
    m = site.get("/methodology/children-in-need-re-referrals-methodology")
    assert m.status_code == 200 and "Reading the percentages" in m.text
    g = site.get("/glossary").text
    terms = re.findall(r'<dt class="govuk-heading-m" id="[^"]+">([^<]+)<', g)
    assert terms == sorted(terms, key=str.lower) and len(terms) == 5  # A to Z
    for anchor in ("child-in-need", "section-47-enquiry", "first-language", "headcount"):
        assert f'id="{anchor}"' in g
    assert site.get(f"{SEED}/prerelease-access-list").status_code == 200
    assert "Press officer" in site.get(f"{SEED}/prerelease-access-list").text
    assert site.get("/methodology/no-such-thing").status_code == 404


CIN, SPC_TITLE = ("Children in need: A focus on re-referrals",
                  "Schools, pupils and their characteristics")


@pytest.mark.parametrize(("query", "titles"), [
    ("", [CIN, SPC_TITLE]),  # newest first: 2024, then 2022
    ("?sort=oldest", [SPC_TITLE, CIN]),
    ("?sort=title", [CIN, SPC_TITLE]),
    ("?search=pupils", [SPC_TITLE]),
    ("?search=referrals&sort=relevance", [CIN]),
    ("?theme=childrens-social-care", [CIN]),
    ("?release_type=ad-hoc-statistics", [CIN]),
    ("?search=nothing+like+this", []),
])
def test_find_statistics(site: InProcessClient, query: str, titles: list[str]) -> None:
    html = site.get(f"/find-statistics{query}").text
    found = [unescape(t) for t in re.findall(
        r'<h3 class="govuk-heading-m govuk-!-margin-bottom-1"><a class="govuk-link" '
        r'href="/find-statistics/[^"]+">([^<]+)</a>', html)]
    assert found == titles


def test_find_statistics_pages(site: InProcessClient) -> None:
    from openstats.catalogue import finding

    view = site.app.state.platform.catalogue.snapshots.view()  # type: ignore[attr-defined]
    first = finding.find(view, finding.FindQuery(sort="title", page_size=1))
    second = finding.find(view, finding.FindQuery(sort="title", page=2, page_size=1))
    assert (first.total, first.pages, second.page) == (2, 2, 2)
    assert first.results[0].publication.title < second.results[0].publication.title
    beyond = finding.find(view, finding.FindQuery(page=99))
    assert beyond.page == 1


def test_manifest_names_the_field_and_the_value(tmp_path: Path) -> None:
    text = demo.MANIFEST.read_text()
    text = text.replace('indicator = "referrals"\nlocation', 'indicator = "referals"\nlocation', 1)
    text = text.replace('chart = "verticalbar"', 'chart = "pie"')
    text = text.replace('time_periods = ["2017|RY", "2017|RY"]\nindicators = ["referrals"]',
                        'time_periods = ["2018|RY", "2017|RY"]\nindicators = ["referrals"]')
    for name in ("e1_re_referrals.csv", "e1_re_referrals.meta.csv"):
        (tmp_path / name).write_bytes((demo.MANIFEST.parent / name).read_bytes())
    bad = tmp_path / "release.toml"
    bad.write_text(text)
    with pytest.raises(ManifestError) as shape:
        read_manifest(bad)
    assert shape.value.errors == [
        "release.sections[1].data_blocks[0].chart: 'pie' is not one of: line | verticalbar "
        "| horizontalbar | map | none"]
    bad.write_text(text.replace('chart = "pie"', 'chart = "map"'))
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    try:
        with pytest.raises(ManifestError) as refs:
            load_manifest(platform, bad)
    finally:
        platform.close()
    assert "release.key_statistics[0].indicator: no indicator 'referals' in data set E1" \
        in refs.value.errors
    assert any(e.startswith("release.sections[0].data_blocks[0].time_periods[0]: no time "
                            "period '2018|RY'") and e.endswith("in data set E1")
               for e in refs.value.errors), refs.value.errors
    assert any(e.startswith("release.sections[1].data_blocks[0].chart: a map needs")
               for e in refs.value.errors)
