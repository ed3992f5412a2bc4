"""`openstats serve` in production: workers, metrics summed over them, JSON logs with
request ids, a graceful SIGTERM, and readiness that names what is down."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from openstats.settings import Settings
from tests.api.conftest import serve
from tests.conftest import REFERENCE
from tests.ops.helpers import Server, environment, openstats, start

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("serving") / "data"
    subprocess.run(openstats("load-demo", "--data-dir", str(data_dir)), check=True,
                   env=environment(), capture_output=True, timeout=180)
    return data_dir


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus' text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        found = re.fullmatch(r"([^{]+)(?:\{(.*)\})?", sample)
        if found and found.group(1) == name and ",".join(
                sorted((found.group(2) or "").split(","))) == wanted:
            return float(value)
    return 0.0


def test_workers_share_metrics_and_write_json_logs(demo_dir: Path, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = environment(OPENSTATS_DATA_DIR=str(demo_dir),
                      PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    server = start(tmp_path, "workers", env, "--workers", "2")
    try:
        print(f"\n2 workers ready in {server.wait_ready():.2f} s")
        route = "/api/v1/data-sets/{dataSetId}"
        asked = 30
        for _ in range(asked):  # a new connection each: the workers share them out
            assert httpx.get(f"{server.base}/api/v1/data-sets/{DEMO}").status_code == 200
        query = f"{server.base}/api/v1/data-sets/{DEMO}/query?geographicLevels.eq=NAT"
        for _ in range(4):
            assert httpx.get(query).status_code == 200
        mine = httpx.get(f"{server.base}/api/v1/data-sets/{DEMO}",
                         headers={"X-Request-ID": "deploy-check-42"})
        theirs = httpx.get(f"{server.base}/api/v1/data-sets/{DEMO}",
                           headers={"X-Request-ID": "bad id\twith spaces"})
        assert mine.headers["x-request-id"] == "deploy-check-42"
        assert re.fullmatch(r"[0-9a-f]{32}", theirs.headers["x-request-id"])
        # Both workers write their own files; any one answering /metrics adds them all up.
        pids = {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("*.db")}
        assert len(pids) == 2, pids
        for _ in range(4):
            text = httpx.get(f"{server.base}/metrics").text
            assert metric(text, "openstats_http_requests_total", method="GET", route=route,
                          status="200") == asked + 2
            hits = metric(text, "openstats_query_answer_cache_total", result="hit")
            misses = metric(text, "openstats_query_answer_cache_total", result="miss")
            assert hits + misses == 4 and 1 <= misses <= 2  # one miss per worker at most
            assert metric(text, "openstats_query_duration_seconds_count") == misses
            assert metric(text, "openstats_http_request_duration_seconds_count",
                          method="GET", route=route) == asked + 2
        assert f"/api/v1/data-sets/{DEMO}\"" not in text  # raw paths are never labels
    finally:
        server.stop()
    lines = server.log_lines()  # every line of standard output is one JSON object
    [access] = [line for line in lines if line.get("request_id") == "deploy-check-42"]
    assert access["method"] == "GET" and access["route"] == route
    assert access["status"] == 200 and access["duration_ms"] > 0
    assert access["level"] == "info" and access["time"].endswith("Z")
    assert access["message"] == f"GET /api/v1/data-sets/{DEMO} 200"
    assert [line["message"] for line in lines].count("scheduler stopped") == 2


def test_sigterm_lets_a_request_in_flight_finish(demo_dir: Path, tmp_path: Path) -> None:
    server = start(tmp_path, "graceful", environment(OPENSTATS_DATA_DIR=str(demo_dir)))
    try:
        server.wait_ready()
        answer = _request_across_sigterm(server)
        server.process.wait(timeout=30)
    finally:
        server.stop()
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head  # the request in flight got its answer
    assert json.loads(content)["paging"]["totalResults"] > 0
    messages = [line["message"] for line in server.log_lines()]
    assert "scheduler stopped" in messages and "Application shutdown complete." in messages


def _request_across_sigterm(server: Server) -> bytes:
    body = json.dumps({"criteria": {"geographicLevels": {"eq": "NAT"}}}).encode()
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        # The request has begun (headers sent) but its body is still on its way...
        conn.sendall(f"POST /api/v1/data-sets/{DEMO}/query HTTP/1.1\r\nHost: {host}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                     "\r\n".encode())
        time.sleep(0.5)
        server.process.terminate()  # SIGTERM
        deadline = time.monotonic() + 20
        while True:  # ...when the server stops taking new connections,
            try:
                httpx.get(f"{server.base}/healthz", timeout=1)
            except httpx.TransportError:
                break
            assert time.monotonic() < deadline, "still accepting after SIGTERM"
            time.sleep(0.1)
        assert server.process.poll() is None  # yet it waits for the request in flight
        conn.sendall(body)
        answer = b""
        while chunk := conn.recv(65536):  # read to the end: the server closes when done
            answer += chunk
    return answer


class Proxy:
    """A loopback TCP forwarder to PostgreSQL that can be cut: a database that goes away."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.open = True
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket,
              passed: Callable[[int], None] | None = None) -> None:
        """Forward until either side closes; `passed` hears of each chunk's size."""
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                if passed is not None:
                    passed(len(data))
        except OSError:
            pass
        finally:
            # Both ends go: shut down (so the other direction's thread wakes and ends too),
            # then closed (a socket object left to the garbage collector warns).
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def cut(self) -> None:
        """Refuse new connections and break every open one."""
        self.open = False
        self.thread.join(timeout=5)
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@pytest.fixture
def proxied_postgres(postgres_url: str) -> Iterator[tuple[str, Proxy]]:
    proxy = Proxy()
    try:
        yield postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), proxy
    finally:
        if proxy.open:
            proxy.cut()


def test_readyz_says_what_is_down(proxied_postgres: tuple[str, Proxy], tmp_path: Path) -> None:
    url, proxy = proxied_postgres
    settings = Settings(data_dir=tmp_path / "data", database_url=url, reference_dir=REFERENCE)
    for live in serve(settings):
        ready = httpx.get(f"{live.base}/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready",
                                "checks": {"database": "ok", "storage": "ok"}}
        (tmp_path / "data" / "files").rename(tmp_path / "data" / "moved")
        down = httpx.get(f"{live.base}/readyz")
        assert down.status_code == 503 and down.json()["failed"] == ["storage"]
        (tmp_path / "data" / "moved").rename(tmp_path / "data" / "files")
        proxy.cut()
        down = httpx.get(f"{live.base}/readyz", timeout=30)
        assert down.status_code == 503, down.text
        assert down.json()["status"] == "unavailable" and down.json()["failed"] == ["database"]
        assert down.json()["checks"]["storage"] == "ok"
        assert down.json()["checks"]["database"].startswith("unreachable")
        alive = httpx.get(f"{live.base}/healthz", timeout=30)  # alive, though not ready
        assert alive.status_code == 200 and alive.json()["data_sets"] is None
