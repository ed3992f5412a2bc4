"""Real receivers on loopback for the notification tests: a webhook receiver (a tiny
http.server in a thread, answering 500 to its first `fail_first` requests) and an SMTP
server (aiosmtpd) that keeps every message it is given, optionally with STARTTLS under a
certificate authority made for the test (`loopback_ca`)."""

from __future__ import annotations

import email
import email.policy
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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


@dataclass(frozen=True)
class LoopbackCa:
    ca_file: Path  # the authority's certificate: what OPENSTATS_SMTP_CA_FILE names
    server: ssl.SSLContext  # a server context with a certificate for 127.0.0.1 it signed


def loopback_ca(folder: Path) -> LoopbackCa:
    """A certificate authority made now, and a server certificate for 127.0.0.1 signed by
    it (so a client that trusts only the authority verifies the server, name included)."""
    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def signed(builder: x509.CertificateBuilder, public: Any, key: Any) -> x509.Certificate:
        start = datetime.now(UTC) - timedelta(minutes=5)
        return (builder.public_key(public).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + timedelta(days=1))
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
                .sign(key, hashes.SHA256()))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = signed(x509.CertificateBuilder().subject_name(name("openstats test CA"))
                .issuer_name(name("openstats test CA"))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                             False, False), True),
                ca_key.public_key(), ca_key)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = signed(x509.CertificateBuilder().subject_name(name("127.0.0.1"))
                  .issuer_name(ca.subject)
                  .add_extension(x509.SubjectAlternativeName(
                      [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
                  .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                      ca_key.public_key()), False),
                  key.public_key(), ca_key)
    folder.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return LoopbackCa(ca_file, server)


@contextmanager
def smtp_server(*, username: str = "", password: str = "",
                starttls: ssl.SSLContext | None = None) -> Iterator[Mailbox]:
    """A real SMTP server on loopback; with `username`, it asks for that login (AUTH
    PLAIN/LOGIN, over the plain connection unless `starttls` is given: then the server
    offers STARTTLS with that context, requires it, and allows AUTH only after it)."""
    port = free_port()
    login = f"{username}:{password}@" if username else ""
    box = Mailbox(f"smtp://{login}127.0.0.1:{port}{'?starttls=true' if starttls else ''}")

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
                   "auth_require_tls": starttls is not None}
    if starttls is not None:
        options |= {"tls_context": starttls, "require_starttls": True}
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
