"""Fixtures of the security tests: a live server whose published text is all attacks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openstats.catalogue import accounts
from openstats.platform import open_platform
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person
from tests.api.conftest import LiveServer, live, serve  # noqa: F401 (live: the API tests' server)
from tests.conftest import REFERENCE
from tests.security.hostile import write_release

ADMIN = "admin@example.org"


@pytest.fixture(scope="package")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The hostile release (tests/security/hostile.py) on a live server, plus an admin."""
    from openstats.ingest.manifest import load_manifest

    folder = tmp_path_factory.mktemp("hostile")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, write_release(folder / "files"))
    accounts.create_user(platform.catalogue, ADMIN, PASSWORD, "admin")
    platform.close()
    yield from serve(settings)


@pytest.fixture
def admin(hostile: LiveServer) -> Person:
    person = Person(hostile.base)
    assert person.sign_in(ADMIN).status_code == 303
    return person
