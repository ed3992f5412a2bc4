"""Real receivers on loopback for the notification tests: a webhook receiver (a tiny
http.server in a thread, answering 500 to its first `fail_first` requests) and an SMTP
server (aiosmtpd) that keeps every message it is given."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    url: str
    fail_first: int = 0
    got: list[Received] = field(default_factory=list)  # every request, failed ones too
    answered: list[int] = field(default_factory=list)

    def delivered(self) -> list[Received]:
        """The requests it answered 2xx."""
        return [r for r, status in zip(self.got, self.answered, strict=True) if status < 300]


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[WebhookReceiver]:
    port = free_port()
    receiver = WebhookReceiver(f"http://127.0.0.1:{port}/hook", fail_first)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                receiver.got.append(Received(dict(self.headers.items()), body))
                status = 500 if len(receiver.got) <= receiver.fail_first else 204
                receiver.answered.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    url: str  # what OPENSTATS_SMTP_URL is set to
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class _Keep:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802 - aiosmtpd's
                          envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.box.messages.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(*, username: str = "", password: str = "") -> Iterator[Mailbox]:
    """A real SMTP server on loopback; with `username`, it asks for that login (AUTH
    PLAIN/LOGIN over the plain connection: loopback only, a test)."""
    port = free_port()
    box = Mailbox(f"smtp://{f'{username}:{password}@' if username else ''}127.0.0.1:{port}")

    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
              auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (isinstance(auth_data, LoginPassword)
              and (auth_data.login.decode(), auth_data.password.decode()) == (username, password))
        if ok:
            box.logins.append((username, password))
        # handled=False: aiosmtpd answers a refusal with 535 itself. (Its default, True,
        # means "already answered", so a wrong password got no answer and the client
        # waited out its whole timeout.)
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = {}
    if username:
        options = {"authenticator": check, "auth_required": True,
                   "auth_require_tls": False}
    controller = Controller(_Keep(box), hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def wait_for(what: Callable[[], Any], seconds: float = 30) -> Any:
    """`what()` once it is truthy (polling; for things another thread or process does)."""
    deadline = time.monotonic() + seconds
    while True:
        found = what()
        if found:
            return found
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.1)
