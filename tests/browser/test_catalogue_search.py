"""The data catalogue as a person uses it: type a search, submit, filter, share the address."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.api.conftest import LiveServer, data_set_id

DATA_SET_LINK = re.compile(r"^/data-catalogue/data-set/[0-9a-f-]{36}$")
DEMO_TITLE = "E1. Re-referrals by level of intervention by CSC, 2017-23"


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def result_links(page: Page) -> list[str]:
    return [a.get_attribute("href") or ""
            for a in page.locator("#results h3 a").all()]


def test_search_from_the_catalogue_form(page: Page, live: LiveServer) -> None:
    page.goto("/data-catalogue")
    expect(page.locator("#results-count")).to_have_text("5 data sets")
    assert len(result_links(page)) == 5

    page.get_by_label("Search data sets").fill("absence")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/data-catalogue\?.*search=absence"))
    expect(page.locator("#results-count")).to_have_text("1 data set for “absence”")
    assert result_links(page) == [f"/data-catalogue/data-set/{data_set_id('absence')}"]
    expect(page.get_by_label("Search data sets")).to_have_value("absence")

    page.get_by_role("link", name="absence", exact=True).click()
    expect(page).to_have_url(f"{live.base}/data-catalogue/data-set/{data_set_id('absence')}")
    expect(page.get_by_role("heading", level=1)).to_have_text("absence")


def test_search_from_the_home_page(page: Page) -> None:
    page.goto("/")
    page.get_by_role("search").get_by_label("Search data sets").fill("re-referrals")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/data-catalogue\?search=re-referrals$"))
    expect(page.locator("#results-count")).to_have_text("1 data set for “re-referrals”")
    expect(page.locator("#results h3 a")).to_have_text([DEMO_TITLE])
    for href in result_links(page):
        assert DATA_SET_LINK.match(href), href


def test_a_search_is_ordered_by_relevance_wherever_it_is_typed(page: Page) -> None:
    """'total' is in every data set but the dates sample; relevance and newest orders differ.

    From the home page the search is ordered by relevance. Typed into the catalogue's own
    form, with the sort left as the person found it, the same search must give the same order.
    """
    by_relevance = ["seven", "grouped", "absence", DEMO_TITLE]
    page.goto("/")
    page.get_by_role("search").get_by_label("Search data sets").fill("total")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results h3 a")).to_have_text(by_relevance)

    page.goto("/data-catalogue")
    page.get_by_label("Search data sets").fill("total")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#results-count")).to_have_text("4 data sets for “total”")
    expect(page.locator("#results h3 a"), f"not by relevance at {page.url}").to_have_text(
        by_relevance)


def test_search_with_no_match_says_so(page: Page) -> None:
    page.goto("/data-catalogue")
    page.get_by_label("Search data sets").fill("zzzz-nothing-matches")
    page.keyboard.press("Enter")
    expect(page.locator("#results-count")).to_have_text("0 data sets for “zzzz-nothing-matches”")
    expect(page.get_by_text("No data sets match.")).to_be_visible()
    expect(page.locator("#results")).to_have_count(0)


def test_filters_are_in_the_address_and_can_be_shared(page: Page, browser_page_for_sharing: Page,
                                                       live: LiveServer) -> None:
    page.goto("/data-catalogue")
    page.get_by_label("Theme").select_option(label="Children's social care")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#results-count")).to_have_text("1 data set")
    assert query(page)["theme"] == ["childrens-social-care"], page.url
    expect(page.locator("#results h3 a")).to_have_text([DEMO_TITLE])

    # Without JavaScript the lists follow the last choice applied: all themes again first.
    page.get_by_label("Theme").select_option("")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#results-count")).to_have_text("5 data sets")
    assert "theme" not in query(page), page.url

    # Publications are offered once a theme is chosen (a catalogue may hold thousands);
    # choosing a publication offers its releases; every choice lands in the address.
    expect(page.get_by_label("Publication")).to_have_count(0)
    page.get_by_label("Theme").select_option(label="Test theme")
    page.get_by_role("button", name="Apply").click()
    page.get_by_label("Publication").select_option(label="EES test samples")
    page.get_by_label("Geographic level").select_option(label="National")
    page.get_by_label("Sort by").select_option(label="A to Z")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#results-count")).to_have_text("3 data sets")
    expect(page.locator("#results h3 a")).to_have_text(["absence", "dates", "seven"])
    state = query(page)
    assert state == {"theme": ["test-theme"], "publication": ["ees-test-samples"],
                     "geographic_level": ["NAT"], "sort": ["title"]}, page.url
    release = page.get_by_label("Release")
    expect(release).to_be_visible()
    release.select_option(label="Academic year 2020/21")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#results-count")).to_have_text("3 data sets")
    assert query(page)["release"] == ["academic-year-2020-21"], page.url
    shared_url = page.url

    # Someone else opens the shared address: same results, same choices shown in the form.
    other = browser_page_for_sharing
    other.goto(shared_url)
    expect(other.locator("#results-count")).to_have_text("3 data sets")
    expect(other.locator("#results h3 a")).to_have_text(["absence", "dates", "seven"])
    expect(other.get_by_label("Publication")).to_have_value("ees-test-samples")
    expect(other.get_by_label("Release")).to_have_value("academic-year-2020-21")
    expect(other.get_by_label("Geographic level")).to_have_value("NAT")
    expect(other.get_by_label("Sort by")).to_have_value("title")

    other.get_by_role("link", name="Reset filters").click()
    expect(other).to_have_url(f"{live.base}/data-catalogue")
    expect(other.locator("#results-count")).to_have_text("5 data sets")
