"""The table tool in chromium: from the data-set page to a table, a pivot, a chart, a
shareable link and each download (XLSX and ODS opened and checked cell by cell); then, on
DfE's real data, the layout a reader sees: sticky headers in a bounded scroll box (with
JavaScript and without), a phone's first screen, locations searched without losing
ticks, copy buttons, chart choices, and screenshots at 1280 and 390 px."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from odf import opendocument, table, teletype
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.api.conftest import LiveServer
from tests.browser.axe import blocking, describe, run_axe
from tests.browser.conftest import ARTIFACTS, real_context
from tests.real_data import SPC_ID

DEMO_PATH = "/data-catalogue/data-set/d9d4f804-df1b-48cf-a117-a8c8a4924ce0"


def build_table(page: Page) -> None:
    page.goto(DEMO_PATH)
    page.get_by_role("link", name="Create your own tables with this data set").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose locations")
    page.get_by_label("England").check()
    page.get_by_role("button", name="Next step").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose time period")
    page.get_by_role("button", name="Next step").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Choose your filters and indicators")
    expect(page.get_by_label("Total")).to_be_checked()  # chosen for the reader
    for option in ("1. No futher action", "3. CINO"):
        page.get_by_label(option).check()
    page.get_by_role("button", name="Create table").click()


def html_cells(page: Page) -> list[list[str]]:
    rows = page.locator("#data-table tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
            for i in range(rows.count())]


def numbers(rows: list[list[str]]) -> list[str]:
    return [c for r in rows for c in r if re.fullmatch(r"[\d,.]+%?", c)]


def no_blocking_axe(page: Page) -> None:
    problems = blocking(run_axe(page))
    assert not problems, describe(problems)


def test_build_pivot_chart_share_and_download(page: Page) -> None:
    build_table(page)
    expect(page.locator("#table-caption")).to_have_text(
        "Referrals and Percent by highest level of intervention in England in 2017")
    cells = html_cells(page)
    # Merged row headers: the intervention level heads its two indicator rows once.
    assert cells[:2] == [["1. No futher action", "Referrals", "141,760"], ["Percent", "21.6%"]]
    assert ["Percent", "33.2%"] in cells
    # The chart: accessible SVG, its numbers also as a table.
    chart = page.locator("#chart-figure .app-chart--wide svg")
    expect(chart).to_have_attribute("role", "img")
    expect(page.locator("#chart-caption")).to_have_text("Referrals for England")
    expect(page.locator("#chart-data")).to_have_count(1)
    no_blocking_axe(page)
    # Pivot: the intervention levels across the top.
    page.get_by_label("Place Highest level of intervention in").select_option("cols")
    page.get_by_label("Order of Highest level of intervention").fill("1")
    page.get_by_role("button", name="Re-order table").click()
    assert "cols=" in page.url
    headers = page.locator("#data-table thead th").all_inner_texts()
    assert "1. No futher action" in headers and "3. CINO" in headers
    body = html_cells(page)
    assert any("141,760" in row and "218,030" in row for row in body)
    # The CSV: flat, values as published.
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Table data as CSV").click()
    csv_rows = list(csv.reader(io.StringIO(
        Path(csv_download.value.path()).read_text(encoding="utf-8-sig"))))  # closes it
    assert csv_rows[0][:3] == ["time_period", "time_identifier", "geographic_level"]
    assert ["2017", "Reporting year", "National", "E92000001", "England",
            "1. No futher action", "Total", "141760", "21.6"] in csv_rows
    # XLSX and ODS: the table as shown, numbers as numbers.
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Table as Excel spreadsheet (XLSX)").click()
    sheet = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes())).active
    assert sheet["A1"].value == page.locator("#table-caption").inner_text().strip()
    sheet_numbers = [c.value for row in sheet.iter_rows() for c in row
                     if isinstance(c.value, int | float)]
    assert 141760 in sheet_numbers and 21.6 in sheet_numbers
    with page.expect_download() as ods_download:
        page.get_by_role("link", name="Table as OpenDocument spreadsheet (ODS)").click()
    doc = opendocument.load(io.BytesIO(ods_download.value.path().read_bytes()))
    shown = [teletype.extractText(c) for r in doc.spreadsheet.getElementsByType(table.TableRow)
             for c in r.getElementsByType(table.TableCell)
             if c.getAttribute("valuetype") == "float"]
    assert shown == numbers(body)
    # Share: a permalink that shows the same table, with a share box.
    page.get_by_role("button", name="Generate shareable link").click()
    assert re.search(r"/data-tables/permalink/[0-9a-f-]{36}$", page.url)
    expect(page.get_by_text("Saved table, made on")).to_be_visible()
    expect(page.get_by_label("Link to this table")).to_have_value(page.url)
    assert html_cells(page) == body


def test_steps_show_govuk_errors(page: Page) -> None:
    page.goto(DEMO_PATH)
    page.get_by_role("link", name="Create your own tables with this data set").click()
    page.get_by_role("button", name="Next step").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select at least one location")
    assert page.title().startswith("Error:")
    no_blocking_axe(page)


def test_featured_table_opens_at_the_result(page: Page) -> None:
    page.goto(DEMO_PATH)
    page.get_by_role("link", name="Re-referrals by highest level of intervention, England").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Re-referrals by highest level of intervention, England")
    assert any("76,130" in row for row in html_cells(page))


# --- on the real data ---------------------------------------------------------------------
def example_query(live: LiveServer) -> str:
    """The issue's table: 4 LAs x 3 school types x 4 ethnicities x 2 indicators x 2 years."""
    meta = httpx.get(f"{live.api}/v1/data-sets/{SPC_ID}/meta").json()
    las = {(o["label"] if o["label"] != "Dorset" else f"Dorset {o['code']}"): o["id"]
           for lv in meta["locations"] if lv["level"]["code"] == "LA" for o in lv["options"]}
    wanted = {"School type": ["State-funded primary", "State-funded secondary",
                              "State-funded special school"],
              "Ethnicity": ["White - White British", "Asian - Indian", "Black - Black African",
                            "Mixed - White and Asian"],
              "First language": ["Total"]}
    sel = [("dataSetId", SPC_ID),
           *(("locations", las[p]) for p in ("Barnet", "Birmingham", "Camden",
                                             "Dorset E06000059")),
           ("start", "2020/2021|AY"), ("end", "2021/2022|AY"),
           *((f"filter_{f['id']}", o["id"]) for f in meta["filters"] for o in f["options"]
             if o["label"] in wanted[f["label"]]),
           *(("indicators", i["id"]) for i in meta["indicators"])]
    return urlencode(sel)


