"""The table tool on DfE's real data (154,192 rows), in process: EES's default layout,
merged headers, locations under their regions, searches that keep ticks, big cuts that
are no dead end, flat CSV, spreadsheets with numbers, permalink CSV, charts."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from odf import opendocument, table
from openpyxl import load_workbook

from openstats.app import create_app
from openstats.query.pivot import format_value
from tests.real_data import SPC, SPC_ID, loaded_site
from tests.support.inprocess import InProcessClient
from tests.web.html_table import read_table

SCHOOL_TYPES = ["State-funded primary", "State-funded secondary", "State-funded special school"]
ETHNICITIES = ["White - White British", "Asian - Indian", "Black - Black African",
               "Mixed - White and Asian"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    with InProcessClient(create_app(loaded_site(tmp_path_factory.mktemp("spc")))) as c:
        yield c


@pytest.fixture(scope="module")
def meta(client: InProcessClient) -> dict[str, Any]:
    return client.get(f"/api/v1/data-sets/{SPC_ID}/meta").json()  # type: ignore[no-any-return]


def la_ids(meta: dict[str, Any]) -> dict[str, str]:
    """LA label (or "label code" where labels repeat) -> public id."""
    options = [o for lv in meta["locations"] if lv["level"]["code"] == "LA" for o in lv["options"]]
    labels = [o["label"] for o in options]
    return {(o["label"] if labels.count(o["label"]) == 1 else f"{o['label']} {o['code']}"): o["id"]
            for o in options}


def filter_options(meta: dict[str, Any], label: str, chosen: list[str] | None = None
                   ) -> list[tuple[str, str]]:
    f = next(x for x in meta["filters"] if x["label"] == label)
    return [(f"filter_{f['id']}", o["id"]) for o in f["options"]
            if chosen is None or o["label"] in chosen]


def example(meta: dict[str, Any], places: list[str] | None = None) -> list[tuple[str, str]]:
    """The issue's table: 4 LAs x 3 school types x 4 ethnicities x 2 indicators x 2 years."""
    las = la_ids(meta)
    places = places or ["Barnet", "Birmingham", "Camden", "Dorset E06000059"]
    return [("dataSetId", SPC_ID), *(("locations", las[p]) for p in places),
            ("start", "2020/2021|AY"), ("end", "2021/2022|AY"),
            *filter_options(meta, "School type", SCHOOL_TYPES),
            *filter_options(meta, "Ethnicity", ETHNICITIES),
            *filter_options(meta, "First language", ["Total"]),
            *(("indicators", i["id"]) for i in meta["indicators"])]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --- 1. layout ---------------------------------------------------------------------------
def test_the_issue_example_is_laid_out_as_ees_does(client: InProcessClient, meta: dict) -> None:
    page = client.get("/data-tables/table?" + urlencode(example(meta)))
    assert page.status_code == 200
    t = read_table(page.text, "data-table")
    # Columns: school types (the smallest group) over the two years; merged, not repeated.
    assert [(c.text, c.colspan) for c in t.head[0][1:]] == [(s, 2) for s in SCHOOL_TYPES]
    assert [c.text for c in t.head[1]] == ["2020/21", "2021/22"] * 3
    # Rows: LA > ethnicity > indicator, each label once over the rows it heads.
    assert len(t.body) == 4 * 4 * 2  # was 96 rows with five header columns
    first = t.body[0]
    assert [(c.text, c.rowspan) for c in first if c.tag == "th"] == [
        ("Barnet", 8), (ETHNICITIES[1], 2), ("Headcount", 1)]
    assert [(c.text, c.rowspan) for c in t.body[1] if c.tag == "th"] == [("Percent", 1)]
    assert sum(1 for r in t.body for c in r if c.text == "Barnet") == 1
    assert all(len([c for c in r if c.tag == "td"]) == 6 for r in t.body)
    # The one-option filter is in the caption's words, never a column repeated on each row.
    assert "First language" not in page.text.split('id="data-table"')[1].split("</table>")[0]
    caption = text(page.text.split('id="table-caption">')[1].split("</h2>")[0]).strip()
    assert caption.startswith("Headcount and Percent by school type and ethnicity in Barnet, "
                              "Birmingham, Camden and Dorset")
    assert caption.endswith("between 2020/21 and 2021/22")
    # The title is outside the scrolling box, which carries the sticky headers.
    assert re.search(r'id="table-caption">[^<]*</h2>\s*<div class="app-table-scroll" '
                     r'tabindex="0" role="region"', page.text)


