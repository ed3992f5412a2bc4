"""The table tool in chromium: from the data-set page to a table, a pivot, a chart, a
shareable link and each download (XLSX and ODS opened and checked cell by cell)."""

from __future__ import annotations

import csv
import io
import re

from odf import opendocument, table, teletype
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.axe import blocking, describe, run_axe
from tests.browser.conftest import ARTIFACTS

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


def test_build_pivot_chart_share_and_download(page: Page) -> None:
    build_table(page)
    expect(page.locator("#table-caption")).to_have_text(
        "Referrals and Percent for 1. No futher action, 3. CINO in England in 2017")
    cells = html_cells(page)
    assert ["England", "1. No futher action", "Total", "Referrals", "141,760"] in cells
    assert ["England", "3. CINO", "Total", "Percent", "33.2%"] in cells
    # The chart: accessible SVG with the table as its text alternative.
    chart = page.locator("#chart-figure-0 svg")
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("#chart-title-0")).to_have_text("Chart: Referrals")
    expect(page.locator("#chart-figure-1 #chart-title-1")).to_have_text("Chart: Percent")
    page.screenshot(path=str(ARTIFACTS / "table-tool.png"), full_page=True)
    problems = blocking(run_axe(page))
    assert not problems, describe(problems)
    # Pivot: the intervention levels across the top.
    page.get_by_label("Place Highest level of intervention in").select_option("cols")
    page.get_by_label("Order of Highest level of intervention").fill("1")
    page.get_by_role("button", name="Re-order table").click()
    assert "cols=" in page.url
    headers = page.locator("#data-table thead th").all_inner_texts()
    assert "1. No futher action" in headers and "3. CINO" in headers
    pivoted = html_cells(page)
    assert ["England", "Total", "Referrals", "2017", "141,760", "218,030"] in pivoted or any(
        "141,760" in row and "218,030" in row for row in pivoted)
    # Each download, opened and compared with the table on the page.
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Table as CSV").click()
    csv_rows = list(csv.reader(io.StringIO(
        open(csv_download.value.path(), encoding="utf-8-sig").read())))
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Table as Excel spreadsheet (XLSX)").click()
    sheet = load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes())).active
    xlsx_rows = [[("" if c.value is None else str(c.value)) for c in row]
                 for row in sheet.iter_rows()]
    with page.expect_download() as ods_download:
        page.get_by_role("link", name="Table as OpenDocument spreadsheet (ODS)").click()
    doc = opendocument.load(io.BytesIO(ods_download.value.path().read_bytes()))
    ods_rows = [[teletype.extractText(c) for c in r.getElementsByType(table.TableCell)]
                for r in doc.spreadsheet.getElementsByType(table.TableRow)]
    body = html_cells(page)
    for rows in (csv_rows, xlsx_rows, ods_rows):
        rows = [[c for c in r] for r in rows]
        while rows and rows[0] and rows[0][-1] == "":
            rows[0].pop()  # spreadsheets pad the caption row to the table's width
        assert rows[0] == [page.locator("#table-caption").inner_text().strip()]
        data = [r for r in rows if r and r[0] == "England"]
        assert [r[: len(body[0])] for r in data] == body
    # Share: a permalink that shows the same table.
    page.get_by_role("button", name="Generate shareable link").click()
    assert re.search(r"/data-tables/permalink/[0-9a-f-]{36}$", page.url)
    expect(page.get_by_text("Saved table, made on")).to_be_visible()
    assert html_cells(page) == body


def test_steps_show_govuk_errors(page: Page) -> None:
    page.goto(DEMO_PATH)
    page.get_by_role("link", name="Create your own tables with this data set").click()
    page.get_by_role("button", name="Next step").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select at least one location")
    assert page.title().startswith("Error:")
    problems = blocking(run_axe(page))
    assert not problems, describe(problems)


def test_featured_table_opens_at_the_result(page: Page) -> None:
    page.goto(DEMO_PATH)
    page.get_by_role("link", name="Re-referrals by highest level of intervention, England").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Re-referrals by highest level of intervention, England")
    assert ["England", "Total", "Referrals", "4. s47 Enquiry", "76,130"] in html_cells(page) or \
        any("76,130" in row for row in html_cells(page))
