"""axe-core on every page type: no serious or critical accessibility violations.

Lesser findings (moderate, minor) are printed, not failed; run with `-s` to see them.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import blocking, describe, run_axe
from tests.browser.pages import PAGE_TYPES


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_no_serious_axe_violations(page: Page, name: str) -> None:
    path, status = PAGE_TYPES[name]
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response)
    page.wait_for_load_state("networkidle")
    violations = run_axe(page)
    print(f"\naxe on {name} ({path}):\n{describe(violations)}")
    serious = blocking(violations)
    assert serious == [], f"axe on {path}:\n{describe(serious)}"


@pytest.mark.parametrize("name", [n for n in PAGE_TYPES if n != "api-docs"])
def test_skip_link_is_first_and_reaches_main(page: Page, name: str) -> None:
    """The first Tab shows 'Skip to main content'; following it moves focus to <main>."""
    page.goto(PAGE_TYPES[name][0])
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_one_h1_and_a_title(page: Page, name: str) -> None:
    page.goto(PAGE_TYPES[name][0])
    expect(page.locator("h1")).to_have_count(1)
    assert page.title().strip(), "empty <title>"
    assert page.locator("html").get_attribute("lang") == "en"
