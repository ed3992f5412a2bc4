"""The table tool over real HTTP: steps, errors, the table, pivot, chart, links, downloads."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from odf import opendocument, table, teletype
from openpyxl import load_workbook

from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.conftest import LiveServer, serve
from tests.conftest import REFERENCE
from tests.web.html_table import read_table

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"


def demo_site(folder: Path, cell_limit: int) -> Iterator[LiveServer]:
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        table_cell_limit=cell_limit)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    platform.close()
    yield from serve(settings)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from demo_site(tmp_path_factory.mktemp("tables"), 25_000)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from demo_site(tmp_path_factory.mktemp("small"), 8)


def get(site: LiveServer, path: str, **params: object) -> httpx.Response:
    return httpx.get(site.base + path, params=params, follow_redirects=True)  # type: ignore[arg-type]


def meta(site: LiveServer) -> dict:
    return httpx.get(f"{site.api}/v1/data-sets/{DEMO}/meta").json()


def selection(site: LiveServer, options: int = 5) -> list[tuple[str, str]]:
    m = meta(site)
    level = next(f for f in m["filters"] if f["column"] == "level_description")
    kind = next(f for f in m["filters"] if f["column"] == "referral_type")
    return [("dataSetId", DEMO), ("locations", m["locations"][0]["options"][0]["id"]),
            ("start", "2017|RY"), ("end", "2017|RY"),
            *((f"filter_{level['id']}", o["id"]) for o in level["options"][:options]),
            (f"filter_{kind['id']}", kind["options"][0]["id"]),
            *(("indicators", i["id"]) for i in m["indicators"])]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_steps_from_publication_to_table(site: LiveServer) -> None:
    step1 = get(site, "/data-tables")
    assert "Choose a publication" in step1.text
    assert "Children in need: A focus on re-referrals" in step1.text
    step2 = get(site, "/data-tables", publication="children-in-need-a-focus-on-re-referrals")
    assert "Choose a data set" in step2.text and DEMO in step2.text
    step3 = get(site, "/data-tables", dataSetId=DEMO)
    assert "Step 3 of 5" in step3.text and "England" in step3.text and "National" in step3.text
    step4 = get(site, "/data-tables", dataSetId=DEMO, locations="CpId1", step="time")
    assert "Choose time period" in step4.text
    step5 = get(site, "/data-tables", dataSetId=DEMO, locations="CpId1", start="2017|RY",
                end="2017|RY", step="filters")
    assert "Choose your filters and indicators" in step5.text
    # "Total" is chosen for the reader where the data has it.
    assert re.search(r'value="[^"]+" checked>\s*<label[^>]*>Total</label>', step5.text)


@pytest.mark.parametrize(("params", "message"), [
    ({"publication": "", "from": "publication"}, "Choose a publication"),
    ({"dataSetId": DEMO, "from": "locations", "step": "time"}, "Select at least one location"),
])
def test_nothing_chosen_gets_a_govuk_error(site: LiveServer, params: dict, message: str) -> None:
    page = get(site, "/data-tables", **params)
    assert "There is a problem" in page.text and message in page.text
    assert "<title>Error:" in page.text


def test_too_many_cells_is_no_dead_end(small_site: LiveServer) -> None:
    query = urlencode([*selection(small_site, options=5), ("from", "filters")])
    page = httpx.get(f"{small_site.base}/data-tables?{query}", follow_redirects=True)
    assert "This table would have 10 cells, more than the 8 we can show" in text(page.text)
    assert "This table is too big to show on a page" in text(page.text)
    link = re.search(r'href="(/data-tables/table\.csv\?[^"]+)">All the data as CSV', page.text)
    assert link, "the full selection is offered as CSV"
    answer = httpx.get(small_site.base + unescape(link.group(1)))
    assert answer.status_code == 200 and answer.text.count("\n") == 1 + 5  # header + 5 rows
    direct = httpx.get(f"{small_site.base}/data-tables/table?{query}")
    assert direct.status_code == 200 and "too big to show" in direct.text


def test_table_caption_values_and_symbols(site: LiveServer) -> None:
    query = urlencode(selection(site, options=3))
    page = httpx.get(f"{site.base}/data-tables/table?{query}")
    assert page.status_code == 200
    body = text(page.text)
    assert "Referrals and Percent by highest level of intervention in England in 2017" in body
    assert "141,760" in body and "21.6%" in body and "20.0%" in body  # units and decimals
    assert "<svg" in page.text and 'role="img"' in page.text  # the chart


def column_labels(html: str) -> list[str]:
    return [c.text for c in read_table(html, "data-table").head[-1] if c.tag == "th"]


def test_pivot_moves_headers_and_lives_in_the_url(site: LiveServer) -> None:
    sel = selection(site, options=3)
    default = httpx.get(f"{site.base}/data-tables/table?{urlencode(sel)}").text
    assert column_labels(default) == ["2017"]
    m = meta(site)
    level = next(f for f in m["filters"] if f["column"] == "level_description")
    pivot = [*sel, ("layout", "1"), (f"place_filter:{level['id']}", "cols"),
             (f"order_filter:{level['id']}", "1"), ("place_time", "rows")]
    answer = httpx.get(f"{site.base}/data-tables/table?{urlencode(pivot)}",
                       follow_redirects=True)
    assert answer.history and "cols=filter" in str(answer.url)  # the layout is in the URL
    assert column_labels(answer.text) == ["1. No futher action", "2. Assessed as not in need",
                                          "3. CINO"]


def test_downloads_cell_by_cell(site: LiveServer) -> None:
    query = urlencode(selection(site, options=2))
    csv_text = httpx.get(f"{site.base}/data-tables/table.csv?{query}").content.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0] == ("time_period,time_identifier,geographic_level,country_code,country_name,"
                        "level_description,referral_type,referrals,referrals_percent")
    assert "2017,Reporting year,National,E92000001,England,1. No futher action,Total,141760,21.6" \
        in lines
    xlsx = load_workbook(io.BytesIO(httpx.get(f"{site.base}/data-tables/table.xlsx?{query}")
                                    .content))
    cells = [[c.value for c in row] for row in xlsx.active.iter_rows()]
    assert cells[1] == ["Highest level of intervention", "Indicator", "2017"]
    assert cells[2] == ["1. No futher action", "Referrals", 141760]
    assert cells[3] == [None, "Percent", 21.6]  # merged under the label above
    ods = opendocument.load(io.BytesIO(httpx.get(f"{site.base}/data-tables/table.ods?{query}")
                                       .content))
    rows = [[teletype.extractText(c) for c in r.getElementsByType(table.TableCell)]
            for r in ods.spreadsheet.getElementsByType(table.TableRow)]
    assert rows[2][:3] == ["1. No futher action", "Referrals", "141,760"]
    assert rows[3][:2] == ["Percent", "21.6%"]


def test_featured_table_opens_at_the_result(site: LiveServer) -> None:
    page = get(site, f"/data-catalogue/data-set/{DEMO}")
    link = re.search(r'href="(/data-tables/fast-track/[^"]+)">([^<]+)</a>', page.text)
    assert link and link.group(2) == "Re-referrals by highest level of intervention, England"
    assert link.group(1) in get(site, "/find-statistics/children-in-need-a-focus-on-re-referrals"
                                ).text
    table_page = get(site, link.group(1))
    assert "Featured table" in table_page.text and "76,130" in text(table_page.text)


def test_permalink_keeps_its_numbers_after_an_amendment(site: LiveServer,
                                                        tmp_path: Path) -> None:
    query = urlencode(selection(site, options=2))
    made = httpx.post(f"{site.base}/data-tables/permalink", content=query,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert made.status_code == 303
    link = made.headers["location"]
    before = httpx.get(site.base + link).text
    assert "141,760" in text(before) and "not-latest" not in before
    # Amend: the same data set, every number changed by a new file.
    data = (MANIFEST.parent / "e1_re_referrals.csv").read_text().replace("141760", "999999")
    (tmp_path / "e1_re_referrals.csv").write_text(data)
    (tmp_path / "e1_re_referrals.meta.csv").write_bytes(
        (MANIFEST.parent / "e1_re_referrals.meta.csv").read_bytes())
    manifest = MANIFEST.read_text()
    (tmp_path / "release.toml").write_text(manifest)
    settings = Settings(data_dir=site.data_dir, database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    assert load_manifest(platform, tmp_path / "release.toml").versions[
        "E1. Re-referrals by level of intervention by CSC, 2017-23"] == "1.1"
    platform.close()
    after = httpx.get(site.base + link).text
    assert "141,760" in text(after) and "999,999" not in text(after)
    assert 'id="not-latest"' in after and "A newer version (1.1)" in text(after)
    fresh = httpx.get(f"{site.base}/data-tables/table?{query}").text
    assert "999,999" in text(fresh)


def test_unknown_permalinks_and_tables_are_not_found(site: LiveServer) -> None:
    assert get(site, "/data-tables/permalink/nope").status_code == 404
    assert get(site, "/data-tables/fast-track/nope").status_code == 404
    assert get(site, "/data-tables/table", dataSetId="x").status_code == 404


def test_select_all_options_of_a_filter(site: LiveServer) -> None:
    m = meta(site)
    level = next(f for f in m["filters"] if f["column"] == "level_description")
    page = get(site, "/data-tables", dataSetId=DEMO, locations="CpId1", start="2017|RY",
               end="2017|RY", step="filters", **{"from": "filters",
                                                 "select_all_filter": level["id"]})
    assert "There is a problem" not in page.text
    for option in level["options"]:
        assert re.search(rf'value="{option["id"]}" checked', page.text), option["label"]


def test_tables_and_their_downloads_revalidate(site: LiveServer) -> None:
    latest = urlencode(selection(site, options=2))
    pinned = urlencode([*selection(site, options=2), ("version", "1.0")])
    made = httpx.post(f"{site.base}/data-tables/permalink", content=latest,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    short, forever = "public, max-age=60", "public, max-age=31536000, immutable"
    expected = {
        "/data-tables": short,
        "/data-tables?publication=children-in-need-a-focus-on-re-referrals": short,
        f"/data-tables/table?{latest}": short,
        f"/data-tables/table?{pinned}": short,  # the page links to the latest version
        made.headers["location"]: short,
        **{f"/data-tables/table.{kind}?{latest}": short for kind in ("csv", "xlsx", "ods")},
        **{f"/data-tables/table.{kind}?{pinned}": forever for kind in ("csv", "xlsx", "ods")},
    }
    for path, cache_control in expected.items():
        first = httpx.get(site.base + path)
        assert first.status_code == 200, path
        assert first.headers["cache-control"] == cache_control, path
        again = httpx.get(site.base + path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", path
