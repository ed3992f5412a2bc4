"""Session cookies, the server-side sessions behind them, and CSRF tokens.

The cookie is signed and dated by itsdangerous (HMAC-SHA256 with the platform's secret
key): it cannot be made or changed without the key, and is refused once older than
LIFETIME. It holds
- `sid`, once signed in: the id of a server-side session (catalogue/sessions.py),
  looked up on every request. Signing out, a password change and an administrator's
  "end sessions" delete that session, and a copy of the cookie is worth nothing after.
- `csrf`: the token every form that changes something must carry (checked against it).
- while signing in through an identity provider: its state, nonce and PKCE verifier.
Signing in always starts a new session with a new CSRF token, so a cookie planted
before sign-in is worth nothing either.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from openstats.catalogue import sessions as stored
from openstats.model.users import User

COOKIE = "openstats_session"
LIFETIME = 8 * 3600  # seconds


def _serializer(request: Request) -> URLSafeTimedSerializer:
    key = request.app.state.platform.settings.signing_key()
    return URLSafeTimedSerializer(key, salt="openstats.session",
                                  signer_kwargs={"digest_method": hashlib.sha256})


def read(request: Request) -> dict[str, Any]:
    """The cookie's contents (possibly anonymous; empty when missing, forged or old)."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return dict(cached)
    try:
        data = _serializer(request).loads(request.cookies.get(COOKIE, ""), max_age=LIFETIME)
    except BadSignature:  # also SignatureExpired, its subclass
        data = {}
    if not isinstance(data, dict):
        data = {}
    request.state.session = data
    return dict(data)


def write(request: Request, response: Response, data: dict[str, Any]) -> None:
    data = {**data}
    data.setdefault("csrf", secrets.token_urlsafe(24))
    request.state.session = data
    response.set_cookie(COOKIE, _serializer(request).dumps(data), max_age=LIFETIME,
                        httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def signed_in_user(request: Request) -> User | None:
    """The account of this request's live session, or None (looked up once a request)."""
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    catalogue = request.app.state.platform.catalogue
    user = stored.user_for(catalogue, str(read(request).get("sid", "")))
    request.state.user = user
    return user


def sign_in(request: Request, response: Response, user_id: str) -> None:
    """Start a new server-side session for this person, with a new cookie and token."""
    catalogue = request.app.state.platform.catalogue
    session_id = stored.start(catalogue, user_id, timedelta(seconds=LIFETIME))
    write(request, response, {"sid": session_id})
    if hasattr(request.state, "user"):
        del request.state.user  # looked up afresh if this request asks again


def sign_out(request: Request, response: Response) -> None:
    session_id = str(read(request).get("sid", ""))
    if session_id:
        stored.end(request.app.state.platform.catalogue, session_id)
    response.delete_cookie(COOKIE, path="/")


def csrf_token(request: Request, response: Response | None = None) -> str:
    """This session's CSRF token, starting an anonymous session when needed."""
    data = read(request)
    if "csrf" not in data and response is not None:
        write(request, response, data)
        data = read(request)
    return str(data.get("csrf", ""))


def csrf_ok(request: Request, submitted: str) -> bool:
    expected = read(request).get("csrf", "")
    # As bytes: compare_digest refuses str with non-ASCII characters, which anyone can send.
    return bool(expected) and secrets.compare_digest(str(expected).encode(),
                                                     (submitted or "").encode())
