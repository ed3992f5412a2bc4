"""Object storage that hangs or goes down in the middle of an upload (issue 12, finding 14).

A moto S3 server of the test's own, reached through a loopback forwarder that counts the
bytes sent to it: once 5 MB of a 26 MB import's upload have passed, the server is
stopped (SIGSTOP: it hangs, every request times out) or killed (SIGKILL: refused), and
later continued or started again. Meanwhile a running app keeps serving the versions it
has cached; the import fails with one clear line and leaves nothing half-stored (no
catalogue row, no staging folder, and its objects are taken back once the store answers);
the same import then succeeds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openstats.app import create_app
from openstats.catalogue import data_sets
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.conftest import REFERENCE, S3_ENV, S3Server, free_port
from tests.faults.test_disk_full import big_pair  # noqa: F401 - a fixture
from tests.ops.helpers import environment, openstats
from tests.ops.test_serving import Proxy

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
TRIGGER = 5 * 1024 * 1024  # bytes of upload through the forwarder before the fault


def start_moto(port: int, log: Path) -> S3Server:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **S3_ENV})
    server = S3Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while True:
        try:
            server.client().list_buckets()
            return server
        except Exception:  # noqa: BLE001 - not listening yet
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


class Forwarder:
    """Loopback TCP forwarding to `port`; calls `fault` once after TRIGGER bytes upstream."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sent = 0
        self.fault: Callable[[], None] | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            except OSError:
                client.close()  # the store is down: refused, as it would be
                continue
            upstream.settimeout(None)
            threading.Thread(target=Proxy._pipe, args=(client, upstream, self._count),
                             daemon=True).start()
            threading.Thread(target=Proxy._pipe, args=(upstream, client),
                             daemon=True).start()

    def _count(self, n: int) -> None:
        with self._lock:
            self.sent += n
            fault, fire = self.fault, self.fault is not None and self.sent > TRIGGER
            if fire:
                self.fault = None
        if fire and fault is not None:
            fault()

    def arm(self, fault: Callable[[], None]) -> None:
        with self._lock:
            self.sent, self.fault = 0, fault


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[S3Server, Forwarder]]:
    for k, v in S3_ENV.items():
        monkeypatch.setenv(k, v)
    port = free_port()
    server = start_moto(port, tmp_path / "moto.log")
    forwarder = Forwarder(port)
    try:
        yield server, forwarder
    finally:
        for p in (server.process,):
            if p.poll() is None:
                os.kill(p.pid, signal.SIGCONT)
                p.kill()
                p.wait()
        forwarder.listener.close()


# Each request waits 2 s for an answer and is tried twice (a first retry, with its back-off):
# a hanging or absent store then fails an import in seconds, not the minutes of the
# defaults (60 s, 5 attempts), and every failure path is the same.
TIMEOUT, ATTEMPTS = 2, 2


def world(tmp_path: Path, server: S3Server, forwarder: Forwarder) -> tuple[Settings, str]:
    bucket = server.new_bucket()
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE,
                        storage_url=f"s3://{bucket}/stats", s3_endpoint_url=forwarder.address,
                        s3_timeout=TIMEOUT, s3_attempts=ATTEMPTS)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)  # cached here: its build is the cached copy
    platform.close()
    return settings, bucket


def run_import(settings: Settings, data: Path, meta: Path) -> subprocess.CompletedProcess[str]:
    env = environment(**S3_ENV, OPENSTATS_STORAGE_URL=settings.storage_url,
                      OPENSTATS_S3_ENDPOINT_URL=settings.s3_endpoint_url,
                      OPENSTATS_S3_TIMEOUT=str(TIMEOUT), OPENSTATS_S3_ATTEMPTS=str(ATTEMPTS))
    return subprocess.run(openstats("import", str(data), str(meta), "--data-dir",
                                    str(settings.data_dir)),
                          env=env, capture_output=True, text=True, timeout=600)


