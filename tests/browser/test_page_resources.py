"""Every page type loads all its stylesheets, scripts, fonts and images, without script errors."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Request, Response

from tests.browser.pages import PAGE_TYPES


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_sub_resources_load_and_scripts_run(page: Page, name: str) -> None:
    path, _ = PAGE_TYPES[name]
    problems: set[str] = set()

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            problems.add(f"{response.status} {response.request.resource_type} "
                         f"{urlparse(response.url).path}")

    def on_failed(request: Request) -> None:
        if request.resource_type != "document" and request.failure != "net::ERR_ABORTED":
            problems.add(f"failed {request.resource_type} {urlparse(request.url).path}: "
                         f"{request.failure}")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on("pageerror", lambda e: problems.add(f"script error: {e}"))
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert sorted(problems) == [], f"{path}:\n" + "\n".join(sorted(problems))
    if name != "api-docs":
        # GOV.UK Frontend's JavaScript ran (it marks the body as supported).
        assert "govuk-frontend-supported" in (page.locator("body").get_attribute("class") or "")
