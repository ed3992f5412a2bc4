"""No empty tables, in a real browser: the filters step of a data set with gaps, with and
without JavaScript, greys out what has no data, and stays accessible (axe)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.api.conftest import LiveServer
from tests.browser.axe import blocking, describe, run_axe
from tests.browser.conftest import _context
from tests.support.open_data import GAPS, open_data_site


@pytest.fixture(scope="module")
def gaps_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from open_data_site(tmp_path_factory.mktemp("gaps-browser"))


@pytest.mark.parametrize("javascript", [True, False])
def test_filters_step_greys_out_options_without_data(browser: Browser, gaps_site: LiveServer,
                                                     javascript: bool) -> None:
    meta = httpx.get(f"{gaps_site.api}/v1/data-sets/{GAPS}/meta").json()
    england = meta["locations"][0]["options"][0]["id"]
    context = _context(browser, gaps_site.base, javascript=javascript)
    try:
        page = context.new_page()
        page.goto(f"/data-tables?dataSetId={GAPS}&locations={england}"
                  "&start=2020|CY&end=2021|CY&step=filters")
        expect(page.get_by_label("Green")).to_be_disabled()
        expect(page.get_by_label("Blue")).to_be_enabled()
        expect(page.get_by_label("Score")).to_be_disabled()
        # Ticking what is offered and going on makes a table with data.
        page.get_by_label("Blue").check()
        page.get_by_label("Number of pupils").check()
        page.get_by_role("button", name="Create table").click()
        expect(page.locator("table").first).to_contain_text("10")
        page.go_back()
        serious = blocking(run_axe(page)) if javascript else []
        assert serious == [], describe(serious)
    finally:
        context.close()
