"""Fixtures of the security tests: a live server whose published text is all attacks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.admin.helpers import Person
from tests.api.conftest import LiveServer, live, serve  # noqa: F401 (live: the API tests' server)
from tests.security.hostile import hostile_settings

ADMIN = "admin@example.org"


@pytest.fixture(scope="package")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The hostile release (tests/security/hostile.py) on a live server, plus an admin."""
    yield from serve(hostile_settings(tmp_path_factory.mktemp("hostile"), ADMIN))


@pytest.fixture
def admin(hostile: LiveServer) -> Person:
    person = Person(hostile.base)
    assert person.sign_in(ADMIN).status_code == 303
    return person
