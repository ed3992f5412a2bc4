"""Each S3 request is tried OPENSTATS_S3_ATTEMPTS times in all, the first and its retries
(settings.py, docs/deployment.md), and a readiness probe once: against a loopback S3
endpoint of the test's own that answers every request 500, counting them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from openstats.errors import OpenstatsError
from openstats.storage.s3 import S3Storage
from tests.conftest import S3_ENV

ERROR = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
         b"<Message>We encountered an internal error. Please try again.</Message></Error>")


class Failing(ThreadingHTTPServer):
    """Answers every request 500 InternalError (retryable), and counts them."""

    def __init__(self) -> None:
        self.requests = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                with server.lock:
                    server.requests += 1
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                self.send_response(500)
                self.send_header("content-type", "application/xml")
                self.send_header("content-length", str(len(ERROR)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(ERROR)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = answer  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Failing]:
    for k, v in S3_ENV.items():
        monkeypatch.setenv(k, v)
    server = Failing()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("attempts", [1, 3])
def test_each_request_is_tried_the_set_number_of_times_in_all(
        failing: Failing, tmp_path: Path, attempts: int) -> None:
    storage = S3Storage("bucket", "stats/", cache=tmp_path, endpoint_url=failing.url,
                        timeout=5, attempts=attempts)
    with pytest.raises(OpenstatsError):
        storage.confirm(["some-version"])  # one request: HEAD of its marker
    assert failing.requests == attempts
    failing.requests = 0
    with pytest.raises(OpenstatsError):
        storage.check()  # the readiness probe: a quick answer, no retries
    assert failing.requests == 1
