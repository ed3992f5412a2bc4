"""The "What changed in this version" section of the data-set page and the release
page's updates, for the demo amended with a few changed, added and removed rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from openstats.app import create_app
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.test_diffs import DS, amended_data, manifest_with
from tests.conftest import REFERENCE
from tests.support.inprocess import InProcessClient
from tests.web.html_table import read_table

PAGE = f"/data-catalogue/data-set/{DS}"
RELEASE = "/find-statistics/children-in-need-a-focus-on-re-referrals/2024"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    folder = tmp_path_factory.mktemp("what-changed")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    load_manifest(platform, manifest_with(Path(folder) / "amend", "amended", amended_data()))
    platform.close()
    with InProcessClient(create_app(settings)) as c:
        yield c


def test_data_set_page_says_what_changed(client: InProcessClient) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'href="#what-changed">What changed in this version</a>' in page.text
    assert ("Compared with version 1.0: 2 observations added, 1 removed and 2 changed"
            in page.text)
    table = read_table(page.text, "what-changed-table")
    head = [c.text for c in table.head[0]]
    assert head[:5] == ["Change", "Time period", "Location", "Highest level of intervention",
                        "Referral type"]
    assert head[5:7] == ["Referrals (version 1.0)", "Referrals (version 1.1)"]
    rows = [[c.text for c in r] for r in table.body]
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        ("Added", "2017", "2. Assessed as not in need", "Within 12 months"),
        ("Added", "2018", "5. ICPC", "Total"),
        ("Removed", "2017", "2. Assessed as not in need", "Total"),
        ("Changed", "2017", "1. No futher action", "Total"),
        ("Changed", "2017", "3. CINO", "Total")]
    assert rows[3][5:7] == ["141760", "141761"] and rows[4][7:9] == ["33.2", "c"]


def test_the_csv_link_is_stable_and_downloads_the_diff(client: InProcessClient) -> None:
    page = client.get(PAGE).text
    link = f"/api/v1/data-sets/{DS}/versions/1.1/diff/csv?from=1.0"
    assert f'href="{link}"' in page
    answer = client.get(link)
    assert answer.status_code == 200
    assert "immutable" in answer.headers["cache-control"]  # both versions named: never changes
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["change"] for r in rows] == ["added", "added", "removed", "changed", "changed"]


def test_a_first_version_has_no_such_section(client: InProcessClient) -> None:
    page = client.get(PAGE, params={"version": "1.0"})
    assert page.status_code == 200 and 'id="what-changed"' not in page.text


def test_release_updates_link_to_what_changed(client: InProcessClient) -> None:
    page = client.get(RELEASE)
    assert page.status_code == 200
    updates = page.text[page.text.index('id="updates"'):]
    assert "What changed in the data" in updates
    assert "version 1.1 compared with 1.0: 2 observations added, 1 removed and 2 changed" in (
        updates)
    assert f'href="{PAGE}?version=1.1#what-changed"' in updates
    assert f"/api/v1/data-sets/{DS}/versions/1.1/diff/csv?from=1.0" in updates
