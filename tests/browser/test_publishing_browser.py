"""Publishing in chromium: sign in, create, upload, read the screening report, schedule in
UK time, bring the moment forward to a few seconds ahead (unschedule, approve again), and
see the data set appear on time, not before. Forms that
are refused come back with a GOV.UK error summary and what was typed; the report keeps its
own address (refresh and Back bring it back); axe finds nothing serious on any page."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
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

# The release is first scheduled an hour ahead (the checks that it is hidden then take the
# time they take), then brought forward to LEAD ahead. From choosing that moment to the
# checks that the release is not yet public (by httpx and in the reader's browser) took
# 0.7 s at load average 4.4 on 2 cores.
FIRST = timedelta(hours=1)
LEAD = timedelta(seconds=4)


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


def schedule(page: Page, lead: timedelta) -> datetime:
    """Approve the release on `page` for `lead` from now, in UK time with seconds: the
    moment, in UTC."""
    when = (datetime.now(UTC) + lead).replace(microsecond=0)
    local = when.astimezone(ZoneInfo("Europe/London"))
    page.get_by_label("On a date and time").check()
    page.get_by_label("Date (YYYY-MM-DD)").fill(local.strftime("%Y-%m-%d"))
    page.get_by_label("Time (HH:MM or HH:MM:SS, Europe/London)").fill(local.strftime("%H:%M:%S"))
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#release-status")).to_contain_text("Scheduled")
    expect(page.locator("#success-banner")).to_contain_text(
        f"Approved: the release will be published on {local:%-d %B %Y at %H:%M %Z}")
    return when


def test_whole_publishing_flow(desk: Page, office: LiveServer) -> None:
    page = desk
    page.goto("/admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to publish statistics")
    no_blocking_axe(page)
    page.get_by_label("Email address").fill("publisher@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your publications")
    no_blocking_axe(page)
    page.get_by_role("link", name="manage themes").click()
    page.get_by_role("button", name="Create theme").click()  # no title: refused
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a title for the theme")
    no_blocking_axe(page)
    page.get_by_label("Theme title").fill("Children's social care")
    page.get_by_role("button", name="Create theme").click()
    expect(page.locator("#success-banner")).to_contain_text(
        "Theme 'Children's social care' created")
    no_blocking_axe(page)
    page.goto("/admin/publications/new")
    page.get_by_label("Theme").select_option(label="Children's social care")
    page.get_by_label("Title", exact=True).fill("Children in need: A focus on re-referrals")
    page.get_by_label("Team name").fill("Children's Social Care Analysis and Research")
    page.get_by_label("Team email").fill("cin@example.org")
    no_blocking_axe(page)
    page.get_by_role("button", name="Create publication").click()
    # A release is named by its period, as on EES; without a type it comes back, kept.
    page.get_by_label("Type").select_option("RY")
    page.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Create release").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to it
    summary.get_by_role("link", name="Choose a release type.").click()
    expect(page.get_by_label("Accredited official statistics")).to_be_focused()  # the first
    expect(page.get_by_label("Year")).to_have_value("2025")
    expect(page.get_by_label("Type")).to_have_value("RY")
    no_blocking_axe(page)
    page.get_by_label("Official statistics", exact=True).check()
    page.get_by_role("button", name="Create release").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reporting year 2025")
    expect(page.locator("#release-status")).to_contain_text("Draft")
    expect(page.locator("#success-banner")).to_contain_text("Release 'Reporting year 2025'")
    no_blocking_axe(page)
    release_url = page.url
    page.get_by_label("Title", exact=True).fill("E1. Re-referrals")
    page.get_by_label("Summary", exact=True).fill("Referrals by level of intervention.")
    page.get_by_label("Data file (.csv, or gzip-compressed .csv.gz)").set_input_files(
        str(MANIFEST.parent / "e1_re_referrals.csv"))
    page.get_by_label("Meta file (.meta.csv)").set_input_files(
        str(MANIFEST.parent / "e1_re_referrals.meta.csv"))
    page.get_by_role("button", name="Upload and check files").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Screening report")
    assert "/admin/uploads/" in page.url  # its own address
    report_url = page.url
    rule = page.locator("#rule-data\\.filter\\.single_option")
    expect(rule).to_contain_text("Filter 'referral_type' has 1 option(s).")
    expect(rule.get_by_role("heading")).to_have_text("Warning Filter has only one option")
    no_blocking_axe(page)
    page.screenshot(path=str(ARTIFACTS / "publishing-report.png"), full_page=True)
    # Refresh, and Back then Forward, bring the same report back.
    page.reload()
    expect(rule).to_be_visible()
    page.go_back()
    expect(page.locator("#waiting-uploads")).to_contain_text("Ready to import")
    page.go_forward()
    assert page.url == report_url
    # Import without ticking: the report again, saying what to do.
    page.get_by_role("button", name="Import this data set").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Tick the box to say you have read the warnings")
    no_blocking_axe(page)
    page.get_by_label("I have read the warnings").check()
    page.get_by_role("button", name="Import this data set").click()
    assert page.url == release_url
    expect(page.locator("#success-banner")).to_contain_text("Data set 'E1. Re-referrals'")
    expect(page.locator("#versions")).to_contain_text("draft")
    # Approving offers a time in the future; a past one is refused, and kept to correct.
    offered = page.get_by_label("Date (YYYY-MM-DD)").input_value()
    assert offered >= datetime.now(ZoneInfo("Europe/London")).strftime("%Y-%m-%d")
    page.get_by_label("Date (YYYY-MM-DD)").fill("2020-01-01")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be in the future")
    expect(page.get_by_label("Date (YYYY-MM-DD)")).to_have_value("2020-01-01")
    no_blocking_axe(page)
    preview = page.get_by_role("link", name="Preview E1. Re-referrals").get_attribute("href")
    data_set_id = str(preview).rsplit("/", 1)[1]
    page.goto(str(preview))
    expect(page.locator("#preview-banner")).to_contain_text("Preview — not published")
    expect(page.get_by_text("Latest data")).to_have_count(0)
    no_blocking_axe(page)
    page.goto(release_url)
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
    # Schedule it, in UK time, with seconds.
    when = schedule(page, FIRST)
    page.screenshot(path=str(ARTIFACTS / "publishing-release.png"), full_page=True)
    # Before its time: not found, for the person's own browser too.
    assert httpx.get(public).status_code == 404
    reader = page.context.browser.new_context(base_url=office.base)  # type: ignore[union-attr]
    reader_page = reader.new_page()
    reader_page.goto(public)
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert datetime.now(UTC) < when
    # Brought forward: unscheduled (a draft again), then approved for a few seconds ahead.
    page.get_by_role("button", name="Unschedule").click()
    expect(page.locator("#success-banner")).to_contain_text("Unscheduled")
    expect(page.locator("#release-status")).to_contain_text("Draft")
    when = schedule(page, LEAD)
    assert httpx.get(public).status_code == 404
    reader_page.goto(public)
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert datetime.now(UTC) < when, "the checks took longer than LEAD"
    while datetime.now(UTC) < when - timedelta(seconds=1):
        assert httpx.get(public).status_code == 404, "visible before its time"
        time.sleep(0.5)
    while datetime.now(UTC) < when + timedelta(milliseconds=300):
        time.sleep(0.1)
    reader_page.goto(public)
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("E1. Re-referrals")
    expect(reader_page.get_by_text("Latest data")).to_be_visible()
    reader.close()


def test_a_bulk_zip_is_listed_on_its_release_and_imported_at_once(
        desk: Page, tmp_path: Path) -> None:
    page = desk
    page.goto("/admin/login")
    page.get_by_label("Email address").fill("publisher@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/admin/themes")
    page.get_by_label("Theme title").fill("Bulk theme")
    page.get_by_role("button", name="Create theme").click()
    page.goto("/admin/publications/new")
    page.get_by_label("Theme").select_option(label="Bulk theme")
    page.get_by_label("Title", exact=True).fill("Bulk statistics")
    page.get_by_label("Team name").fill("Team")
    page.get_by_label("Team email").fill("team@example.org")
    page.get_by_role("button", name="Create publication").click()
    page.get_by_label("Type").select_option("AY")
    page.get_by_label("Year").fill("2023")
    page.get_by_label("Label").fill("provisional")
    page.get_by_label("Official statistics", exact=True).check()
    page.get_by_role("button", name="Create release").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Academic year 2023/24 provisional")
    data = (MANIFEST.parent / "e1_re_referrals.csv").read_bytes()
    meta = (MANIFEST.parent / "e1_re_referrals.meta.csv").read_bytes()
    bulk = tmp_path / "release.zip"
    with zipfile.ZipFile(bulk, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("dataset_names.csv", "file_name,dataset_name\none,First\ntwo,Second\n")
        for stem in ("one", "two"):
            z.writestr(f"{stem}.csv", data)
            z.writestr(f"{stem}.meta.csv", meta)
    page.get_by_label("ZIP file (.zip)").set_input_files(str(bulk))
    page.get_by_role("button", name="Upload and check files").click()
    expect(page.locator("#success-banner")).to_contain_text("2 data sets uploaded and checked")
    waiting = page.locator("#waiting-uploads")
    expect(waiting).to_contain_text("First")
    expect(waiting).to_contain_text("Second")
    expect(waiting.get_by_text("Ready to import")).to_have_count(2)
    no_blocking_axe(page)
    page.screenshot(path=str(ARTIFACTS / "publishing-bulk-uploads.png"), full_page=True)
    page.get_by_label("I have read the warnings in every report").check()
    page.get_by_role("button", name="Import all 2 ready data sets").click()
    expect(page.locator("#success-banner")).to_contain_text("2 data sets imported")
    expect(page.locator("#versions")).to_contain_text("First")
    expect(page.locator("#versions")).to_contain_text("Second")
    expect(page.locator("#waiting-uploads")).to_have_count(0)
    page.goto("/admin/users")
    no_blocking_axe(page)
