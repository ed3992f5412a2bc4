"""Email alerts and the admin webhooks page in a real browser: the publication page's
form works with JavaScript off, and its error page, the release page with the form and
the webhooks page have no serious axe violations (axe runs as a script, so those pages
are visited with JavaScript on); the feed is linked from the page's head."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from openstats.catalogue import accounts
from openstats.platform import open_platform
from openstats.publishing import workflow
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD
from tests.api.conftest import LiveServer, serve
from tests.browser.axe import blocking, describe, run_axe
from tests.browser.conftest import _context
from tests.notify.helpers import PUBLICATION, write_manifest


@pytest.fixture(scope="module")
def alerts_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("alerts")
    # Alerts on (an SMTP address); nothing is sent, the delivery loop is off.
    settings = Settings(data_dir=folder / "data", smtp_url="smtp://127.0.0.1:9",
                        scheduler_seconds=0, delivery_seconds=0, rate_limit=0)
    platform = open_platform(settings)
    try:
        load_manifest(platform, write_manifest(folder / "m", None))
        workflow.publish_due(platform.catalogue)
        accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    finally:
        platform.close()
    yield from serve(settings)


@pytest.fixture
def plain_page(browser: Browser, alerts_site: LiveServer) -> Iterator[Page]:
    context = _context(browser, alerts_site.base, javascript=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def scripted_page(browser: Browser, alerts_site: LiveServer) -> Iterator[Page]:
    context = _context(browser, alerts_site.base, javascript=True)
    yield context.new_page()
    context.close()


def no_serious_violations(page: Page) -> None:
    serious = blocking(run_axe(page))
    assert serious == [], describe(serious)


def test_alerts_form_without_javascript(plain_page: Page) -> None:
    page = plain_page
    page.goto(f"/find-statistics/{PUBLICATION}")
    feed = page.locator('head link[rel="alternate"][type="application/atom+xml"]').first
    assert feed.get_attribute("href") == f"/find-statistics/{PUBLICATION}/feed.atom"
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Get email alerts").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("correct format")
    expect(page.get_by_label("Email address")).to_have_value("not an address")
    expect(page.locator("h1")).to_have_count(1)
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_role("button", name="Get email alerts").click()
    expect(page.locator("h1")).to_have_text("Check your email")


def test_alerts_and_webhooks_pages_are_accessible(scripted_page: Page) -> None:
    page = scripted_page
    page.goto(f"/find-statistics/{PUBLICATION}")
    no_serious_violations(page)
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Get email alerts").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("correct format")
    no_serious_violations(page)

    page.goto("/admin/login")
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/admin/webhooks")
    page.get_by_label("URL").fill("ftp://example.org/hook")
    page.get_by_label("Secret").fill("a secret long enough")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("http:// or https://")
    no_serious_violations(page)
    page.get_by_label("URL").fill("https://example.org/hook")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator("#webhooks")).to_contain_text("https://example.org/hook")
    no_serious_violations(page)
