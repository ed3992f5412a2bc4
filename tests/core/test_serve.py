"""The demo over real HTTP: `openstats load-demo` then `openstats serve`, as `make serve` does."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REFERENCE, free_port
from tests.ops.helpers import openstats

DEMO_ID = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
IDLE = 6.5  # seconds: longer than httpx keeps an idle connection (5 s)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("serve") / "data"
    env = {**os.environ, "OPENSTATS_REFERENCE_DIR": str(REFERENCE)}
    subprocess.run(openstats("load-demo", "--data-dir", str(data_dir)), check=True, env=env)
    port = free_port()
    proc = subprocess.Popen(openstats("serve", "--port", str(port), "--data-dir",
                                      str(data_dir)), env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module", autouse=True)
def idle_connection(server: str) -> Iterator[tuple[socket.socket, bytes, float]]:
    """A connection that has had one answer as the server came up, then is left idle while
    the file's other tests run: the test of it waits out only the rest of IDLE.
    (The connection, the request to send again, when it went idle.)"""
    host, port = server.removeprefix("http://").split(":")
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        answer = read_response(conn)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        yield conn, request, time.monotonic()


def test_healthz(server: str) -> None:
    answer = httpx.get(f"{server}/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_seed_data_set_page(server: str) -> None:
    page = httpx.get(f"{server}/data-catalogue/data-set/{DEMO_ID}")
    assert page.status_code == 200
    html = page.text
    assert ">E1. Re-referrals by level of intervention by CSC, 2017-23</h1>" in html
    for text in ("Children&#39;s social care", "Children in need: A focus on re-referrals",
                 "Reporting year 2024", "National", "Referrals", "Percent",
                 "Highest level of intervention", "Referral type",
                 "Children&#39;s Social Care Analysis and Research",
                 "Bruce.GOLDING@education.gov.uk", "Contact name: Bruce Golding"):
        assert text in html, text


@pytest.mark.parametrize("path", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_data_set_is_404(server: str, path: str) -> None:
    assert httpx.get(f"{server}/data-catalogue/data-set/{path}").status_code == 404


def test_load_demo_twice_is_harmless(tmp_path: Path) -> None:
    env = {**os.environ, "OPENSTATS_REFERENCE_DIR": str(REFERENCE)}
    for expected in ("new version 1.0", "unchanged 1.0"):
        done = subprocess.run(openstats("load-demo", "--data-dir", str(tmp_path)), env=env,
                              capture_output=True, text=True, check=True)
        assert expected in done.stdout


def test_idle_connection_outlives_the_clients_keep_alive(
        idle_connection: tuple[socket.socket, bytes, float]) -> None:
    """A connection left idle for longer than httpx keeps one (5 s) still answers.

    Clients reuse idle connections until their own expiry; a server that closes sooner
    races them, and the request sent as it closes is lost ("server disconnected without
    sending a response"). With uvicorn's default of 5 s this fails: the second request
    reads an empty answer.
    """
    conn, request, idle_since = idle_connection
    time.sleep(max(0.0, idle_since + IDLE - time.monotonic()))
    assert time.monotonic() - idle_since >= IDLE
    conn.sendall(request)
    answer = read_response(conn)
    assert answer.startswith(b"HTTP/1.1 200"), answer


def read_response(conn: socket.socket) -> bytes:
    """One whole HTTP response (headers and its Content-Length of body), or what came
    before the server closed the connection. A single recv may return part of it, and
    the rest would then be read as the next request's answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