@pytest.fixture(scope="module")
def example(real_live: LiveServer) -> str:
    return "/data-tables/table?" + example_query(real_live)


@pytest.fixture
def desktop(browser: Browser, real_live: LiveServer) -> Iterator[Page]:
    context = real_context(browser, real_live)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop_nojs(browser: Browser, real_live: LiveServer) -> Iterator[Page]:
    context = real_context(browser, real_live, javascript=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Browser, real_live: LiveServer) -> Iterator[Page]:
    context = real_context(browser, real_live, width=390, height=844)
    yield context.new_page()
    context.close()


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


def scroll_table(page: Page, down: int, right: int) -> None:
    page.locator("[data-sticky-table]").evaluate(
        "(el, [down, right]) => { el.scrollTop = down; el.scrollLeft = right; }", [down, right])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_wide_table_keeps_its_headers_in_view(desktop: Page, desktop_nojs: Page, example: str,
                                              javascript: bool) -> None:
    page = desktop if javascript else desktop_nojs
    page.goto(example)
    scroller = box(page, "[data-sticky-table]")
    title = box(page, "#table-caption")
    assert title["y"] + title["height"] <= scroller["y"]  # the title is above, not inside
    assert scroller["height"] <= 0.8 * 800 + 2  # bounded: its scroll bars stay on screen
    overflow = page.locator("[data-sticky-table]").evaluate(
        "el => [el.scrollHeight > el.clientHeight, el.scrollWidth > el.clientWidth]")
    assert overflow == [True, True]
    scroll_table(page, 400, 300)
    header = box(page, "#data-table thead tr:last-child th")
    assert abs(header["y"] - scroller["y"]) < 60  # still at the top of the box
    first = box(page, "#data-table tbody .app-rh-0")
    assert abs(first["x"] - scroller["x"]) < 3  # the first row-header column stays put
    second = page.locator("#data-table tbody .app-rh-1").nth(3).bounding_box()
    assert second is not None
    if javascript:  # deeper row headers are pinned beside it
        assert abs(second["x"] - (first["x"] + first["width"])) < 3
    else:  # without JavaScript they scroll under the first
        assert second["x"] < first["x"] + first["width"] - 100


