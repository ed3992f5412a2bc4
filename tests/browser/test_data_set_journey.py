"""A person's way to the demo data set: home -> publication -> release -> data-set page.

Every section of the data-set page is checked as rendered in chromium (EES's seed page,
../shared/seed/dataset-page.md), the "On this page" links must land on their sections,
the ZIP is downloaded by clicking the button, and a full-page screenshot is written to
tests/browser/artifacts/ for people to look at.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from pathlib import Path
from urllib.parse import urljoin, urlparse

from playwright.sync_api import Page, expect

from tests.api.conftest import LiveServer
from tests.browser.conftest import ARTIFACTS
from tests.conftest import SHARED

DEMO_ID = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
DEMO_PATH = f"/data-catalogue/data-set/{DEMO_ID}"
TITLE = "E1. Re-referrals by level of intervention by CSC, 2017-23"
PUBLICATION = "Children in need: A focus on re-referrals"
RELEASE = "Reporting year 2024"
SEED_CSV = SHARED / "seed" / "e1_re_referrals_preview.csv"
SEED_META = SHARED / "seed" / "e1_re_referrals_preview.meta.csv"
ON_THIS_PAGE = {
    "Data set details": "details",
    "Data set preview": "preview",
    "Variables in this data set": "variables",
    "Using this data": "using",
    "Download this data using code": "code",
    "Contact us": "contact",
}
DETAILS = {
    "Theme": ["Children's social care"],
    "Publication": [PUBLICATION],
    "Release": [RELEASE],
    "Release type": ["Ad hoc statistics"],
    "Number of rows": ["5"],
    "Geographic levels": ["National"],
    "Indicators": ["Percent", "Referrals"],
    "Filters": ["Highest level of intervention", "Referral type"],
    "Time period": ["2017"],
}
VARIABLES = [
    ["level_description", "Highest level of intervention - Filter by event"],
    ["referral_type", "Referral type - Filter by referral type"],
    ["referrals", "Referrals"],
    ["referrals_percent", "Percent"],
]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seed_rows() -> tuple[list[str], list[list[str]]]:
    with SEED_CSV.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def details_list(page: Page) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    rows = page.locator("#data-set-details .govuk-summary-list__row")
    for i in range(rows.count()):
        row = rows.nth(i)
        key = row.locator("dt").inner_text().strip()
        value = row.locator("dd")
        items = value.locator("li")
        found[key] = ([t.strip() for t in items.all_inner_texts()] if items.count()
                      else [value.inner_text().strip()])
    return found


def table_rows(page: Page, table: str) -> list[list[str]]:
    return [[c.strip() for c in r.locator("td").all_inner_texts()]
            for r in page.locator(f"{table} tbody tr").all()]


def test_home_to_release_to_data_set_page(page: Page, live: LiveServer) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Explore statistics")

    page.get_by_role("link", name=PUBLICATION).click()
    expect(page).to_have_url(re.compile(r"/find-statistics/children-in-need-a-focus-on-re-referrals$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PUBLICATION)
    expect(page.locator(".govuk-caption-xl")).to_have_text(RELEASE)
    expect(page.locator("#release-type")).to_have_text("Ad hoc statistics")

    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(live.base + DEMO_PATH)
    expect(page).to_have_title(f"{TITLE} - openstats")


def test_release_page_by_its_own_address(page: Page) -> None:
    page.goto("/find-statistics/children-in-need-a-focus-on-re-referrals/2024")
    expect(page.get_by_role("heading", level=1)).to_have_text(PUBLICATION)
    expect(page.locator("#data-sets h3").get_by_role("link")).to_have_text([TITLE])
    expect(page.get_by_text("5 rows; National; 2017")).to_be_visible()
    guidance = page.get_by_text("This release holds one data set, E1")
    expect(guidance).to_be_hidden()  # the data guidance is a details block, closed
    page.locator("#data-guidance summary").click()
    expect(guidance).to_be_visible()
    contact = page.locator("#contact + p")
    expect(contact).to_contain_text("Children's Social Care Analysis and Research")
    expect(contact.get_by_role("link")).to_have_attribute(
        "href", "mailto:Bruce.GOLDING@education.gov.uk")


def test_data_set_page_sections(page: Page, live: LiveServer) -> None:
    page.goto(DEMO_PATH)

    # Heading block: title, tag, dates, summary.
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".govuk-caption-l")).to_have_text(f"Data set from {PUBLICATION}")
    expect(page.locator("strong.govuk-tag")).to_have_text("Latest data")
    dates = page.locator("main dl").first
    expect(dates.locator("dt")).to_have_text(["Published", "Last updated"])
    expect(dates.locator("dd")).to_have_text(["21 November 2024", "21 November 2024"])
    expect(dates.locator("time").first).to_have_attribute("datetime", re.compile(r"^2024-11-21"))
    expect(page.locator("p.govuk-body-l")).to_have_text(
        "Number of referrals by in England, in the year to 31st March, by highest level of "
        "intervention by children's social care services.")

    # "On this page": each link jumps to its section's heading.
    nav = page.get_by_role("navigation", name="On this page")
    expect(nav.get_by_role("link")).to_have_text(list(ON_THIS_PAGE))
    for text, anchor in reversed(ON_THIS_PAGE.items()):
        nav.get_by_role("link", name=text, exact=True).click()
        expect(page).to_have_url(f"{live.base}{DEMO_PATH}#{anchor}")
        heading = page.locator(f"h2#{anchor}")
        expect(heading).to_have_text(text)
        expect(heading).to_be_in_viewport()
        page.evaluate("window.scrollTo(0, 0)")
        expect(nav).to_be_in_viewport()

    # Data set details.
    assert details_list(page) == DETAILS

    # Preview: the first five rows of the underlying data, exactly as uploaded.
    preview = page.locator("#preview ~ div table")
    expect(preview.locator("caption")).to_have_text(
        "Table showing first 5 rows, from underlying data")
    header, rows = seed_rows()
    expect(preview.locator("thead th")).to_have_text(header)
    assert table_rows(page, "#preview ~ div table") == rows[:5]
    assert len(rows) == 5
    expect(page.get_by_role("region", name="Table showing first 5 rows")).to_be_visible()

    # Variables.
    expect(page.locator("#variables-table caption")).to_have_text(
        "Table showing all 4 variables")
    expect(page.locator("#variables-table thead th")).to_have_text(
        ["Variable name", "Variable description"])
    assert table_rows(page, "#variables-table") == VARIABLES

    # Using this data.
    using = page.locator("section[aria-labelledby=using]")
    expect(using.get_by_role("link", name="Download the underlying data as a compressed ZIP "
                             "file")).to_have_attribute("href", f"{DEMO_PATH}/zip")
    expect(using.get_by_role("link", name=f"{PUBLICATION}, {RELEASE}")).to_have_attribute(
        "href", "/find-statistics/children-in-need-a-focus-on-re-referrals/2024")

    # Download this data using code: the CSV URL works and gives the seed file's rows.
    csv_url = f"{live.base}/data-catalogue/data-set/{DEMO_ID}/csv"  # as EES shows it
    expect(page.get_by_label("URL of the data as CSV")).to_have_value(csv_url)
    expect(page.get_by_label("API data set ID")).to_have_value(DEMO_ID)
    answer = page.request.get(csv_url)
    assert answer.ok, answer.status
    got = list(csv.reader(io.StringIO(answer.text().lstrip("\ufeff"))))
    assert got == [header, *rows]
    code = page.locator("section[aria-labelledby=code]")
    for summary in code.locator("details summary").all():
        summary.click()
    examples = code.locator("code.example-code")
    assert examples.count() >= 3
    for example in examples.all():
        expect(example).to_be_visible()
    expect(examples.first).to_contain_text(csv_url)

    # Contact us.
    contact = page.locator("section[aria-labelledby=contact]")
    expect(contact).to_contain_text(
        f"If you have a specific enquiry about {TITLE} statistics and data:")
    expect(contact).to_contain_text("Children's Social Care Analysis and Research")
    expect(contact.get_by_role("link", name="Bruce.GOLDING@education.gov.uk")).to_have_attribute(
        "href", "mailto:Bruce.GOLDING@education.gov.uk")
    expect(contact).to_contain_text("Contact name: Bruce Golding")



def test_data_set_page_links_all_lead_somewhere(page: Page, live: LiveServer) -> None:
    """No link on the data-set page leads to a missing page (mailto and other sites aside)."""
    page.goto(DEMO_PATH)
    hrefs = {a.get_attribute("href") or "" for a in page.locator("main a[href]").all()}
    broken = []
    for href in sorted(hrefs):
        url = urljoin(page.url, href)
        if urlparse(url).netloc != urlparse(live.base).netloc or href.startswith("#"):
            continue
        status = page.request.get(url, max_redirects=5).status
        if status >= 400:
            text = page.locator(f'main a[href="{href}"]').first.inner_text()
            broken.append(f"{status} {href} (link text: {text!r})")
    assert broken == [], "broken links on the data-set page:\n" + "\n".join(broken)


def test_zip_download(page: Page, tmp_path: Path) -> None:
    page.goto(DEMO_PATH)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the underlying data as a compressed ZIP "
                         "file").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == (
        "e1_re_referrals_by_level_of_intervention_by_csc_2017_23.zip")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    with zipfile.ZipFile(saved) as z:
        assert z.testzip() is None
        assert sorted(z.namelist()) == sorted([
            "data/e1_re_referrals.csv", "data/e1_re_referrals.meta.csv",
            "data-guidance/data-guidance.txt"])
        data = z.read("data/e1_re_referrals.csv")
        meta = z.read("data/e1_re_referrals.meta.csv")
        guidance = z.read("data-guidance/data-guidance.txt").decode("utf-8")
    assert sha256(data) == sha256(SEED_CSV.read_bytes())
    assert sha256(meta) == sha256(SEED_META.read_bytes())
    assert PUBLICATION in guidance
    assert f"Release: {RELEASE}" in guidance
    assert TITLE in guidance
    assert "e1_re_referrals.csv" in guidance
    for name, description in VARIABLES:
        assert re.search(rf"^\s*{re.escape(name)}\s+{re.escape(description)}\s*$", guidance,
                         re.MULTILINE), f"{name} / {description} missing:\n{guidance}"


def test_full_page_screenshot(page: Page) -> None:
    page.goto(DEMO_PATH)
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "data-set-page.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    # A full page is taller than the window: the whole page was captured.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 800
