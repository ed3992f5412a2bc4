"""Signed session cookies and CSRF tokens (HMAC-SHA256 with the platform's secret key).

A cookie holds the user id, an expiry and the session's CSRF token; it cannot be forged
without the key. Every form that changes something carries the CSRF token, checked
against the one in the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from fastapi import Request, Response

COOKIE = "openstats_session"
LIFETIME = 8 * 3600  # seconds


def _sign(key: bytes, payload: bytes) -> str:
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return (base64.urlsafe_b64encode(payload).decode().rstrip("=") + "."
            + base64.urlsafe_b64encode(mac).decode().rstrip("="))


def _unsign(key: bytes, token: str) -> dict[str, Any] | None:
    try:
        body, mac = token.split(".")
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(given, hmac.new(key, payload, hashlib.sha256).digest()):
        return None
    data = json.loads(payload)
    return data if isinstance(data, dict) and data.get("exp", 0) > time.time() else None


def read(request: Request) -> dict[str, Any]:
    """The session (possibly anonymous, but always with a CSRF token once started)."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return dict(cached)
    key = request.app.state.platform.settings.signing_key()
    data = _unsign(key, request.cookies.get(COOKIE, "")) or {}
    request.state.session = data
    return dict(data)


def write(request: Request, response: Response, data: dict[str, Any]) -> None:
    key = request.app.state.platform.settings.signing_key()
    data = {**data, "exp": time.time() + LIFETIME}
    data.setdefault("csrf", secrets.token_urlsafe(24))
    request.state.session = data
    response.set_cookie(COOKIE, _sign(key, json.dumps(data).encode()), max_age=LIFETIME,
                        httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def csrf_token(request: Request, response: Response | None = None) -> str:
    """This session's CSRF token, starting an anonymous session when needed."""
    data = read(request)
    if "csrf" not in data and response is not None:
        write(request, response, data)
        data = read(request)
    return str(data.get("csrf", ""))


def csrf_ok(request: Request, submitted: str) -> bool:
    expected = read(request).get("csrf", "")
    return bool(expected) and hmac.compare_digest(str(expected), submitted or "")
