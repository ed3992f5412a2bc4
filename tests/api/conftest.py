"""A live openstats server (real HTTP on loopback) loaded with EES's sample data sets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from openstats.app import create_app
from openstats.cli import KEEP_ALIVE_SECONDS
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.ees_schema import assert_matches, response_schema
from tests.conftest import REFERENCE, SAMPLES, free_port, postgres_schema, wait_until_up

# Data sets served by the test server: name -> (id, sample path without .csv)
DATA_SETS = {
    "absence": ("11111111-0000-4000-8000-000000000001", "ees-tests/absence_school"),
    "seven": ("11111111-0000-4000-8000-000000000002", "ees-tests/seven_filters"),
    "dates": ("11111111-0000-4000-8000-000000000003", "ees-tests/dates"),
    "grouped": ("11111111-0000-4000-8000-000000000004",
                "ees-tests/grouped-filters-and-indicators"),
    "demo": ("d9d4f804-df1b-48cf-a117-a8c8a4924ce0", None),
}
FUTURE_ID = "11111111-0000-4000-8000-0000000000ff"


def manifest_text(title: str, slug: str, published: str, sets: list[tuple[str, str, str]]) -> str:
    parts = [f"""
[theme]
title = "Test theme"

[publication]
title = "{title}"
slug = "{slug}"
summary = "Samples from EES's own tests, about {slug}."

[publication.contact]
team_name = "Test team"
team_email = "test@example.org"

[release]
title = "Academic year 2020/21"
type = "Official statistics"
published = {published}
"""]
    for data_set_id, name, sample in sets:
        parts.append(f"""
[[data_sets]]
id = "{data_set_id}"
title = "{name}"
summary = "The {name} sample."
data = "{SAMPLES / (sample + '.csv')}"
meta = "{SAMPLES / (sample + '.meta.csv')}"
""")
    return "".join(parts)


@dataclass
class LiveServer:
    base: str  # e.g. http://127.0.0.1:PORT
    api: str  # base + /api
    data_dir: Path

    def get(self, path: str, **kw: object) -> httpx.Response:
        return checked("get", path, httpx.get(self.api + path, timeout=30, **kw))  # type: ignore[arg-type]

    def post(self, path: str, **kw: object) -> httpx.Response:
        return checked("post", path, httpx.post(self.api + path, timeout=30, **kw))  # type: ignore[arg-type]


def checked(method: str, path: str, answer: httpx.Response) -> httpx.Response:
    """Every JSON answer in the API tests must match EES's schema for that route and status."""
    if "json" not in answer.headers.get("content-type", ""):
        return answer
    try:
        name = response_schema(path, method, answer.status_code)
    except KeyError:
        # Statuses EES's document does not list for a route (413, 415): problem details.
        name = ("ValidationProblemViewModel" if "errors" in answer.json()
                else "ProblemDetailsViewModel")
    assert_matches(answer.json(), name)
    return answer


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The live server, once with its catalogue on SQLite and once on PostgreSQL."""
    yield from start_live(tmp_path_factory, request.param)


def start_live(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[LiveServer]:
    if backend == "postgresql":
        with postgres_schema() as url:
            yield from _start_live(tmp_path_factory, url)
    else:
        yield from _start_live(tmp_path_factory, "")


def _start_live(tmp_path_factory: pytest.TempPathFactory,
                database_url: str) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("api")
    # No rate limit: these tests and the fuzzing (tests/security) send requests as fast as
    # loopback allows; the limiter has its own servers in tests/security/test_http_guards.py.
    settings = Settings(data_dir=folder / "data", database_url=database_url,
                        reference_dir=REFERENCE, rate_limit=0)
    platform = open_platform(settings)
    from openstats.demo import MANIFEST

    load_manifest(platform, MANIFEST)
    sets = [(i, name, sample) for name, (i, sample) in DATA_SETS.items() if sample]
    (folder / "samples.toml").write_text(manifest_text(
        "EES test samples", "ees-test-samples", "2024-06-13T09:30:00Z", sets))
    load_manifest(platform, folder / "samples.toml")
    (folder / "future.toml").write_text(manifest_text(
        "Embargoed statistics", "embargoed-statistics", "2099-01-01T09:30:00Z",
        [(FUTURE_ID, "Not yet", "ees-tests/tiny-two-filters")]))
    load_manifest(platform, folder / "future.toml")
    platform.close()

    yield from serve(settings)


def serve(settings: Settings) -> Iterator[LiveServer]:
    """Run the app on a free loopback port in a thread until the generator is closed."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning",
                                           # as `openstats serve`: no keep-alive race
                                           timeout_keep_alive=KEEP_ALIVE_SECONDS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base)
    try:
        yield LiveServer(base, base + "/api", settings.data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def data_set_id(name: str) -> str:
    return DATA_SETS[name][0]
