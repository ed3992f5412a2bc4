"""Browser fixtures: Debian's chromium, driven by Playwright, against the live test server.

The server is the API tests' `live` fixture (EES sample data sets plus the demo, served
over real HTTP on loopback). Chromium is Debian's own (`make` installs it when missing);
Playwright never downloads a browser. Every test here gets the `browser` marker and a
time limit; every Playwright action is bounded by `TIMEOUT_MS` and every `expect`
by Playwright's default of 5 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.conftest import LiveServer, manifest_text, serve, start_live
from tests.conftest import REFERENCE
from tests.real_data import loaded_site

CHROMIUM = os.environ.get("OPENSTATS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000  # any single Playwright action or wait
TEST_TIMEOUT_S = 120  # any whole browser test (pytest-timeout)
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
CROWDED_COUNT = 23  # data sets on the crowded server: three catalogue pages of ten


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT_S))


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    # Package scope: the sync API's event loop is stopped before other packages' tests run.
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `apt-get install -y chromium`"
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                          timeout=60_000)
    yield chromium
    chromium.close()


def _context(browser: Browser, base: str, javascript: bool) -> BrowserContext:
    context = browser.new_context(base_url=base, java_script_enabled=javascript,
                                  accept_downloads=True, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture(scope="session", name="live")
def live_on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The API tests' live server on SQLite only: tests/api and tests/web run the same
    pages and answers on PostgreSQL too, so a browser adds nothing there."""
    yield from start_live(tmp_path_factory, "sqlite")


@pytest.fixture
def page(browser: Browser, live: LiveServer) -> Iterator[Page]:  # noqa: F811
    """A fresh page (own cookies and cache) with JavaScript on, `base_url` = the live site."""
    context = _context(browser, live.base, javascript=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(browser: Browser, live: LiveServer) -> Iterator[Page]:  # noqa: F811
    """The same, in a second browser context with JavaScript switched off."""
    context = _context(browser, live.base, javascript=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def browser_page_for_sharing(browser: Browser, live: LiveServer) -> Iterator[Page]:  # noqa: F811
    """A second person's page: its own context, so nothing is shared but the address."""
    context = _context(browser, live.base, javascript=True)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="package")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second live server with enough data sets to page: 'Tiny 01' to 'Tiny 23'."""
    folder = tmp_path_factory.mktemp("crowded")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    sets = [(f"22222222-0000-4000-8000-{n:012d}", f"Tiny {n:02d}", "ees-tests/tiny-two-filters")
            for n in range(1, CROWDED_COUNT + 1)]
    (folder / "tiny.toml").write_text(manifest_text(
        "Tiny samples", "tiny-samples", "2024-06-13T09:30:00Z", sets))
    load_manifest(platform, folder / "tiny.toml")
    platform.close()
    yield from serve(settings)


@pytest.fixture
def crowded_nojs_page(browser: Browser, crowded: LiveServer) -> Iterator[Page]:
    """A page with JavaScript off, on the crowded server."""
    context = _context(browser, crowded.base, javascript=False)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="package")
def real_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server with DfE's real pupils-by-ethnicity data set (154,192 rows) and the demo."""
    yield from serve(loaded_site(tmp_path_factory.mktemp("real")))


def real_context(browser: Browser, live: LiveServer, *, javascript: bool = True,
                 width: int = 1280, height: int = 800) -> BrowserContext:
    """A context on the real-data server at a given window size (390 x 844: a phone)."""
    context = browser.new_context(base_url=live.base, java_script_enabled=javascript,
                                  accept_downloads=True,
                                  viewport={"width": width, "height": height},
                                  permissions=["clipboard-read", "clipboard-write"]
                                  if javascript else [])
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context
