"""Shared fixtures: where ../shared is, real catalogue stores on SQLite and PostgreSQL, and a
real S3-compatible server (moto's standalone server) on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The cheapest argon2 cost for every password this suite hashes, in this process and in
# the servers and commands it starts (they inherit the environment): the strong default
# takes about half a second a hash and the tests sign in thousands of times. Set before
# anything imports openstats.catalogue.accounts, which reads it once.
# tests/catalogue/test_passwords.py checks that the default stays strong.
os.environ.update({"OPENSTATS_ARGON2_TIME_COST": "1", "OPENSTATS_ARGON2_MEMORY_KIB": "8",
                   "OPENSTATS_ARGON2_PARALLELISM": "1"})

import pytest  # noqa: E402 - after the cost is set
from sqlalchemy import create_engine, text  # noqa: E402

from tests.support import tiers  # noqa: E402
from tests.support.catalogue import empty_catalogue  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPENSTATS_SHARED_DIR", REPO.parent / "shared")).resolve()
SAMPLES = SHARED / "samples"
REFERENCE = SHARED / "reference"
# PostgreSQL runs on every development and CI machine (trust auth, database `test`).
POSTGRES_URL = os.environ.get("OPENSTATS_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    assert SHARED.is_dir(), f"../shared not found at {SHARED}"
    return SHARED


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A new, empty PostgreSQL schema while the block runs: its URL (dropped afterwards)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def postgres_database(copy_of: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database on the test server while the block runs: its URL. Empty,
    or a copy of the database at `copy_of` (CREATE DATABASE ... TEMPLATE: nothing may be
    connected to that one meanwhile). Dropped afterwards, whoever is still connected."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{copy_of.rsplit("/", 1)[1]}"' if copy_of else ""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
        try:
            yield f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new catalogue with nothing in it, at the newest schema: a copy of a SQLite file
    migrated once per test process (migrating a new file costs 0.2-0.5 s, and some 150
    tests of the fast tier start from a new catalogue), or a new PostgreSQL schema, which
    its first user migrates. Tests of migrating itself use `empty_database_url`."""
    if request.param == "sqlite":
        path = tmp_path / "catalogue.sqlite"
        shutil.copyfile(empty_catalogue(), path)
        yield f"sqlite:///{path}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema in it at all: a new SQLite file, or a new PostgreSQL
    schema (for tests of migrations and of the first start)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalogue.sqlite'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """PostgreSQL only (what several processes share): a fresh, empty schema's URL."""
    with postgres_schema() as url:
        yield url


# Credentials and region for the test server, in the standard variables the app reads.
S3_ENV = {"AWS_ACCESS_KEY_ID": "openstats-test", "AWS_SECRET_ACCESS_KEY": "openstats-test",
          "AWS_DEFAULT_REGION": "us-east-1",
          # Never ask a cloud metadata service for credentials: there is no network.
          "AWS_EC2_METADATA_DISABLED": "true"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class S3Server:
    """moto's S3 server in its own process; `env` holds the settings that point at it."""

    endpoint: str
    process: subprocess.Popen[bytes]
    _client: Any = field(default=None, init=False, repr=False)
    _client_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                         repr=False)

    def client(self) -> Any:
        """The tests' own client of this server, made at the first call and kept (boto3's
        clients are thread-safe): a new session and client cost some 85 ms of CPU, and
        the tests ask for one at each listing of a bucket."""
        import boto3

        with self._client_lock:
            if self._client is None:
                self._client = boto3.session.Session().client("s3", endpoint_url=self.endpoint)
            return self._client

    def new_bucket(self) -> str:
        name = f"openstats-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def env(self, bucket: str, prefix: str = "") -> dict[str, str]:
        return {**S3_ENV, "OPENSTATS_STORAGE_URL": f"s3://{bucket}/{prefix}".rstrip("/"),
                "OPENSTATS_S3_ENDPOINT_URL": self.endpoint}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 API on a free loopback port for the whole session; each test makes buckets."""
    saved = {k: os.environ.get(k) for k in S3_ENV}
    os.environ.update(S3_ENV)  # boto3 in this process (the app under test) reads these
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ})
    server = S3Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.client().list_buckets()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new empty bucket on the session's server."""
    return s3_server.new_bucket()


def wait_until_up(base: str, seconds: float = 30.0) -> None:
    """Wait for a server on `base` to answer /healthz with 200; fail the test if it never does."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    # One client for all the looks: httpx.get makes a client, and with it an SSL context
    # from the CA bundle, for each request (some 25 ms of CPU, every 50 ms of the wait).
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            try:
                if client.get(base + "/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(f"no server answered {base}/healthz within {seconds:g} s")


# --- the two tiers (tests/support/tiers.py): `make check` runs what is not `system` --------
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With `-m "not system"` (`make check`), the folders whose every test is system tier
    are not even imported: each worker would import them (Playwright and all) and analyse
    their tests only to deselect them."""
    if (config.getoption("markexpr") == "not system"
            and collection_path.parent == tiers.TESTS
            and collection_path.name in tiers.SYSTEM_FOLDERS):
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    system_files = set()
    for item in items:
        if tiers.is_system(item):
            item.add_marker(pytest.mark.system)
            system_files.add(item.path)
    # Files with system tests first, each file's tests in their own order: under
    # `make test` (xdist, --dist loadfile --no-loadscope-reorder) the workers take files in
    # this order, so the long ones (crash, load, browsers: 30-100 s each) start at once and
    # the many short fast-tier files fill the gaps at the end. xdist's own order, most tests
    # first, left the one-test load file and the two-test embargo file to the end, and one
    # worker ran ~50 s after the others had finished.
    items.sort(key=lambda item: item.path not in system_files)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("system"):
        return (yield)
    with tiers.guard():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("system"):
        return (yield)
    with tiers.guard():
        return (yield)
