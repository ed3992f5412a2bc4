"""Redirects whose target comes from a form or a query go only to pages of /admin.

The rule (openstats.urls.admin_target) on its own, then through the routes that take a
target: sign-in's `next` and the data-set forms' `back`, in process.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openstats.catalogue import accounts
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from openstats.urls import admin_target, is_same_site
from tests.admin.helpers import PASSWORD, in_process
from tests.conftest import REFERENCE

DEMO_ID = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
OFF_SITE = (
    "https://evil.example/x", "http://evil.example", "HTTPS://evil.example", "//evil.example",
    "///evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
    " //evil.example", "\t//evil.example", "/\t/evil.example", "/\n/evil.example",
    "%2F%2Fevil.example", "/%2Fevil.example", "/%5Cevil.example", "javascript:alert(1)",
    "data:text/html,x", "mailto:a@evil.example",
)
NOT_ADMIN = (
    "/admin@evil.example", "/admin.evil.example", "/adminx", "/", "/find-statistics",
    "/admin/../find-statistics", "/admin/%2e%2e/%2e%2e//evil.example", "/admin/./x",
    "/admin\\..\\x", "/admin/ x", "/admin/x\r\nLocation: https://evil.example", "",
    "admin", "../admin",
)
GOOD = ("/admin", "/admin/", "/admin/releases/1234", "/admin/releases/1234?tab=data#ds",
        "/admin/publications/abc-def")


@pytest.mark.parametrize("target", OFF_SITE + NOT_ADMIN)
def test_targets_off_the_publishing_side_become_admin(target: str) -> None:
    assert admin_target(target) == "/admin"


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_references_are_recognised(target: str) -> None:
    assert not is_same_site(target)


@pytest.mark.parametrize("target", GOOD)
def test_pages_of_the_publishing_side_are_kept(target: str) -> None:
    assert admin_target(target) == target


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder: Path = tmp_path_factory.mktemp("redirects")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        scheduler_seconds=0)
    platform = open_platform(settings)
    accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    load_manifest(platform, MANIFEST)
    platform.close()
    with in_process(settings) as browser:
        admin = browser()
        assert admin.sign_in("admin@example.org").status_code == 303
        yield browser, admin


@pytest.mark.parametrize("target", OFF_SITE + NOT_ADMIN[:4])
def test_data_set_forms_send_back_only_to_their_release(site: Any, target: str) -> None:
    """The data-set forms take no target at all: whatever `back` says, the answer is the
    release's own page (a form cannot be turned into a redirect off the site)."""
    _, admin = site
    release = site_release(admin)
    details = admin.post(f"{release}/data-sets/{DEMO_ID}/details", {
        "title": "E1. Re-referrals by level of intervention by CSC, 2017-23",
        "summary": "Unchanged.", "back": target}, token_from=release)
    assert details.status_code == 303 and details.headers["location"] == release
    footnote = admin.post(f"{release}/data-sets/{DEMO_ID}/footnotes", {
        "text": "A footnote.", "target": "", "back": target}, token_from=release)
    assert footnote.status_code == 303 and footnote.headers["location"] == release


def site_release(admin: Any) -> str:
    """The demo release's page in the publishing side, with an amendment started (its
    data-set forms are for a version being written)."""
    pages = admin.get("/admin").text
    publication = re.search(r'href="(/admin/publications/[^"]+)"', pages)
    assert publication
    release = re.search(r'href="(/admin/releases/[^"]+)"', admin.get(publication.group(1)).text)
    assert release
    answer = admin.post(f"{release.group(1)}/amend", token_from=release.group(1))
    assert answer.status_code in (303, 409)  # started now, or by an earlier test
    return release.group(1)


@pytest.mark.parametrize("target", OFF_SITE[:6] + NOT_ADMIN[:2])
def test_sign_in_goes_next_only_to_admin_pages(site: Any, target: str) -> None:
    browser, _ = site
    person = browser()
    form = person.client.get("/admin/login", params={"next": target})
    assert 'name="next" value="/admin"' in form.text
    answer = person.client.post("/admin/login", data={
        "csrf_token": person.token(), "email": "admin@example.org", "password": PASSWORD,
        "next": target})
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
