"""One ASGI layer around the whole app for what every answer needs, whatever route gives it.

- Security headers on every response: a Content-Security-Policy with no 'unsafe-inline'
  (our pages load scripts and styles from /static only), nosniff, no framing, a referrer
  policy and a permissions policy; HSTS when the request came over HTTPS. A header a
  route has set itself is left alone.
- Limits on request bodies: a data-file upload may be large (`max_upload_bytes`), anything
  else is small (`max_body_bytes`). A declared Content-Length over the limit is refused
  before any byte is read; a body without one is counted as it arrives and refused at the
  first byte past the limit, so no route ever holds more than the limit in memory.
  Uploads are two CSV files, never archives: nothing is ever unpacked, so a "ZIP bomb"
  is just a small file that fails screening.
- Per-client rate limiting of the public API (/api/v1 and /statistics/v1): a token bucket
  per client address, refilled at `rate_limit` tokens a second up to `rate_burst`. Over
  the limit the client gets 429 with Retry-After and a problem-details body. Buckets live
  in this process: with several replicas each counts its own share (a client may reach
  replicas x the limit), which is enough to stop one client flooding the service.

The client address is the connecting peer, unless that peer is one of
`trusted_proxies`; then X-Forwarded-For is read from the right, skipping our own proxies,
so a client cannot choose its own address (and bucket) by sending the header itself.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from openstats.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Scripts, styles, images and fonts from our own origin only; nothing inline, no plugins,
# no framing, forms post only to us. JSON-LD (<script type="application/ld+json">) is data,
# never run, so the policy does not need to allow it.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])
HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode(), value.encode()) for name, value in (
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ("cross-origin-opener-policy", "same-origin"),
    ))
# Only over HTTPS (a browser ignores it over HTTP, and it must not pin a plain-HTTP dev site).
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
API_PREFIXES = ("/api/v1/", "/statistics/v1/")
UPLOAD_PATH = re.compile(r"^/admin/releases/[^/]+/upload$")
MAX_BUCKETS = 100_000  # distinct clients remembered before idle ones are forgotten


class BodyTooLarge(Exception):
    """Raised from `receive` when a request body passes its limit."""


class TokenBuckets:
    """Token buckets by client key: `take(key)` spends one token, or says how long to wait."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds until a token is free."""
        now = self.clock()
        tokens, then = self.buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            if len(self.buckets) > MAX_BUCKETS:
                self._forget_idle(now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket: forgetting it changes nothing.
        full = [k for k, (tokens, then) in self.buckets.items()
                if tokens + (now - then) * self.rate >= self.burst]
        for key in full:
            del self.buckets[key]
        if len(self.buckets) > MAX_BUCKETS:  # a flood of distinct addresses: start afresh
            self.buckets.clear()


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """'10.0.0.0/8, 127.0.0.1' -> networks; a bad entry is an error at start-up."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in text.split(",") if part.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(scope: Scope, trusted: tuple[Any, ...]) -> str:
    """The address a request counts against (see the module docstring)."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted:
        return str(peer)

    def is_trusted(address: Any) -> bool:
        return address is not None and any(address in network for network in trusted)

    if not is_trusted(_address(str(peer))):
        return str(peer)
    forwarded = ",".join(value.decode("latin-1") for name, value in scope.get("headers", [])
                         if name == b"x-forwarded-for")
    hops = [h for h in (part.strip() for part in forwarded.split(",")) if h]
    client = str(peer)
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not an address: nothing to its left can be believed
            break
        client = str(address)
        if not is_trusted(address):
            break
    return client


def problem_body(status: int, title: str, kind: str, detail: str) -> bytes:
    """RFC 9457 problem details in the shape the API gives every other error.

    A 413 lists its reason under `errors`, as the API's own 413 does; others use `detail`.
    """
    body: dict[str, Any] = {"type": kind, "title": title, "status": status,
                            "traceId": uuid.uuid4().hex}
    if status == 413:
        body["errors"] = [{"message": detail, "code": "InvalidValue"}]
    else:
        body["detail"] = detail
    return json.dumps(body).encode()


def install(app: Any, settings: Settings) -> None:
    """Put the layer outside all of a Starlette app's own middleware.

    Outermost, so that even the answers of Starlette's error middleware (500s) carry the
    headers and a flood is refused before any other work.
    """
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityLayer(build(), settings)


class SecurityLayer:
    """The ASGI middleware: `app = SecurityLayer(app, settings)` (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_upload = settings.max_upload_bytes
        self.trusted = parse_networks(settings.trusted_proxies)
        self.buckets = (TokenBuckets(settings.rate_limit, settings.rate_burst)
                        if settings.rate_limit > 0 else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_api = path.startswith(("/api", "/statistics"))
        headers = HEADERS + ((HSTS,) if scope.get("scheme") == "https" else ())
        started = False
        exceeded = False  # the body passed its limit: our 413 replaces whatever follows

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in headers if h[0] not in present)]
            await send(message)

        if self.buckets is not None and path.lower().startswith(API_PREFIXES):
            wait = self.buckets.take(client_address(scope, self.trusted))
            if wait:
                await self._refuse(send_with_headers, 429, "Too Many Requests",
                                   "https://tools.ietf.org/html/rfc6585#section-4", True,
                                   f"Too many requests: try again in {math.ceil(wait)} s.",
                                   [(b"retry-after", str(math.ceil(wait)).encode())])
                return

        limit = self.max_upload if UPLOAD_PATH.match(path) else self.max_body
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(send_with_headers, is_api, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except Exception:
            # BodyTooLarge may come back as itself, inside an ExceptionGroup (from a
            # middleware's task group) or as whatever a route made of it: all the same here.
            if not exceeded:
                raise
        if exceeded and not started:
            exceeded = False  # let our own answer through
            await self._too_large(send_with_headers, is_api, limit)

    async def _too_large(self, send: Send, is_api: bool, limit: int) -> None:
        await self._refuse(send, 413, "Content Too Large",
                           "https://tools.ietf.org/html/rfc9110#section-15.5.14", is_api,
                           f"The request body is larger than {limit:,} bytes.")

    @staticmethod
    async def _refuse(send: Send, status: int, title: str, kind: str, as_json: bool,
                      detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
        if as_json:
            body = problem_body(status, title, kind, detail)
            media = b"application/problem+json"
        else:
            body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                    f"<title>{title}</title></head><body><h1>{title}</h1><p>{detail}</p>"
                    "</body></html>").encode()
            media = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", media), (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"), *(extra or [])]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
