"""Chromium enforces our Content-Security-Policy and nothing on our pages breaks it.

Every page type, the table tool's table (with its SVG chart) and the publishing pages
are opened with a listener for `securitypolicyviolation` events (installed by Playwright,
which the policy does not govern) and for console reports. No violation may happen, and
the page's own JavaScript must still run: GOV.UK Frontend marks the body and initialises
its components, the upload form shows its progress bar. Then the hostile release
(tests/security/hostile.py) is opened: no dialog may ever open.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.admin.helpers import PASSWORD
from tests.api.conftest import LiveServer, serve
from tests.browser.conftest import _context
from tests.browser.pages import PAGE_TYPES
from tests.security.hostile import (
    DATA_SET_ID,
    PUBLICATION_SLUG,
    RELEASE_SLUG,
    hostile_settings,
    write_release,
)
from tests.security.test_xss import table_path

LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} ` +
                    `at ${e.sourceFile}:${e.lineNumber}`);
});
"""
ADMIN = "csp-admin@example.org"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve(hostile_settings(tmp_path_factory.mktemp("hostile-browser"), ADMIN))


class Watch:
    """CSP violations, console reports of them, script errors and dialogs of one page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.console.append(message.text)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def violations(self) -> list[str]:
        found = list(self.page.evaluate("window.__csp || []"))
        return found + self.console + self.errors + self.dialogs


@pytest.fixture
def watched(browser: Browser, hostile_site: LiveServer) -> Iterator[Watch]:
    context = _context(browser, hostile_site.base, javascript=True)
    yield Watch(context.new_page())
    context.close()


def assert_javascript_ran(page: Page) -> None:
    # /static/app/js-enabled.js marks the body before anything is drawn.
    assert "govuk-frontend-supported" in (page.locator("body").get_attribute("class") or "")
    # initAll() (from /static/app/init.js) marks each component it starts.
    expect(page.locator("[data-module='govuk-skip-link']")).to_have_attribute(
        "data-govuk-skip-link-init", "")


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_page_types_keep_the_policy(page: Page, name: str) -> None:
    watch = Watch(page)
    path, status = PAGE_TYPES[name]
    answer = page.goto(path)
    assert answer is not None and answer.status == status
    policy = answer.headers.get("content-security-policy")
    assert policy and "unsafe-inline" not in policy
    page.wait_for_load_state("networkidle")
    if name != "api-docs":
        assert_javascript_ran(page)
    assert watch.violations() == []


def test_hostile_pages_run_nothing(watched: Watch, hostile_site: LiveServer) -> None:
    page = watched.page
    paths = ["/", "/data-catalogue", f"/find-statistics/{PUBLICATION_SLUG}/{RELEASE_SLUG}",
             f"/data-catalogue/data-set/{DATA_SET_ID}",
             f"/data-tables?publication={PUBLICATION_SLUG}",
             table_path(hostile_site), "/data-catalogue?search=%3Cscript%3Ealert(1)%3C/script%3E"]
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert_javascript_ran(page)
        assert watched.violations() == [], path
    # The table page drew its chart, and the hostile labels are shown as text.
    page.goto(table_path(hostile_site))
    expect(page.locator("svg.app-chart").first).to_be_visible()
    expect(page.locator("#data-table")).to_contain_text("<script>alert(1)</script>")
    assert watched.violations() == []


def test_publishing_pages_keep_the_policy(watched: Watch, tmp_path: Path) -> None:
    page = watched.page
    page.goto("/admin")
    page.get_by_label("Email address").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publishing")
    page.locator("a[href^='/admin/publications/']").first.click()
    page.locator("a[href^='/admin/releases/']").first.click()
    # The release is published: uploads go into an amendment.
    page.get_by_role("button", name="Start an amendment").click()
    expect(page.locator("#upload-form")).to_be_visible()
    assert_javascript_ran(page)
    # The upload script (a file now) still takes over the form and shows progress.
    progress = page.locator("#upload-progress")
    expect(progress).to_be_hidden()
    page.get_by_label("Title", exact=True).fill("Second")
    files = write_release(tmp_path)
    page.get_by_label("Data file (.csv, or gzip-compressed .csv.gz)").set_input_files(
        str(files.parent / "hostile.csv"))
    page.get_by_label("Meta file (.meta.csv)").set_input_files(
        str(files.parent / "hostile.meta.csv"))
    page.get_by_role("button", name="Upload and check files").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Screening report")
    page.goto("/admin/audit")
    assert watched.violations() == []


def test_the_policy_is_enforced_and_reported(page: Page) -> None:
    """The listener above works: an inline script and a style attribute are refused."""
    watch = Watch(page)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    ran = page.evaluate("""() => {
        window.__ran = false;
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true';
        document.body.appendChild(s);
        document.body.insertAdjacentHTML('beforeend', '<p style="color: red">x</p>');
        return window.__ran;
    }""")
    assert ran is False
    page.wait_for_function("window.__csp.length >= 2")
    found = watch.violations()
    assert any(v.startswith("script-src") for v in found), found
    assert any(v.startswith("style-src") for v in found), found