def test_phone_first_screen_shows_numbers(phone: Page, example: str) -> None:
    phone.goto(example)
    numbers_on_screen = phone.locator("#data-table tbody td").evaluate_all(
        """cells => cells.filter(c => { const b = c.getBoundingClientRect();
             return /\\d/.test(c.textContent) && b.bottom <= innerHeight && b.left < innerWidth
                    && b.right > 0; }).length""")
    assert numbers_on_screen >= 4
    page_width = phone.evaluate("document.scrollingElement.scrollWidth")
    assert page_width <= 390  # the table scrolls in its box, not the page sideways
    expect(phone.locator("#chart-figure .app-chart--narrow svg")).to_be_visible()
    expect(phone.locator("#chart-figure .app-chart--wide svg")).to_be_hidden()


def test_screenshots_and_axe_at_desktop_and_phone(desktop: Page, phone: Page,
                                                  example: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for page, width in ((desktop, 1280), (phone, 390)):
        page.goto(example)
        page.wait_for_load_state("networkidle")
        target = ARTIFACTS / f"table-tool-{width}.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
        no_blocking_axe(page)


def test_too_big_page_is_accessible(desktop: Page, real_live: LiveServer) -> None:
    meta = httpx.get(f"{real_live.api}/v1/data-sets/{SPC_ID}/meta").json()
    sel = [("dataSetId", SPC_ID), ("start", "2015/2016|AY"), ("end", "2021/2022|AY"),
           *(("locations", o["id"]) for lv in meta["locations"] for o in lv["options"]),
           *((f"filter_{f['id']}", o["id"]) for f in meta["filters"] for o in f["options"]),
           *(("indicators", i["id"]) for i in meta["indicators"])]
    desktop.goto("/data-tables/table?" + urlencode(sel))
    expect(desktop.get_by_role("heading", level=1)).to_have_text(
        "This table is too big to show on a page")
    expect(desktop.get_by_role("link", name="All the data as CSV")).to_be_visible()
    no_blocking_axe(desktop)


def ticked(page: Page) -> list[str]:
    return page.locator("#location-options input:checked").evaluate_all(
        "boxes => boxes.map(b => b.labels[0].textContent.trim())")


def tick_barnet_and_birmingham(page: Page) -> None:
    page.goto(f"/data-tables?dataSetId={SPC_ID}")
    page.locator("summary", has_text="Local authority").click()
    page.get_by_label("Barnet").check()
    page.get_by_label("Birmingham").check()


def test_location_search_keeps_ticks_with_javascript(desktop: Page) -> None:
    page = desktop
    tick_barnet_and_birmingham(page)
    url = page.url
    page.get_by_label("Search locations").fill("Camden")
    expect(page.get_by_label("Barnet")).to_be_hidden()  # filtered as the reader types
    page.get_by_label("Camden").check()
    assert page.url == url  # no reload
    page.get_by_label("Search locations").fill("")
    assert sorted(ticked(page)) == ["Barnet", "Birmingham", "Camden"]
    # "Select all" ticks a region in place.
    page.get_by_role("button", name="Select all 11 East Midlands options").click()
    assert len(ticked(page)) == 3 + 11
    page.get_by_role("button", name="Next step").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose time period")
    expect(page.locator("#choices")).to_contain_text("Rutland and 4 more")  # 3 + 11 chosen
    no_blocking_axe(page)


def test_location_search_keeps_ticks_without_javascript(desktop_nojs: Page) -> None:
    page = desktop_nojs
    tick_barnet_and_birmingham(page)
    page.get_by_label("Search locations").fill("Camden")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#kept-locations")).to_contain_text("Barnet")
    expect(page.locator("#kept-locations")).to_contain_text("Birmingham")
    page.get_by_label("Camden").check()
    page.get_by_role("button", name="Next step").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose time period")
    expect(page.locator("#choices")).to_contain_text("Barnet, Birmingham, Camden")
    # Dorset twice, told apart.
    page.goto(f"/data-tables?dataSetId={SPC_ID}&location_search=dorset&step=locations")
    expect(page.get_by_label("Dorset (E06000059, 2019/20 to 2021/22)")).to_be_visible()
    expect(page.get_by_label("Dorset (E10000009, 2015/16 to 2018/19)")).to_be_visible()


def test_copy_buttons(desktop: Page, desktop_nojs: Page, real_live: LiveServer,
                      example: str) -> None:
    made = httpx.post(f"{real_live.base}/data-tables/permalink",
                      content=example.split("?", 1)[1],
                      headers={"content-type": "application/x-www-form-urlencoded"})
    link = made.headers["location"]
    desktop.goto(link)
    desktop.get_by_role("button", name="Copy link to this table").click()
    expect(desktop.locator('[data-copy-status="permalink-url"]')).to_have_text(
        "Copied to the clipboard")
    assert desktop.evaluate("navigator.clipboard.readText()") == real_live.base + link
    desktop.goto(f"/data-catalogue/data-set/{SPC_ID}")
    desktop.get_by_role("button", name="Copy API data set ID").click()
    assert desktop.evaluate("navigator.clipboard.readText()") == SPC_ID
    no_blocking_axe(desktop)
    desktop_nojs.goto(link)  # without JavaScript no button promises what it cannot do
    expect(desktop_nojs.get_by_role("button", name="Copy link to this table")).to_be_hidden()
    expect(desktop_nojs.get_by_label("Link to this table")).to_have_value(real_live.base + link)


def test_chart_choices_without_javascript(desktop_nojs: Page, example: str) -> None:
    page = desktop_nojs
    page.goto(example)
    page.get_by_label("Chart type").select_option(label="Horizontal bar chart")
    page.get_by_label("Along the axis (for a map: the locations)").select_option(
        label="Ethnicity")
    page.get_by_label("Series (one colour each)").select_option(label="Time period")
    page.get_by_role("button", name="Show chart").click()
    assert "chart_type=barh" in page.url
    svg = page.locator("#chart-figure .app-chart--wide svg")
    expect(svg).to_be_visible()
    expect(svg.locator(".app-chart-legend text")).to_have_text(["2020/21", "2021/22"])
    expect(page.locator("#chart-caption")).to_contain_text("Headcount for")
    page.locator("#chart-data summary").click()
    expect(page.locator("#chart-data table tbody tr")).to_have_count(4)
    # (axe needs JavaScript's timers: it runs on this page in the tests with JavaScript on.)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_data_set_preview_full_screen(desktop: Page, desktop_nojs: Page,
                                      javascript: bool) -> None:
    page = desktop if javascript else desktop_nojs
    page.goto(f"/data-catalogue/data-set/{SPC_ID}")
    expect(page.locator("#preview-full thead th")).to_have_count(15)  # every column
    page.get_by_role("link", name="Show full screen table").click()
    full = box(page, "#preview-full")
    assert full["x"] == 0 and full["width"] == 1280 and full["height"] == 800
    page.get_by_role("link", name="Close full screen table").click()
    assert box(page, "#preview-full")["width"] < 1280
