"""Release content in chromium: the real LA-level release's map and charts at desktop and
phone widths with their tables as text alternatives, axe on it; and a publisher writing
content (a section previewed then saved, a data block built with the table tool's steps
and its chart chosen) with axe on each publishing page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from openstats import demo
from openstats.catalogue import accounts, releases
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD
from tests.api.conftest import LiveServer, serve
from tests.browser.axe import blocking, describe, run_axe
from tests.browser.conftest import ARTIFACTS, _context
from tests.conftest import REFERENCE, SHARED

PUPILS = "/find-statistics/school-pupils-and-their-characteristics/2021-22"
SEED = "/find-statistics/children-in-need-a-focus-on-re-referrals/2024"
SEED_RELEASE: list[str] = []  # the seed release's id, once the site is made


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("story")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        rate_limit=0)
    platform = open_platform(settings)
    load_manifest(platform, demo.MANIFEST)
    load_manifest(platform, demo.real_manifest(SHARED, folder / "real"))
    accounts.create_user(platform.catalogue, "writer@example.org", PASSWORD, "admin")
    with platform.catalogue.connect() as conn:
        SEED_RELEASE.append(releases.find_release(
            conn, "children-in-need-a-focus-on-re-referrals", "2024") or "")
    platform.close()
    yield from serve(settings)


@pytest.fixture
def tab(browser: Browser, site: LiveServer) -> Iterator[Page]:
    context = _context(browser, site.base, javascript=True)
    yield context.new_page()
    context.close()


def axe_clean(page: Page) -> None:
    problems = blocking(run_axe(page))
    assert not problems, f"axe on {page.url}:\n{describe(problems)}"


def test_real_release_map_and_charts(tab: Page) -> None:
    tab.goto(PUPILS)
    expect(tab.get_by_role("heading", level=1)).to_have_text(
        "Schools, pupils and their characteristics")
    expect(tab.locator("[data-key-stat-value]").first).to_have_text("8,418,013")
    # The accordion (JavaScript) starts closed; open the section with the map.
    tab.get_by_role("button", name="First language across England").click()
    figure = tab.locator("[data-block-chart]").first
    expect(figure.locator(".app-chart--wide svg")).to_be_visible()
    assert figure.locator(".app-chart--wide svg path").count() > 150
    tab.get_by_text("The chart's numbers as a table").first.click()
    expect(tab.locator("[data-chart-numbers] table").first).to_be_visible()
    axe_clean(tab)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "release-real-1280.png"), full_page=True)
    # A phone: the narrow chart is the one shown.
    tab.set_viewport_size({"width": 390, "height": 844})
    expect(figure.locator(".app-chart--narrow svg")).to_be_visible()
    expect(figure.locator(".app-chart--wide svg")).to_be_hidden()
    tab.screenshot(path=str(ARTIFACTS / "release-real-390.png"), full_page=True)


def test_seed_release_without_javascript(browser: Browser, site: LiveServer) -> None:
    context = _context(browser, site.base, javascript=False)
    page = context.new_page()
    page.goto(SEED)
    # Without JavaScript every section is open and every chart is there.
    expect(page.locator("[data-block-chart] .app-chart--wide svg")).to_have_count(2)
    expect(page.locator("[data-block-chart] .app-chart--wide svg").first).to_be_visible()
    context.close()


def sign_in(page: Page) -> None:
    page.goto("/admin")
    page.get_by_label("Email address").fill("writer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your publications")


def test_a_publisher_writes_a_section_and_builds_a_block(tab: Page, site: LiveServer) -> None:
    page = tab
    sign_in(page)
    # The seed release is published: its content is changed in an amendment.
    page.goto(f"/admin/releases/{SEED_RELEASE[0]}")
    page.get_by_role("button", name="Start an amendment").click()
    page.get_by_role("link", name="Release content").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release content")
    axe_clean(page)
    page.locator("#new-heading").fill("What changed")
    page.locator("#body-new").fill("Counts are **unchanged**.")
    page.get_by_role("button", name="Add section").click()
    section = page.locator("[data-section]").filter(has_text="What changed")
    section.get_by_label("Text").fill("Counts are **the same** as before.")
    section.get_by_role("button", name="Preview What changed").click()
    expect(page.locator("[data-preview] strong").filter(has_text="the same")).to_be_visible()
    section = page.locator("[data-section]").filter(has_text="What changed")
    section.get_by_role("button", name="Save section What changed").click()
    # A data block through the builder's steps.
    page.locator("[data-section]").filter(has_text="What changed").get_by_role(
        "link", name="Add a data block to What changed").click()
    page.get_by_label("E1. Re-referrals by level of intervention by CSC, 2017-23").check()
    page.get_by_role("button", name="Choose this data set").click()
    expect(page.get_by_role("heading", name="Step 2 of 5 Choose locations")).to_be_visible()
    axe_clean(page)
    page.get_by_label("England").check()
    page.get_by_label("Referrals", exact=True).check()
    for level in ("3. CINO", "5. ICPC"):
        page.get_by_label(level).check()
    page.get_by_label("Name (the block's heading on the page)").fill("CINO and ICPC")
    page.get_by_label("Vertical bar chart").check()
    page.get_by_role("button", name="Preview table and chart").click()
    expect(page.locator("#block-preview")).to_be_visible()
    expect(page.locator("[data-block-chart] svg").first).to_be_visible()
    expect(page.locator("[data-block-table]")).to_contain_text("218,030")
    page.get_by_role("button", name="Save data block").click()
    expect(page.locator("[data-block]").filter(has_text="CINO and ICPC")).to_be_visible()
    page.get_by_role("link", name="Preview the release page").click()
    expect(page.get_by_role("button", name="What changed")).to_be_visible()
    axe_clean(page)
