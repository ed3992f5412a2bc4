"""The real site (tests/support/real_site.py) for the quality and location pages' tests,
loaded once per session, with the in-process client and platform both files read it by."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openstats.app import create_app
from openstats.platform import Platform, open_platform
from openstats.settings import Settings
from tests.support.inprocess import InProcessClient
from tests.support.real_site import build_real_site


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_real_site(tmp_path_factory.mktemp("real-site"))


@pytest.fixture(scope="module")
def client(real_site: Settings) -> Iterator[InProcessClient]:
    with InProcessClient(create_app(real_site)) as c:
        yield c


@pytest.fixture(scope="module")
def platform(real_site: Settings) -> Iterator[Platform]:
    p = open_platform(real_site)
    yield p
    p.close()