def test_every_cell_is_the_api_answer_to_the_pages_own_query(client: InProcessClient,
                                                             meta: dict) -> None:
    """The table tool reads its values as Arrow columns, the API writes them as JSON text:
    for the same query (the one the page offers readers) both give the same values, one
    cell per observation."""
    page = client.get("/data-tables/table?" + urlencode(example(meta)))
    body = json.loads(unescape(page.text.split('id="api-body">')[1].split("</code>")[0]))
    answer = client.post(f"/api/v1/data-sets/{SPC_ID}/query?pageSize=10000", json=body).json()
    indicators = {i["id"]: i for i in meta["indicators"]}
    expected = sorted(format_value(value, {"unit": indicators[iid]["unit"],
                                           "decimal_places": indicators[iid]["decimalPlaces"]})
                      for r in answer["results"] for iid, value in r["values"].items())
    t = read_table(page.text, "data-table")
    shown = sorted(c.text for r in t.body for c in r if c.tag == "td")
    assert len(expected) == 4 * 3 * 4 * 2 * 2  # LAs x school types x ethnicities x ...
    assert shown == expected


def test_eight_or_more_periods_share_the_axes_by_size(client: InProcessClient, meta: dict) -> None:
    # Seven periods: still periods across, indicators down.
    sel = [(k, v) for k, v in example(meta, ["Barnet", "Camden"]) if k not in ("start", "end")]
    sel += [("start", "2015/2016|AY"), ("end", "2021/2022|AY")]
    t = read_table(client.get("/data-tables/table?" + urlencode(sel)).text, "data-table")
    assert [c.text for c in t.head[-1]][-7:] == ["2015/16", "2016/17", "2017/18", "2018/19",
                                                 "2019/20", "2020/21", "2021/22"]
    assert [c.text for c in t.body[0] if c.tag == "th"][-1] == "Headcount"


def test_layout_chosen_by_the_reader_stays_in_the_url(client: InProcessClient, meta: dict) -> None:
    moved = [*example(meta), ("layout", "1"), ("place_location", "cols"),
             ("order_location", "1"), ("place_time", "rows"), ("order_time", "2")]
    answer = client.get("/data-tables/table?" + urlencode(moved))
    assert answer.status_code == 200 and "cols=location" in str(answer.url)
    t = read_table(answer.text, "data-table")
    assert [c.text for c in t.head[0][1:]] == ["Barnet", "Birmingham", "Camden",
                                               "Dorset (E06000059, 2019/20 to 2021/22)"]
    assert t.body[0][0].text == "2020/21"


# --- 5. locations ------------------------------------------------------------------------
def test_las_are_grouped_under_regions_with_select_all(client: InProcessClient, meta: dict) -> None:
    page = client.get(f"/data-tables?dataSetId={SPC_ID}").text
    assert re.search(r"<h2[^>]*>London</h2>\s*<button[^>]*value=\"LA\|London\"[^>]*>"
                     r"Select all 33 London options", page)
    assert "Dorset (E06000059, 2019/20 to 2021/22)" in page
    assert "Dorset (E10000009, 2015/16 to 2018/19)" in page
    chosen = client.get(f"/data-tables?dataSetId={SPC_ID}&from=locations&select_all=LA|London"
                        "&step=locations").text
    london = chosen.split(">London</h2>")[1].split("</fieldset>")[0].split("app-location-group")[0]
    assert london.count(" checked>") == 33
    assert "Barnet" in london and "33 selected" in chosen


def test_search_keeps_what_was_ticked(client: InProcessClient, meta: dict) -> None:
    las = la_ids(meta)
    params = [("dataSetId", SPC_ID), ("from", "locations"), ("locations", las["Barnet"]),
              ("locations", las["Birmingham"]), ("location_search", "Camden"),
              ("step", "locations")]
    page = client.get("/data-tables?" + urlencode(params)).text
    assert 'id="loc-' + las["Camden"] + '"' in page and "Hartlepool" not in page
    kept = page.split('id="kept-locations"')[1].split("</div>")[0]
    assert "Barnet" in kept and "Birmingham" in kept
    assert f'name="locations" value="{las["Barnet"]}"' in kept
    # Tick Camden too and go on: all three are chosen.
    params = [(k, v) for k, v in params if k != "step"] + [("locations", las["Camden"]),
                                                             ("step", "time")]
    step4 = text(client.get("/data-tables?" + urlencode(params)).text)
    assert "Choose time period" in step4 and "Barnet, Birmingham, Camden" in step4


