"""A 500 on a page is a GOV.UK error page; the API keeps its problem+json (issue 12.15).

The fault is real: a version's files broken on disk under a running app, so that the
data-set page and the table tool fail inside. Neither answer shows the inside.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openstats.app import create_app
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.conftest import REFERENCE
from tests.security.test_errors import LEAKS

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    platform.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get(f"/data-catalogue/data-set/{DEMO}").status_code == 200
        for path in (tmp_path / "data").rglob("*.csv"):
            path.unlink()  # the files a version's page previews
        for path in (tmp_path / "data").rglob("data.parquet"):
            path.write_bytes(b"PAR1 not a parquet file any more PAR1")
        yield client


def test_a_500_on_a_page_is_a_govuk_page(broken: TestClient) -> None:
    for path in (f"/data-catalogue/data-set/{DEMO}",
                 f"/data-catalogue/data-set/{DEMO}?preview=all"):
        answer = broken.get(path)
        assert answer.status_code == 500, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "Sorry, there is a problem with the service" in answer.text
        assert 'class="govuk-header"' in answer.text  # the site's own page, navigation and all
        assert not [w for w in LEAKS if w in answer.text], path


def test_a_500_from_the_api_stays_problem_json(broken: TestClient) -> None:
    answer = broken.get(f"/api/v1/data-sets/{DEMO}/query")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == 500 and body["title"] and body["type"].startswith("https://")
    assert not [w for w in LEAKS if w in answer.text]