def versions(settings: Settings) -> set[str]:
    platform = open_platform(settings)
    with platform.catalogue.connect() as conn:
        keys = data_sets.storage_keys(conn)
    platform.close()
    return keys


def check_failed_cleanly(done: subprocess.CompletedProcess[str], settings: Settings,
                         before: set[str]) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "uploading version" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert versions(settings) == before  # nothing recorded
    assert list((settings.data_dir / "files" / "staging").iterdir()) == []


def stored_keys(server: S3Server, bucket: str) -> set[str]:
    return {k.split("/")[2] for k in server.keys(bucket, "stats/versions/")}


def test_a_store_that_hangs_mid_upload(tmp_path: Path, store: tuple[S3Server, Forwarder],
                                      big_pair: tuple[Path, Path]) -> None:  # noqa: F811
    server, forwarder = store
    settings, bucket = world(tmp_path, server, forwarder)
    before = versions(settings)
    with TestClient(create_app(settings)) as app:
        assert app.get(f"/data-catalogue/data-set/{DEMO}").status_code == 200
        forwarder.arm(lambda: os.kill(server.process.pid, signal.SIGSTOP))
        done = run_import(settings, *big_pair)
        check_failed_cleanly(done, settings, before)
        # Stopped still: the cached version is served all the same.
        for path in (f"/data-catalogue/data-set/{DEMO}", f"/api/v1/data-sets/{DEMO}/query",
                     f"/api/v1/data-sets/{DEMO}/csv", "/"):
            assert app.get(path).status_code == 200, path
        os.kill(server.process.pid, signal.SIGCONT)
        again = run_import(settings, *big_pair)
        assert again.returncode == 0, again.stderr
    # Only recorded versions are in the bucket: the failed upload's objects were taken
    # back by the next import, once the store answered.
    assert stored_keys(server, bucket) == versions(settings)
    assert list((settings.data_dir / "files" / "s3-abandoned").iterdir()) == []


def test_a_store_that_goes_down_mid_upload_and_comes_back(
        tmp_path: Path, store: tuple[S3Server, Forwarder],
        big_pair: tuple[Path, Path]) -> None:  # noqa: F811
    server, forwarder = store
    settings, bucket = world(tmp_path, server, forwarder)
    before = versions(settings)
    # A replica sharing the catalogue, with nothing cached.
    cold = replace(settings, data_dir=tmp_path / "cold",
                   database_url=f"sqlite:///{settings.data_dir / 'catalogue.sqlite'}")
    with TestClient(create_app(settings)) as app, TestClient(create_app(cold)) as fresh:
        forwarder.arm(server.process.kill)
        done = run_import(settings, *big_pair)
        check_failed_cleanly(done, settings, before)
        assert server.process.wait(timeout=30) is not None
        assert app.get(f"/api/v1/data-sets/{DEMO}/query").status_code == 200
        assert app.get(f"/data-catalogue/data-set/{DEMO}").status_code == 200
        # A replica with nothing cached cannot read the files: it says so, with a 503.
        page = fresh.get(f"/data-catalogue/data-set/{DEMO}")
        assert page.status_code == 503 and page.headers["retry-after"]
        assert "file store" in page.text and "govuk-heading-l" in page.text
        api = fresh.get(f"/api/v1/data-sets/{DEMO}/query")
        assert api.status_code == 503 and api.json()["status"] == 503
        # Back (moto keeps nothing across a restart: the bucket is made again).
        restarted = start_moto(forwarder.port, tmp_path / "moto.log")
        store_processes = restarted.process
        try:
            restarted.client().create_bucket(Bucket=bucket)
            again = run_import(settings, *big_pair)
            assert again.returncode == 0, again.stderr
            assert app.get(f"/api/v1/data-sets/{DEMO}/query").status_code == 200
        finally:
            store_processes.kill()
            store_processes.wait()
