"""Publishing in chromium: sign in, create, upload, read the screening report, schedule a
few seconds ahead in UK time, and see the data set appear on time, not before."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from openstats.catalogue import accounts
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD
from tests.api.conftest import LiveServer, serve
from tests.browser.axe import blocking, describe, run_axe
from tests.browser.conftest import ARTIFACTS, _context
from tests.conftest import REFERENCE

LEAD = timedelta(seconds=40)  # how far ahead the release is scheduled


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("office")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    accounts.create_user(platform.catalogue, "publisher@example.org", PASSWORD, "admin")
    platform.close()
    yield from serve(settings)


@pytest.fixture
def desk(browser: Browser, office: LiveServer) -> Iterator[Page]:
    context = _context(browser, office.base, javascript=True)
    yield context.new_page()
    context.close()


def no_blocking_axe(page: Page) -> None:
    problems = blocking(run_axe(page))
    assert not problems, describe(problems)


def test_whole_publishing_flow(desk: Page, office: LiveServer) -> None:
    page = desk
    page.goto("/admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to publish statistics")
    no_blocking_axe(page)
    page.get_by_label("Email address").fill("publisher@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publishing")
    page.get_by_label("Theme title").fill("Children's social care")
    page.get_by_role("button", name="Create theme").click()
    page.get_by_label("Title", exact=True).fill("Children in need: A focus on re-referrals")
    page.get_by_label("Contact team").fill("Children's Social Care Analysis and Research")
    page.get_by_label("Team email").fill("cin@example.org")
    page.get_by_role("button", name="Create publication").click()
    page.get_by_label('Label, for example "Reporting year 2025"').fill("Reporting year 2025")
    page.get_by_role("button", name="Create release").click()
    expect(page.locator("#release-status")).to_contain_text("Draft")
    no_blocking_axe(page)
    page.get_by_label("Title", exact=True).fill("E1. Re-referrals")
    page.get_by_label("Summary", exact=True).fill("Referrals by level of intervention.")
    page.get_by_label("Data file (.csv, or gzip-compressed .csv.gz)").set_input_files(
        str(MANIFEST.parent / "e1_re_referrals.csv"))
    page.get_by_label("Meta file (.meta.csv)").set_input_files(
        str(MANIFEST.parent / "e1_re_referrals.meta.csv"))
    page.get_by_role("button", name="Upload and check files").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Screening report")
    expect(page.locator("#rule-data\\.filter\\.single_option")).to_contain_text(
        "Filter 'referral_type' has 1 option(s).")
    no_blocking_axe(page)
    page.get_by_label("I have read the warnings").check()
    page.get_by_role("button", name="Import this data set").click()
    expect(page.locator("#versions")).to_contain_text("draft")
    preview = page.get_by_role("link", name="Preview E1. Re-referrals").get_attribute("href")
    data_set_id = str(preview).rsplit("/", 1)[1]
    public = f"{office.base}/data-catalogue/data-set/{data_set_id}"
    # The release checklist: guidance and headline facts are needed before approval.
    expect(page.locator("#checklist-errors")).to_contain_text("key statistic or a non-empty")
    page.get_by_label("Guidance for readers of the data files").fill("One data set.")
    page.get_by_role("button", name="Save guidance").click()
    page.get_by_role("link", name="Release content").click()
    page.get_by_label("Headline facts and figures").fill("Referrals in 2017.")
    page.get_by_role("button", name="Save summary and headline").click()
    page.get_by_role("link", name="Back to the release").click()
    expect(page.locator("#checklist-errors")).to_have_count(0)
    # Schedule it a little ahead, in UK time, with seconds.
    when = (datetime.now(UTC) + LEAD).replace(microsecond=0)
    local = when.astimezone(ZoneInfo("Europe/London"))
    page.get_by_label("On a date and time").check()
    page.get_by_label("Date (YYYY-MM-DD)").fill(local.strftime("%Y-%m-%d"))
    page.get_by_label("Time (HH:MM or HH:MM:SS, Europe/London)").fill(local.strftime("%H:%M:%S"))
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#release-status")).to_contain_text("Scheduled")
    page.screenshot(path=str(ARTIFACTS / "publishing-release.png"), full_page=True)
    # Before its time: not found, for the person's own browser too.
    assert httpx.get(public).status_code == 404
    reader = page.context.browser.new_context(base_url=office.base)  # type: ignore[union-attr]
    reader_page = reader.new_page()
    reader_page.goto(public)
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    while datetime.now(UTC) < when - timedelta(seconds=1):
        assert httpx.get(public).status_code == 404, "visible before its time"
        time.sleep(0.5)
    while datetime.now(UTC) < when + timedelta(milliseconds=300):
        time.sleep(0.1)
    reader_page.goto(public)
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("E1. Re-referrals")
    expect(reader_page.get_by_text("Latest data")).to_be_visible()
    reader.close()