# --- 3. big cuts --------------------------------------------------------------------------
def all_las(meta: dict) -> list[tuple[str, str]]:
    las = la_ids(meta)
    return [("dataSetId", SPC_ID), *(("locations", i) for i in las.values()),
            ("start", "2015/2016|AY"), ("end", "2021/2022|AY"),
            *filter_options(meta, "School type", ["Total"]), *filter_options(meta, "Ethnicity"),
            *filter_options(meta, "First language", ["Total"]),
            *(("indicators", i["id"]) for i in meta["indicators"])]


# Its point is size (a cut over the page's cell limit still downloads in full, 20,000+
# rows as CSV and as a workbook): about half a minute, so the system tier.
@pytest.mark.system
def test_a_cut_too_big_to_show_offers_its_files(client: InProcessClient, meta: dict) -> None:
    sel = all_las(meta)
    steps = client.get("/data-tables?" + urlencode([*sel, ("from", "filters")]))
    assert steps.status_code == 200 and "/data-tables/table?" in str(steps.url)
    body = text(steps.text)
    assert "This table is too big to show on a page" in body
    assert "This table would have 43,680 cells, more than the 25,000 we can show" in body
    assert "Locations: choose 89 instead of 156" in body
    csv_link = re.search(r'href="(/data-tables/table\.csv\?[^"]+)"', steps.text)
    xlsx_link = re.search(r'href="(/data-tables/table\.xlsx\?[^"]+)"', steps.text)
    assert csv_link and xlsx_link
    answer = client.get(unescape(csv_link.group(1)))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    # Every observation of the selection, as in the published file.
    with gzip.open(SPC / "spc_pupils_ethnicity_and_language.csv.gz", "rt",
                   encoding="utf-8-sig") as f:
        expected = [r for r in csv.DictReader(f) if r["geographic_level"] == "Local authority"
                    and r["phase_type_grouping"] == "Total" and r["language"] == "Total"]
    assert len(rows) == len(expected) > 20_000
    book = load_workbook(io.BytesIO(client.get(unescape(xlsx_link.group(1))).content),
                         read_only=True)
    sheet_rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(sheet_rows) == len(expected) + 1
    assert isinstance(sheet_rows[1][-2], int | float)  # headcount is a number


def test_flat_csv_is_one_row_per_observation_as_published(client: InProcessClient, meta: dict
                                                          ) -> None:
    answer = client.get("/data-tables/table.csv?" + urlencode(example(meta)))
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["time_period", "time_identifier", "geographic_level", "country_code",
                       "country_name", "region_code", "region_name", "new_la_code",
                       "old_la_code", "la_name", "phase_type_grouping", "ethnicity",
                       "language", "headcount", "percent_of_pupils"]
    assert len(rows) == 1 + 4 * 3 * 4 * 2
    barnet = [r for r in rows if r[9] == "Barnet" and r[0] == "202021"
              and r[10] == "State-funded primary" and r[11] == "Asian - Indian"]
    assert barnet == [["202021", "Academic year", "Local authority", "E92000001", "England",
                       "E12000007", "London", "E09000003", "302", "Barnet",
                       "State-funded primary", "Asian - Indian", "Total", "1223", "3.967430091"]]


# --- 4. spreadsheets ---------------------------------------------------------------------
def test_xlsx_and_ods_hold_the_table_as_shown_with_numbers(client: InProcessClient, meta: dict
                                                            ) -> None:
    query = urlencode(example(meta))
    caption = text(client.get("/data-tables/table?" + query).text.split(
        'id="table-caption">')[1].split("</h2>")[0]).strip()
    sheet = load_workbook(io.BytesIO(client.get("/data-tables/table.xlsx?" + query).content)
                          ).active
    assert sheet["A1"].value == caption
    assert sheet["D2"].value == "State-funded primary"
    assert "D2:E2" in [str(r) for r in sheet.merged_cells.ranges]  # merged like the page
    assert [c.value for c in sheet[3][:5]] == ["Location", "Ethnicity", "Indicator", "2020/21",
                                               "2021/22"]
    assert sheet["A4"].value == "Barnet" and "A4:A11" in [str(r) for r in sheet.merged_cells]
    headcount, percent = sheet["D4"], sheet["D5"]
    assert headcount.value == 1223 and headcount.number_format == "#,##0"
    assert percent.value == pytest.approx(3.967430091) and percent.number_format == "#,##0.0"
    values = [c.value for c in sheet["A"] if isinstance(c.value, str)]
    assert any(v.startswith("Source: Schools, pupils and their characteristics") for v in values)
    doc = opendocument.load(io.BytesIO(client.get("/data-tables/table.ods?" + query).content))
    cells = [c for r in doc.spreadsheet.getElementsByType(table.TableRow)
             for c in r.getElementsByType(table.TableCell)]
    floats = [c for c in cells if c.getAttribute("valuetype") == "float"]
    assert len(floats) == 4 * 3 * 4 * 2 * 2
    assert floats[0].getAttribute("value") == "1223.0"


