"""Everything a person needs works with JavaScript switched off (a second browser context)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.api.conftest import LiveServer
from tests.browser.conftest import CROWDED_COUNT

DEMO_ID = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
TITLE = "E1. Re-referrals by level of intervention by CSC, 2017-23"


def test_javascript_really_is_off(nojs_page: Page) -> None:
    nojs_page.goto("/")
    assert "js-enabled" not in (nojs_page.locator("body").get_attribute("class") or "")


def test_search_filter_and_open_a_data_set(nojs_page: Page, live: LiveServer) -> None:
    page = nojs_page
    page.goto("/")
    page.get_by_role("search").get_by_label("Search data sets").fill("referrals")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/data-catalogue\?search=referrals$"))
    expect(page.locator("#results-count")).to_have_text("1 data set for “referrals”")

    # A filter, applied with the form's button (a plain GET).
    page.get_by_label("Geographic level").select_option(label="National")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"geographic_level=NAT"))
    expect(page.locator("#results-count")).to_have_text("1 data set for “referrals”")

    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(f"{live.base}/data-catalogue/data-set/{DEMO_ID}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#preview ~ div table tbody tr")).to_have_count(5)
    expect(page.locator("#variables-table tbody tr")).to_have_count(4)

    # "On this page" links and the example-code disclosures are plain HTML.
    page.get_by_role("navigation", name="On this page").get_by_role(
        "link", name="Contact us").click()
    expect(page).to_have_url(re.compile(r"#contact$"))
    expect(page.locator("h2#contact")).to_be_in_viewport()
    code = page.locator("section[aria-labelledby=code] details").first
    code.locator("summary").click()
    expect(code.locator("code")).to_be_visible()
    expect(code.locator("code")).to_contain_text(f"/data-catalogue/data-set/{DEMO_ID}/csv")


def test_zip_download_without_javascript(nojs_page: Page) -> None:
    nojs_page.goto(f"/data-catalogue/data-set/{DEMO_ID}")
    with nojs_page.expect_download() as info:
        nojs_page.get_by_role("link", name="Download the underlying data as a compressed "
                              "ZIP file").click()
    assert info.value.failure() is None
    assert info.value.suggested_filename.endswith(".zip")


def test_catalogue_sort_without_javascript(nojs_page: Page) -> None:
    page = nojs_page
    page.goto("/data-catalogue")
    page.get_by_label("Sort by").select_option(label="A to Z")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"sort=title"))
    expect(page.locator("#results h3 a")).to_have_text(
        ["absence", "dates", TITLE, "grouped", "seven"])
    expect(page.get_by_label("Sort by")).to_have_value("title")


def test_catalogue_paging_keeps_the_search_without_javascript(crowded_nojs_page: Page) -> None:
    page = crowded_nojs_page
    page.goto("/data-catalogue")
    page.get_by_label("Search data sets").fill("tiny")
    page.get_by_label("Sort by").select_option(label="A to Z")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#results-count")).to_have_text(f"{CROWDED_COUNT} data sets for “tiny”")
    results = page.locator("#results h3 a")
    expect(results).to_have_text([f"Tiny {n:02d}" for n in range(1, 11)])

    pages = page.get_by_role("navigation", name="Results pages")
    expect(pages.get_by_role("link", name=re.compile(r"^Page \d$"))).to_have_count(3)
    expect(pages.get_by_role("link", name="Page 1")).to_have_attribute("aria-current", "page")
    pages.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"search=tiny.*sort=title.*page=2"))
    expect(results).to_have_text([f"Tiny {n:02d}" for n in range(11, 21)])
    pages.get_by_role("link", name="Page 3").click()
    expect(results).to_have_text([f"Tiny {n:02d}" for n in range(21, CROWDED_COUNT + 1)])
    expect(pages.get_by_role("link", name="Next page")).to_have_count(0)
    pages.get_by_role("link", name="Previous page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.get_by_label("Search data sets")).to_have_value("tiny")

    # Past the last page, or nonsense: the nearest real page, not an error.
    page.goto("/data-catalogue?search=tiny&sort=title&page=99")
    expect(results).to_have_text([f"Tiny {n:02d}" for n in range(21, CROWDED_COUNT + 1)])
    page.goto("/data-catalogue?search=tiny&sort=title&page=x")
    expect(results.first).to_have_text("Tiny 01")