# --- 7. permalinks -----------------------------------------------------------------------
def test_permalink_share_box_and_csv(client: InProcessClient, meta: dict) -> None:
    made = client.post("/data-tables/permalink", content=urlencode(example(meta)),
                       headers={"content-type": "application/x-www-form-urlencoded"},
                       follow_redirects=False)
    assert made.status_code == 303
    link = made.headers["location"]
    page = client.get(link).text
    assert 'id="permalink-url"' in page and f'value="http://testserver{link}"' in page
    assert 'data-copy="permalink-url"' in page
    assert f'href="/data-catalogue/data-set/{SPC_ID}"' in page
    assert f'href="/data-tables?dataSetId={SPC_ID}"' in page
    as_csv = client.get(link, headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "Accept" in as_csv.headers["vary"]
    assert as_csv.content == client.get(link + "/csv").content
    assert as_csv.content == client.get("/data-tables/table.csv?" + urlencode(
        [*example(meta), ("version", "1.0")])).content
    assert client.get("/data-tables/permalink/nope/csv").status_code == 404


# --- 6. charts ---------------------------------------------------------------------------
def test_chart_choices_and_legends(client: InProcessClient, meta: dict) -> None:
    query = urlencode(example(meta))
    page = client.get("/data-tables/table?" + query).text
    wide = page.split('class="app-chart--wide">')[1].split("</svg>")[0]
    assert 'role="img"' in wide and "font-family=" in wide
    # The default: locations along the axis (bar), the two years as series, the rest held.
    assert re.search(r'<option value="bar" selected>', page)
    legend = wide.split('class="app-chart-legend"')[1]
    assert re.findall(r"<tspan[^>]*>([^<]+)</tspan>", legend) == ["2020/21", "2021/22"]
    assert legend.count("<rect") == 2  # filled squares for bars: keys match the marks
    assert "Headcount for State-funded primary, Asian - Indian" in page
    # A line chart of the years with the four LAs as series, a 0-to-data axis.
    sel = example(meta)
    percent = meta["indicators"][1]["id"]
    line = client.get("/data-tables/table?" + urlencode([*sel, ("chart_type", "line"),
                                                       ("chart_x", "time"),
                                                       ("chart_group", "location"),
                                                       ("chart_indicator", percent)])).text
    svg = line.split('class="app-chart--wide">')[1].split("</svg>")[0]
    legend = svg.split('class="app-chart-legend"')[1]
    assert [t for t in re.findall(r"<tspan[^>]*>([^<]+)</tspan>", legend)][:3] == [
        "Barnet", "Birmingham", "Camden"]
    assert legend.count("<line") == 4 and "stroke-dasharray" in legend
    ticks = re.findall(r'text-anchor="end">([0-9.,]+)</text>', svg)
    assert ticks[0] == "0" and float(ticks[-1]) <= 100  # never 0-200 for percents
    png = client.get("/data-tables/chart.png?" + urlencode([*sel, ("chart_type", "line")]))
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg_file = client.get("/data-tables/chart.svg?" + query)
    assert svg_file.headers["content-type"].startswith("image/svg+xml")


def test_a_map_of_local_authorities(client: InProcessClient, meta: dict) -> None:
    sel = [(k, v) for k, v in all_las(meta) if not k.startswith("filter_")]
    sel = [(k, v) for k, v in sel if k not in ("start", "end")] + [
        ("start", "2021/2022|AY"), ("end", "2021/2022|AY"),
        *filter_options(meta, "School type", ["Total"]),
        *filter_options(meta, "Ethnicity", ["Total"]),
        *filter_options(meta, "First language", ["Total"])]
    page = client.get("/data-tables/table?" + urlencode([*sel, ("chart_type", "map")])).text
    assert '<option value="map" selected>' in page
    svg = page.split('class="app-chart--wide">')[1].split("</svg>")[0]
    assert svg.count("<path") >= 150
    assert "Barnsley: " in svg and "Sheffield: " in svg  # recoded LAs find their shapes
    assert "Office for National Statistics licensed under the Open Government Licence" in page


# --- 17, 18: compatibility ---------------------------------------------------------------
def test_v1_0_paths_answer_as_v1(client: InProcessClient) -> None:
    for prefix in ("/api", "/statistics"):
        v1 = client.get(f"{prefix}/v1/data-sets/{SPC_ID}/meta")
        v10 = client.get(f"{prefix}/v1.0/data-sets/{SPC_ID}/meta")
        assert v10.status_code == 200 and v10.json() == v1.json()
    moved = client.get(f"/api/v1.0/Data-Sets/{SPC_ID}/meta", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == f"/api/v1.0/data-sets/{SPC_ID}/meta"
    assert client.get("/api/v1.0/publications?page=1").status_code == 200


def test_data_set_csv_url_serves_the_file(client: InProcessClient) -> None:
    page = client.get(f"/data-catalogue/data-set/{SPC_ID}").text
    url = f"http://testserver/data-catalogue/data-set/{SPC_ID}/csv"
    assert f'value="{url}"' in page and 'data-copy="csv-url"' in page
    answer = client.get(url, headers={"Accept-Encoding": "identity"})
    with gzip.open(SPC / "spc_pupils_ethnicity_and_language.csv.gz", "rb") as f:
        assert answer.content == f.read()
    assert client.get(f"/data-catalogue/data-set/{SPC_ID}/csv?version=9.9").status_code == 404


def unzip_names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_catalogue_results_as_ees(client: InProcessClient) -> None:
    page = client.get("/data-catalogue?search=pupils&theme=pupils-and-schools").text
    body = text(page)
    assert "1 data set for “pupils”" in body
    assert "Latest data" in body and "Number of rows 154,192" in body
    assert "Theme Pupils and schools" in body and "Indicators Headcount, Percent" in body
    assert "Filters Ethnicity, First language, School type" in body
    tags = re.findall(r'<a class="app-filter-tag" href="([^"]+)">([^<]+)', page)
    assert [label.strip() for _, label in tags] == ["Search: pupils", "Theme: Pupils and schools"]
    assert "theme=&" in unescape(tags[1][0]) or unescape(tags[1][0]).endswith("theme=")


def test_data_set_page_links_and_featured_tables(client: InProcessClient) -> None:
    page = client.get(f"/data-catalogue/data-set/{SPC_ID}").text
    publication = "/find-statistics/school-pupils-and-their-characteristics"
    assert f'<a class="govuk-link" href="{publication}">' in page
    assert f'<a class="govuk-link" href="{publication}/2021-22">Academic year 2021/22</a>' in page
    assert "View tables that we have built for you" not in page  # it has none
    assert 'href="#preview-full">Show full screen table' in page
    preview = page.split('id="preview-caption"')[1].split("</thead>")[0]
    assert preview.count("<th scope") == 15  # every column of the file
    names = re.findall(r'<tr class="govuk-table__row"><td class="govuk-table__cell">([a-z_]+)'
                       r"</td>", page.split('id="variables-table"')[1])
    assert names == sorted(names) and names[0] == "ethnicity"


def test_navigation(client: InProcessClient, tmp_path: Path) -> None:
    home = client.get("/").text
    nav = home.split('class="govuk-service-navigation__list"')[1].split("</ul>")[0]
    assert re.findall(r'href="([^"]+)">([^<]+)</a>', nav) == [
        ("/find-statistics", "Find statistics"), ("/data-catalogue", "Data catalogue"),
        ("/data-tables", "Table tool")]
    assert '<a class="govuk-link" href="/data-tables">Create your own tables</a>' in home
    step = client.get(f"/data-tables?dataSetId={SPC_ID}").text
    crumbs = step.split('class="govuk-breadcrumbs"')[1].split("</nav>")[0]
    assert re.findall(r'href="([^"]+)">', crumbs) == ["/", "/data-tables",
                                                      f"/data-catalogue/data-set/{SPC_ID}"]
    assert 'aria-current="page"' in step.split("</nav>")[0]
    release = client.get("/find-statistics/school-pupils-and-their-characteristics").text
    assert ('<a class="govuk-breadcrumbs__link" href="/find-statistics?theme=pupils-and-schools">'
            "Pupils and schools</a>") in release
